// The English text the tiny models' tokenizer is trained on, and that
// tokenizer's files. The text was written for this project (no dataset
// copied) and lives in the binary, so a fresh clone needs no download.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace moebench::model {

// A few hundred short lines mixing the genres the harness evaluates: stories,
// dialogue and roleplay, arithmetic word problems, Python-like code, and
// questions with true answers. Fixed forever: changing it changes every
// generated tokenizer, and tiny models are compared byte for byte.
const std::vector<std::string>& tiny_corpus_lines();

// Smallest vocab_size accepted: 3 special ids (unk 0, <s> 1, </s> 2) and 256
// byte-fallback ids leave 41 learned pieces, enough to be a real BPE model.
constexpr int64_t kTinyMinVocab = 300;

// Trains a Llama-style BPE tokenizer (byte fallback, Llama's special ids, no
// pad id) with exactly `vocab_size` pieces on the corpus, using the project's
// own trainer (io::train_bpe_tokenizer; libsentencepiece must not share a
// process with libtorch, see io/sentencepiece_model.h), and returns the
// serialized ModelProto, i.e. the bytes of tokenizer.model. Deterministic.
// Beyond what the corpus supplies (about 2800 pieces) the vocabulary is
// filled with unused pieces, so benchmark shapes (Llama's 32000) get one too.
// InputError naming vocab_size when it is below kTinyMinVocab or above 2^20.
std::string train_tiny_tokenizer(int64_t vocab_size);
// train_tiny_tokenizer behind a process-wide cache (thread-safe): training at
// 512 takes a few hundred milliseconds, and tests build many tiny models.
std::string tiny_tokenizer_model(int64_t vocab_size);

// Writes tokenizer.model, tokenizer_config.json (LlamaTokenizer, add_bos_token
// true, add_eos_token false, legacy true) and special_tokens_map.json into dir.
void write_tiny_tokenizer(const std::filesystem::path& dir, int64_t vocab_size,
                          int64_t model_max_length);
// The same three files for any tokenizer.model bytes (e.g. one trained on
// another corpus with io::train_bpe_tokenizer).
void write_llama_tokenizer(const std::filesystem::path& dir, const std::string& tokenizer_model,
                           int64_t model_max_length);

}  // namespace moebench::model
