// YAML from outside the process (recipes, run plans, suite specs): checked in
// one streaming pass before yaml-cpp builds a tree, so that hostile files fail
// fast with a line number instead of hanging or exhausting memory:
// - nesting deeper than kMaxYamlDepth (yaml-cpp's own guard only says "bad file");
// - aliases that expand to more than kMaxYamlNodes nodes ("billion laughs": a
//   1 KB file whose aliases expand to 10^9 nodes when a caller walks the tree);
// - size over kMaxYamlBytes, bytes that are not UTF-8, NUL characters in values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace moebench::io {

// Real recipes, plans and specs nest under 10 levels and have a few hundred nodes.
inline constexpr int kMaxYamlDepth = 64;
inline constexpr int64_t kMaxYamlNodes = 200000;

// InputError "<where>:<line>: ..." for every problem above and for malformed
// YAML. Returns the first document (a null node for an empty text).
YAML::Node parse_yaml_text(const std::string& text, const std::string& where);

// read_input_file(path, kMaxYamlBytes) + parse_yaml_text.
YAML::Node read_yaml_file(const std::filesystem::path& path);

}  // namespace moebench::io
