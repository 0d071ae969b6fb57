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
SentencePieceModel train_bpe_tokenizer(const std::vector<std::string>& corpus, int vocab_size);

}  // namespace moebench::io
