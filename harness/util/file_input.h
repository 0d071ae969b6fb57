// Reading files a user gave us: bounded in size before a byte is read, so a
// 3 GiB "config.json" or a 100 MB line is one clear error instead of an
// allocation failure deep inside a parser, and checked to be what the caller
// expects (a file, not a directory) with the path in the message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace moebench {

// Caps by kind of file. Real files are orders of magnitude smaller (config.json
// ~1 KB, tokenizer.model ~0.5-4 MB, a recipe or suite spec a few KB, a dataset
// line a few KB); the caps only stop what no real model or dataset has.
inline constexpr int64_t kMaxMetadataBytes = int64_t{64} << 20;  // JSON, tokenizer.model
inline constexpr int64_t kMaxYamlBytes = int64_t{16} << 20;      // recipes, plans, suite specs
inline constexpr int64_t kMaxLineBytes = int64_t{16} << 20;      // one JSONL item or generation
inline constexpr int64_t kMaxDatasetBytes = int64_t{4} << 30;    // a whole items file, decompressed

// The whole file. InputError naming `path` when it is missing, a directory, not
// readable, or larger than `max_bytes` (saying both sizes and what the cap is for).
std::string read_input_file(const std::filesystem::path& path, int64_t max_bytes);

// InputError "<where>: line N: ..." when `text` is not well-formed UTF-8, naming
// the line, the byte offset and the offending byte. YAML and JSON outputs must
// be valid UTF-8, so it is checked when a file is read, not when a result is written.
void require_utf8(std::string_view text, const std::string& where);

// InputError naming `where`, the line and both sizes when a line of `text` is
// longer than `max_bytes`.
void require_line_lengths(std::string_view text, const std::string& where, int64_t max_bytes);

}  // namespace moebench
