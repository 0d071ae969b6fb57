// JSON inputs that tests/fuzz found escaping the readers as nlohmann's
// out_of_range instead of an InputError: nlohmann reports a number beyond a
// double ("1e309") as out_of_range.406, not as a parse_error. Each is fed
// through the entry point its fuzz target uses.
#include <gtest/gtest.h>

#include <string>

#include "harness/io/bpe_trainer.h"
#include "harness/io/json_input.h"
#include "harness/io/model_config.h"
#include "harness/io/safetensors_file.h"
#include "harness/io/tokenizer.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using testing::expect_input_error;
using testing::ScratchDir;
using testing::write_text;

TEST(JsonInputFuzzRegression, NumberBeyondDoubleIsMalformedJson) {
  expect_input_error([] { parse_json_text("1e309", "a.json"); },
                     {"a.json", "malformed JSON", "number overflow", "1e309"});
  expect_input_error([] { parse_ordered_json_text("[-1E734]", "b.json"); },
                     {"b.json", "malformed JSON", "number overflow"});
}

// config_json_fuzz
TEST(JsonInputFuzzRegression, ConfigJson) {
  expect_input_error(
      [] { ModelConfig::from_json(parse_json_text("1e309", "config.json"), "config.json"); },
      {"config.json", "number overflow"});
  expect_input_error(
      [] {
        const std::string text = R"({"architectures": ["LlamaForCausalLM"], "rope_theta": 1e309})";
        ModelConfig::from_json(parse_json_text(text, "config.json"), "config.json");
      },
      {"config.json", "number overflow"});
}

// tokenizer_config_fuzz: tokenizer_config.json "9e309", and added_tokens.json
TEST(JsonInputFuzzRegression, TokenizerConfigAndAddedTokens) {
  ScratchDir dir;
  const std::vector<std::string> corpus = {
      "Once upon a time there was a little cat.", "The cat liked to play in the sun.",
      "Tom has 3 apples and buys 4 more; now he has 7 apples.", "def add(a, b):\n    return a + b",
      "Is the moon made of cheese? No, it is rock.", "\"Hello,\" said the knight. \"I serve the queen.\""};
  write_text(dir.path() / "tokenizer.model", train_bpe_tokenizer(corpus, 300).serialize());
  write_text(dir.path() / "tokenizer_config.json", "9e309");
  expect_input_error([&] { Tokenizer::load(dir.path()); },
                     {"tokenizer_config.json", "number overflow"});
  write_text(dir.path() / "tokenizer_config.json", "{}");
  write_text(dir.path() / "added_tokens.json", R"({"<|im_end|>": 1e309})");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {"added_tokens.json", "number overflow"});
}

// safetensors_header_fuzz: a header whose shape holds 1e309
TEST(JsonInputFuzzRegression, SafetensorsHeader) {
  ScratchDir dir;
  const std::string header = R"({"w":{"dtype":"F32","shape":[1e309],"data_offsets":[0,4]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  file += header + std::string(4, '\0');
  write_text(dir.path() / "model.safetensors", file);
  expect_input_error([&] { SafetensorsFile::open(dir.path() / "model.safetensors"); },
                     {"model.safetensors", "not well-formed JSON", "number overflow"});
}

}  // namespace
}  // namespace moebench::io
