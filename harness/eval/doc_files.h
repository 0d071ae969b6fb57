// Reading the documents of a task: JSONL items (one JSON object a line), plain or
// gzip-compressed (HumanEval ships as HumanEval.jsonl.gz). Every error names the
// file and the line.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench::eval {

// Objects of a JSONL file in order; blank lines are skipped. InputError naming
// file:line on a line that is not a JSON object.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);
// The same over text already read (`where` names it in messages).
std::vector<nlohmann::json> parse_jsonl(const std::string& text, const std::string& where);

// The whole file. A ".gz" file is decompressed with `gzip -dc` (Debian's gzip is
// Essential, which keeps zlib out of the link); InputError when it is unreadable or corrupt.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace moebench::eval
