// tokenizer_config.json / added_tokens.json inputs run through
// tests/fuzz/tokenizer_config_fuzz that broke Tokenizer::load: an added token
// with id INT32_MAX made the vocabulary size id + 1 overflow int32_t (UBSan:
// signed integer overflow; without it the size wrapped and the token's id lay
// outside the vocabulary).
#include <gtest/gtest.h>

#include "harness/io/bpe_trainer.h"
#include "harness/io/tokenizer.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using testing::expect_input_error;
using testing::ScratchDir;
using testing::write_text;

void write_tokenizer_model(const std::filesystem::path& dir) {
  const std::vector<std::string> corpus = {
      "Once upon a time there was a little cat.", "The cat liked to play in the sun.",
      "Tom has 3 apples and buys 4 more; now he has 7 apples.", "def add(a, b):\n    return a + b",
      "Is the moon made of cheese? No, it is rock.", "\"Hello,\" said the knight. \"I serve the queen.\""};
  write_text(dir / "tokenizer.model", train_bpe_tokenizer(corpus, 300).serialize());
}

TEST(TokenizerFuzzRegression, AddedTokenIdAtInt32Max) {
  ScratchDir dir;
  write_tokenizer_model(dir.path());
  write_text(dir.path() / "tokenizer_config.json",
             R"({"added_tokens_decoder": {"2147483647": {"content": "<x>"}}})");
  expect_input_error([&] { Tokenizer::load(dir.path()); },
                     {"tokenizer_config.json", "added_tokens_decoder.2147483647", "out of range"});
  write_text(dir.path() / "tokenizer_config.json", "{}");
  write_text(dir.path() / "added_tokens.json", R"({"<x>": 2147483647})");
  expect_input_error([&] { Tokenizer::load(dir.path()); },
                     {"added_tokens.json", "2147483647", "out of range"});
  // The largest id that leaves room for the size still loads.
  write_text(dir.path() / "added_tokens.json", R"({"<x>": 2147483646})");
  EXPECT_EQ(Tokenizer::load(dir.path())->vocab_size(), 2147483647);
}

}  // namespace
}  // namespace moebench::io
