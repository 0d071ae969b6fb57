// Trains a small SentencePiece-compatible BPE tokenizer (byte fallback, Llama's
// special ids: unk 0, <s> 1, </s> 2), for the models the project generates.
// Deterministic: the same corpus and size give the same model bytes everywhere.
#pragma once

#include <string>
#include <vector>

#include "harness/io/sentencepiece_model.h"

namespace moebench::io {

// Pieces: <unk>, <s>, </s>, the 256 byte pieces, learned merges (score -rank),
// then the corpus's characters by frequency, vocab_size in all. Throws
// InputError when vocab_size < 259 + 1 or the corpus is too small to fill it.
// `lone_newlines`: no piece holds a line break, which is always the byte piece
// <0x0A>, as in Llama's own tokenizer; then the pieces of a text before a line
// break do not depend on what follows it, so a prompt that ends at a line
// break is tokenized as the same text was in training.
// `fill_unused`: when the corpus runs out of merges, the rest of the
// vocabulary is unused pieces "<unusedN>" (as some released tokenizers pad
// theirs), so a model of any vocabulary size gets a tokenizer; otherwise
// that is an InputError.
SentencePieceModel train_bpe_tokenizer(const std::vector<std::string>& corpus, int vocab_size,
                                       bool lone_newlines = false, bool fill_unused = false);

}  // namespace moebench::io
