// SentencePiece tokenizer of a Llama / Mistral model directory, with the
// BOS/EOS conventions of its tokenizer_config.json (codec: sentencepiece_model.h).
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
  // Reads model_dir/tokenizer.model (required) and model_dir/tokenizer_config.json
  // (optional: add_bos_token default true, add_eos_token default false, as
  // transformers' LlamaTokenizer). Throws InputError on a missing or broken file.
  static std::shared_ptr<const Tokenizer> load(const std::filesystem::path& model_dir);
  static std::shared_ptr<const Tokenizer> from_model_file(const std::filesystem::path& tokenizer_model,
                                                          bool add_bos = true, bool add_eos = false);
  ~Tokenizer();

  // SentencePiece ids (the dummy-prefix "▁" included, as HF's legacy Llama
  // tokenizer); with add_special_tokens, BOS/EOS are added per add_bos()/add_eos().
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
  // Text of `ids`, skipping BOS/EOS/PAD and control ids. Throws InputError on an
  // id outside [0, vocab_size()).
  std::string decode(const std::vector<int32_t>& ids) const;
  // The raw piece ("▁the", "<0x0A>", "<s>"); InputError when out of range.
  std::string id_to_piece(int32_t id) const;

  int32_t vocab_size() const;
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
  struct Impl;
  Tokenizer(std::unique_ptr<Impl> impl, std::string source, bool add_bos, bool add_eos);
  void check_id(int32_t id) const;
  bool is_control(int32_t id) const;

  std::unique_ptr<Impl> impl_;
  std::string source_;
  bool add_bos_, add_eos_;
};

}  // namespace moebench::io
