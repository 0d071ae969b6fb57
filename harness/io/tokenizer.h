// SentencePiece tokenizer of a Llama / Mistral model directory, with the
// BOS/EOS conventions and added tokens of its tokenizer_config.json (codec:
// sentencepiece_model.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moebench::io {

// Immutable after loading; encode/decode are safe to call from several threads.
class Tokenizer {
 public:
  struct AddedToken {
    std::string content;
    bool special = false;
  };
  struct Impl;  // the codec and the added tokens (tokenizer.cpp)

  // Reads model_dir/tokenizer.model (required) and, when present,
  // model_dir/tokenizer_config.json: add_bos_token (default true) and
  // add_eos_token (default false) as transformers' LlamaTokenizer; bos_token,
  // eos_token and pad_token; added_tokens_decoder ({"32000": {"content":
  // "<|im_end|>", "special": true}}), and model_dir/added_tokens.json
  // ({"<|im_end|>": 32000}), whose tokens extend the vocabulary past
  // tokenizer.model's pieces. Their lstrip/rstrip/normalized flags are not
  // applied. Throws InputError on a missing or broken file.
  static std::shared_ptr<const Tokenizer> load(const std::filesystem::path& model_dir);
  static std::shared_ptr<const Tokenizer> from_model_file(const std::filesystem::path& tokenizer_model,
                                                          bool add_bos = true, bool add_eos = false);
  ~Tokenizer();

  // SentencePiece ids (the dummy-prefix "▁" included, as HF's legacy Llama
  // tokenizer); with add_special_tokens, BOS/EOS are added per add_bos()/add_eos().
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
  // Text of `ids`. With skip_special_tokens (lm-eval decodes generations so)
  // the special tokens are left out: BOS/EOS/UNK/PAD, control pieces and
  // special added tokens; without, they are written as their spelling. Throws
  // InputError on an id outside [0, vocab_size()) or in a gap between added tokens.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true) const;
  // Whether decode(skip_special_tokens) leaves `id` out.
  bool is_special(int32_t id) const;
  // The raw piece ("▁the", "<0x0A>", "<s>") or added token; InputError when out of range.
  std::string id_to_piece(int32_t id) const;
  // The id of a piece or added token spelled `text`; -1 when there is none.
  int32_t token_to_id(std::string_view text) const;

  // tokenizer.model's pieces and the added tokens after them.
  int32_t vocab_size() const;
  // tokenizer_config.json's bos/eos/pad_token when set, else tokenizer.model's;
  // -1 when the model has no such token.
  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t pad_id() const;
  int32_t unk_id() const;
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // The tokenizer.model path, for messages.
  const std::string& source() const { return source_; }

 private:
  Tokenizer(std::unique_ptr<Impl> impl, std::string source, bool add_bos, bool add_eos);
  void check_id(int32_t id) const;

  std::unique_ptr<Impl> impl_;
  std::string source_;
  bool add_bos_, add_eos_;
  int32_t bos_id_, eos_id_, pad_id_;
};

}  // namespace moebench::io
