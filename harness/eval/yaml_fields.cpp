#include "harness/eval/yaml_fields.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "harness/io/yaml_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {

YAML::Node load_yaml_file(const std::filesystem::path& path) {
  return io::read_yaml_file(path);
}

std::string shown(const YAML::Node& node) {
  std::string text;
  if (node.IsScalar()) {
    text = "'" + node.Scalar() + "'";
  } else {
    YAML::Emitter out;
    out << YAML::Flow << node;
    text = out.c_str();
  }
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

YamlFields::YamlFields(YAML::Node map, std::string file, std::string prefix)
    : map_(std::move(map)), file_(std::move(file)), prefix_(std::move(prefix)) {
  if (!map_.IsMap()) {
    fail_input(where(), "{}: expected a mapping of keys, got {}",
               prefix_.empty() ? "document" : prefix_.substr(0, prefix_.size() - 1), shown(map_));
  }
}

std::string YamlFields::where(const std::string& key) const {
  YAML::Mark mark = map_.Mark();
  if (!key.empty() && map_[key]) mark = map_[key].Mark();
  if (mark.is_null()) return file_;
  return fmt::format("{}:{}", file_, mark.line + 1);
}

void YamlFields::fail(const std::string& key, const std::string& message) const {
  fail_input(where(key), "field '{}': {}", field(key), message);
}

void YamlFields::check_keys(const std::vector<std::string>& known, const std::string& what) const {
  for (const auto& entry : map_) {
    // YAML allows any node as a key ("? [a, b]", "{[a]: 1}"); ours are names.
    if (!entry.first.IsScalar())
      fail_input(where(), "a key in {} must be a plain name, got {}{}", what, prefix_,
                 shown(entry.first));
    const std::string key = entry.first.Scalar();
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (ok) continue;
    std::string near = closest_match(key, known);
    fail_input(where(key), "unknown key '{}{}' in {}{}", prefix_, key, what,
               near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  }
}

bool YamlFields::has(const std::string& key) const {
  YAML::Node n = map_[key];
  return n && !n.IsNull();
}

YAML::Node YamlFields::node(const std::string& key) const { return map_[key]; }

std::string YamlFields::get_string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  YAML::Node n = map_[key];
  if (!n.IsScalar()) fail(key, "expected a string, got " + shown(n));
  return n.Scalar();
}

int64_t YamlFields::get_int(const std::string& key, int64_t fallback, int64_t min,
                            int64_t max) const {
  if (!has(key)) return fallback;
  YAML::Node n = map_[key];
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    fail(key, "expected an integer, got " + shown(n));
  }
  if (v < min || v > max) {
    fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, v));
  }
  return v;
}

double YamlFields::get_double(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  YAML::Node n = map_[key];
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') fail(key, "expected a number, got " + shown(n));
  return v;
}

bool YamlFields::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  YAML::Node n = map_[key];
  bool value = false;
  // yaml-cpp accepts true/false/yes/no/on/off in any common capitalisation.
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    fail(key, "expected true or false, got " + shown(n));
  }
  return value;
}

std::vector<std::string> YamlFields::get_string_list(const std::string& key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  YAML::Node n = map_[key];
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) fail(key, "expected a list of strings, got " + shown(n));
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      fail(key, fmt::format("entry {}: expected a string, got {}", i, shown(n[i])));
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

}  // namespace moebench::eval
