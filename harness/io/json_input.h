// JSON from outside the process (config files, dataset items, stored
// generations): nesting and size are bounded before nlohmann parses it, since
// its copy and destruction recurse once per level (a million '[' overflow the
// stack), and parse errors name the file with nlohmann's position.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/file_input.h"

namespace moebench::io {

// Real configs, headers and items nest under 10 levels.
inline constexpr int kMaxJsonDepth = 128;

// InputError "<where>: JSON nested deeper than N levels (at byte B)" when an
// array or object opens deeper than `max_depth`. Strings are skipped, so a
// bracket inside one counts for nothing.
void check_json_depth(std::string_view text, const std::string& where,
                      int max_depth = kMaxJsonDepth);

// check_json_depth, then parse; InputError "<where>: malformed JSON: ..." with
// the byte position. Invalid UTF-8 inside a string is malformed JSON.
nlohmann::json parse_json_text(std::string_view text, const std::string& where);
nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& where);

// read_input_file(path, max_bytes) + parse_json_text.
nlohmann::json read_json_file(const std::filesystem::path& path,
                              int64_t max_bytes = kMaxMetadataBytes);

}  // namespace moebench::io
