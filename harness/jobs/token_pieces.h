// The text of each routed token, as the report's token view shows it
// (samples.routing_pieces): the tokenizer's piece with SentencePiece's
// word-boundary mark "▁" shown as a space, and a byte-fallback piece
// ("<0x0A>") as the byte it stands for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/io/tokenizer.h"

namespace moebench::jobs {

// "▁the" -> " the"; "<0x0A>" -> "\n"; "<0x41>" -> "A" (printable ASCII, tab,
// CR and newline as themselves); a byte of a multi-byte character
// ("<0xE2>") -> that byte alone, which the store writes as U+FFFD like any
// invalid UTF-8 of model text; other control bytes and special tokens
// ("<0x00>", "<s>") stay spelled as their piece. InputError for an id
// outside the vocabulary.
std::string token_piece_text(const io::Tokenizer& tokenizer, int32_t id);
std::vector<std::string> token_pieces(const io::Tokenizer& tokenizer, const std::vector<int32_t>& ids);

}  // namespace moebench::jobs
