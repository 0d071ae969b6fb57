// JSON columns read back from a database that may have been written by
// another build or another machine (a merged shard): bounded like any input,
// and a wrong shape is a StoreError naming the file and the column, never a
// nlohmann exception.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace moebench::store {

// Parses `text` (depth-bounded); StoreError naming `where` when it is not JSON.
nlohmann::json parse_stored_json(const std::string& text, const std::string& where);
// The same in key order, and required to be an object.
nlohmann::ordered_json parse_stored_object(const std::string& text, const std::string& where);

}  // namespace moebench::store
