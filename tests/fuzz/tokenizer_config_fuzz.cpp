// tokenizer_config.json (add_bos/eos_token, bos/eos/pad_token, the
// added_tokens_decoder) and added_tokens.json, read by Tokenizer::load from a
// model directory whose tokenizer.model is a small BPE model trained here.
// The input is tokenizer_config.json, or tokenizer_config.json, the line
// kAddedTokensSeparator, and added_tokens.json.
#include <cstring>

#include "harness/io/bpe_trainer.h"
#include "harness/io/tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

constexpr const char* kAddedTokensSeparator = "\n--- added_tokens.json ---\n";

const fs::path& model_dir() {
  static const fs::path dir = [] {
    fs::path d = fuzz::scratch_dir() / "model";
    fs::create_directories(d);
    const std::vector<std::string> corpus = {
        "Once upon a time there was a little cat.", "The cat liked to play in the sun.",
        "Tom has 3 apples and buys 4 more; now he has 7 apples.", "def add(a, b):\n    return a + b",
        "Is the moon made of cheese? No, it is rock.", "\"Hello,\" said the knight. \"I serve the queen.\""};
    fuzz::write_file(d / "tokenizer.model", io::train_bpe_tokenizer(corpus, 300).serialize());
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = model_dir();
  const std::string input = fuzz::as_text(data, size);
  const size_t split = input.find(kAddedTokensSeparator);
  fuzz::write_file(dir / "tokenizer_config.json", input.substr(0, split));
  std::error_code ec;
  fs::remove(dir / "added_tokens.json", ec);
  if (split != std::string::npos)
    fuzz::write_file(dir / "added_tokens.json", input.substr(split + strlen(kAddedTokensSeparator)));

  fuzz::reject_only_with_input_error([&] {
    const auto tokenizer = io::Tokenizer::load(dir);
    const int32_t vocab = tokenizer->vocab_size();
    MOEBENCH_FUZZ_CHECK(vocab >= 300);
    for (int32_t id : {tokenizer->bos_id(), tokenizer->eos_id(), tokenizer->pad_id(), tokenizer->unk_id()})
      MOEBENCH_FUZZ_CHECK(id >= -1 && id < vocab);
    // Text that spells added and control tokens is encoded to their ids.
    const std::vector<int32_t> ids =
        tokenizer->encode("<s>Hello <|im_start|>user\n[INST] hi [/INST]<|im_end|></s> <unk>");
    for (int32_t id : ids) MOEBENCH_FUZZ_CHECK(id >= 0 && id < vocab);
    tokenizer->decode(ids, true);
    tokenizer->decode(ids, false);
    // Both ends of the vocabulary: the pieces and the added tokens (a gap
    // between added tokens is an InputError on decode).
    for (int32_t id = 0; id < vocab; id = (id == 15 && vocab > 32) ? vocab - 16 : id + 1) {
      tokenizer->is_special(id);
      fuzz::reject_only_with_input_error([&] {
        const std::string piece = tokenizer->id_to_piece(id);
        tokenizer->decode({id}, false);
        const int32_t back = tokenizer->token_to_id(piece);
        MOEBENCH_FUZZ_CHECK(back >= 0 && back < vocab);
      });
    }
  });
  return 0;
}
