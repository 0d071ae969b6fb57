#include "harness/util/file_input.h"

#include <fstream>

#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench {

std::string read_input_file(const fs::path& path, int64_t max_bytes) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) fail_input(path.string(), "file not found");
  if (fs::is_directory(status)) fail_input(path.string(), "is a directory, expected a file");
  // Regular files have a size to check up front; a pipe or /dev/stdin is read
  // with the same cap enforced as it arrives.
  if (fs::is_regular_file(status)) {
    const auto size = fs::file_size(path, ec);
    if (!ec && static_cast<int64_t>(size) > max_bytes)
      fail_input(path.string(), "file is {} long, over the {} this kind of file may have",
                 human_bytes(static_cast<double>(size)), human_bytes(static_cast<double>(max_bytes)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path.string(), "cannot open file for reading");
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text.size()) > max_bytes)
      fail_input(path.string(), "more than {} read, over the cap for this kind of file",
                 human_bytes(static_cast<double>(max_bytes)));
  }
  if (in.bad()) fail_input(path.string(), "read error");
  return text;
}

void require_utf8(std::string_view text, const std::string& where) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte == '\n') ++line, line_start = i + 1;
      ++i;
      continue;
    }
    const size_t n = utf8_char_length(text.substr(i));
    if (n == 0)
      fail_input(where,
                 "line {}: byte 0x{:02X} at column {} is not UTF-8 (save the file as UTF-8; "
                 "Latin-1 and Windows-1252 are not accepted)",
                 line, byte, i - line_start + 1);
    i += n;
  }
}

void require_line_lengths(std::string_view text, const std::string& where, int64_t max_bytes) {
  size_t line = 1;
  for (size_t pos = 0; pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (static_cast<int64_t>(end - pos) > max_bytes)
      fail_input(where, "line {} is {} long, over the {} a line may have", line,
                 human_bytes(static_cast<double>(end - pos)),
                 human_bytes(static_cast<double>(max_bytes)));
    pos = end + 1;
  }
}

}  // namespace moebench
