#include "harness/store/stored_json.h"

#include "harness/io/json_input.h"
#include "harness/store/sqlite_db.h"
#include "harness/util/error.h"

namespace moebench::store {

// io's bounded parser; its InputError becomes the store's error (a bad file, not bad flags).
nlohmann::json parse_stored_json(const std::string& text, const std::string& where) {
  try {
    return io::parse_json_text(text, where);
  } catch (const InputError& e) {
    throw StoreError(e.what(), 0);
  }
}

nlohmann::ordered_json parse_stored_object(const std::string& text, const std::string& where) {
  nlohmann::ordered_json j;
  try {
    j = io::parse_ordered_json_text(text, where);
  } catch (const InputError& e) {
    throw StoreError(e.what(), 0);
  }
  if (!j.is_object()) throw StoreError(where + ": stored JSON is not an object: " + text.substr(0, 60), 0);
  return j;
}

}  // namespace moebench::store
