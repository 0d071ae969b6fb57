#include "harness/store/stored_json.h"

#include "harness/io/json_input.h"
#include "harness/store/sqlite_db.h"
#include "harness/util/error.h"

namespace moebench::store {
namespace {

template <typename Json>
Json parse(const std::string& text, const std::string& where) {
  try {
    io::check_json_depth(text, where);
  } catch (const InputError& e) {
    throw StoreError(e.what(), 0);
  }
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw StoreError(where + ": stored JSON does not parse: " + text.substr(0, 60), 0);
  return j;
}

}  // namespace

nlohmann::json parse_stored_json(const std::string& text, const std::string& where) {
  return parse<nlohmann::json>(text, where);
}

nlohmann::ordered_json parse_stored_object(const std::string& text, const std::string& where) {
  auto j = parse<nlohmann::ordered_json>(text, where);
  if (!j.is_object()) throw StoreError(where + ": stored JSON is not an object: " + text.substr(0, 60), 0);
  return j;
}

}  // namespace moebench::store
