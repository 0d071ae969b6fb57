#include "harness/jobs/token_pieces.h"

#include <cctype>

namespace moebench::jobs {
namespace {

constexpr std::string_view kWordMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// The byte of a byte-fallback piece "<0xHH>", or -1.
int fallback_byte(const std::string& piece) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 16 + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10);
  }
  return value;
}

}  // namespace

std::string token_piece_text(const io::Tokenizer& tokenizer, int32_t id) {
  std::string piece = tokenizer.id_to_piece(id);
  const int byte = fallback_byte(piece);
  if (byte >= 0) {
    const bool shown = byte >= 0x80 || byte == '\n' || byte == '\t' || byte == '\r' || (byte >= 0x20 && byte < 0x7F);
    return shown ? std::string(1, static_cast<char>(byte)) : piece;
  }
  for (size_t at = piece.find(kWordMark); at != std::string::npos; at = piece.find(kWordMark, at + 1))
    piece.replace(at, kWordMark.size(), " ");
  return piece;
}

std::vector<std::string> token_pieces(const io::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int32_t id : ids) out.push_back(token_piece_text(tokenizer, id));
  return out;
}

}  // namespace moebench::jobs
