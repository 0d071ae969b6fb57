#include "harness/io/json_input.h"

#include "harness/util/error.h"

namespace moebench::io {

void check_json_depth(std::string_view text, const std::string& where, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        fail_input(where, "JSON nested deeper than {} levels (at byte {})", max_depth, i);
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced input is left for the parser to report
    }
  }
}

namespace {

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2:
// ..." without the bracketed prefix.
std::string parse_message(const nlohmann::json::exception& e) {
  std::string message = e.what();
  const size_t bracket = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos)
    message = message.substr(bracket + 2);
  return message;
}

template <typename Json>
Json parse_checked(std::string_view text, const std::string& where) {
  check_json_depth(text, where);
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail_input(where, "malformed JSON: {}", parse_message(e));
  }
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& where) {
  return parse_checked<nlohmann::json>(text, where);
}

nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& where) {
  return parse_checked<nlohmann::ordered_json>(text, where);
}

nlohmann::json read_json_file(const std::filesystem::path& path, int64_t max_bytes) {
  return parse_json_text(read_input_file(path, max_bytes), path.string());
}

}  // namespace moebench::io
