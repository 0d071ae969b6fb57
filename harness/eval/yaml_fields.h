// Typed, validated reads from YAML nodes for the suite and task loaders. Every
// error names "file:line" and the dotted field, and shows the offending value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace moebench::eval {

// Parses a YAML file; InputError naming the path (and line) when it cannot be read or parsed.
YAML::Node load_yaml_file(const std::filesystem::path& path);

// One mapping node being read: `file` for messages, `prefix` for dotted field names.
class YamlFields {
 public:
  YamlFields(YAML::Node map, std::string file, std::string prefix = "");

  // InputError at the first key not in `known`, with the closest known key.
  void check_keys(const std::vector<std::string>& known, const std::string& what) const;
  bool has(const std::string& key) const;  // present and not null
  YAML::Node node(const std::string& key) const;

  std::string get_string(const std::string& key, const std::string& fallback = "") const;
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  // A list of strings; a single scalar counts as a one-element list.
  std::vector<std::string> get_string_list(const std::string& key) const;

  // "file:line" of `key` (or of the map when absent).
  std::string where(const std::string& key = "") const;
  std::string field(const std::string& key) const { return prefix_ + key; }
  // "<file:line>: field '<field>': <message>"
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  const std::string& file() const { return file_; }

 private:
  YAML::Node map_;
  std::string file_, prefix_;
};

// A scalar shown in a message: quoted, cut when long.
std::string shown(const YAML::Node& node);

}  // namespace moebench::eval
