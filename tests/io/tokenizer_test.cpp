#include "harness/io/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ScratchDir;
using testing::shared_dir;
using testing::write_text;

fs::path reference() { return shared_dir() / "reference"; }
fs::path stories_dir() { return reference() / "models" / "stories260K"; }

json read_json(const fs::path& path) { return json::parse(read_file(path)); }

using moebench::testing::expect_input_error;

TEST(Tokenizer, Llama2Vectors) {
  MOEBENCH_REQUIRE_SHARED();
  auto tok = Tokenizer::from_model_file(reference() / "tokenizers" / "llama2" / "tokenizer.model");
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->pad_id(), -1);
  json vectors = read_json(reference() / "tokenizer" / "llama2-vectors.json");
  ASSERT_EQ(vectors.size(), 46u);
  for (const json& v : vectors) {
    std::string text = v.at("text");
    EXPECT_EQ(tok->encode(text, false), v.at("ids").get<std::vector<int32_t>>()) << "text: " << text;
  }
}

TEST(Tokenizer, Tok512VectorsIncludeBos) {
  MOEBENCH_REQUIRE_SHARED();
  auto tok = Tokenizer::load(stories_dir());
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  json vectors = read_json(reference() / "tokenizer" / "tok512-vectors.json").at("vectors");
  ASSERT_EQ(vectors.size(), 7u);
  for (const json& v : vectors) {
    std::string text = v.at("text");
    std::vector<int32_t> ids = v.at("ids");
    EXPECT_EQ(tok->encode(text), ids) << "text: " << text;
    // decode drops the BOS and the dummy-prefix space: these texts round-trip.
    EXPECT_EQ(tok->decode(ids), text);
  }
}

TEST(Tokenizer, RoundTripsText) {
  MOEBENCH_REQUIRE_SHARED();
  auto tok = Tokenizer::from_model_file(reference() / "tokenizers" / "llama2" / "tokenizer.model");
  for (std::string text : {"Hello world", "  two spaces\tand a tab\n", "Ünïcödé – 😀 日本語", "x = [1, 2]; // code",
                           ""}) {
    EXPECT_EQ(tok->decode(tok->encode(text)), text);
  }
  EXPECT_EQ(tok->id_to_piece(1), "<s>");
  EXPECT_EQ(tok->id_to_piece(13), "<0x0A>");
  // BOS/EOS ids in the middle of a sequence are skipped, never printed.
  std::vector<int32_t> ids = tok->encode("Hello", false);
  ids.insert(ids.begin(), {1, 1});
  ids.push_back(2);
  EXPECT_EQ(tok->decode(ids), "Hello");
}

TEST(Tokenizer, BosEosFromTokenizerConfig) {
  MOEBENCH_REQUIRE_SHARED();
  ScratchDir dir;
  fs::copy_file(stories_dir() / "tokenizer.model", dir.path() / "tokenizer.model");
  auto defaults = Tokenizer::load(dir.path());  // no tokenizer_config.json: BOS only
  EXPECT_TRUE(defaults->add_bos());
  EXPECT_FALSE(defaults->add_eos());
  std::vector<int32_t> plain = defaults->encode("Once upon a time", false);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(defaults->encode("Once upon a time").front(), 1);

  write_text(dir.path() / "tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true})");
  auto flipped = Tokenizer::load(dir.path());
  EXPECT_FALSE(flipped->add_bos());
  EXPECT_TRUE(flipped->add_eos());
  std::vector<int32_t> expected = plain;
  expected.push_back(2);
  EXPECT_EQ(flipped->encode("Once upon a time"), expected);
  EXPECT_EQ(flipped->encode("Once upon a time", false), plain);

  write_text(dir.path() / "tokenizer_config.json", R"({"add_eos_token": true, "add_bos_token": null})");
  auto both = Tokenizer::load(dir.path());
  EXPECT_TRUE(both->add_bos());
  EXPECT_EQ(both->encode("Once upon a time").size(), plain.size() + 2);
}

TEST(Tokenizer, RejectsBadFiles) {
  ScratchDir dir;
  const std::string model_path = (dir.path() / "tokenizer.model").string();
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {model_path, "not found"});
  expect_input_error([&] { Tokenizer::from_model_file(dir.path() / "missing.model"); }, {"missing.model"});

  write_text(dir.path() / "tokenizer.model", std::string("\x13\x37garbage\xff\xfe not a protobuf", 27));
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {model_path, "SentencePiece"});
  write_text(dir.path() / "tokenizer.model", "");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {model_path});
}

TEST(Tokenizer, RejectsBadTokenizerConfig) {
  MOEBENCH_REQUIRE_SHARED();
  ScratchDir dir;
  fs::copy_file(stories_dir() / "tokenizer.model", dir.path() / "tokenizer.model");
  const std::string config_path = (dir.path() / "tokenizer_config.json").string();
  write_text(config_path, R"({"add_bos_token": true,)");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {config_path, "malformed JSON"});
  write_text(config_path, R"({"add_bos_token": "yes"})");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {config_path, "'add_bos_token'", "\"yes\""});
  write_text(config_path, R"({"add_eos_token": 1})");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {config_path, "'add_eos_token'", "got 1"});
  write_text(config_path, R"([true])");
  expect_input_error([&] { Tokenizer::load(dir.path()); }, {config_path, "JSON object"});
}

TEST(Tokenizer, RejectsOutOfRangeIds) {
  MOEBENCH_REQUIRE_SHARED();
  auto tok = Tokenizer::load(stories_dir());
  expect_input_error([&] { tok->decode({1, 300, 512}); }, {"token id 512", "vocab size 512"});
  expect_input_error([&] { tok->decode({-1}); }, {"token id -1"});
  expect_input_error([&] { tok->id_to_piece(100000); }, {"token id 100000", "512"});
}

}  // namespace
}  // namespace moebench::io

namespace moebench::io {
namespace {

TEST(TokenizerSpecialTokens, SpelledSpecialTokensBecomeTheirIds) {
  MOEBENCH_REQUIRE_SHARED();
  auto tok = Tokenizer::from_model_file(
      moebench::testing::shared_dir() / "reference/tokenizers/mistral-v0.3/tokenizer.model");
  // "[INST]" is a control piece of the v0.3 vocabulary; "</s>" is EOS.
  const int32_t inst = [&] {
    for (int32_t id = 0; id < tok->vocab_size(); ++id)
      if (tok->id_to_piece(id) == "[INST]") return id;
    return -1;
  }();
  ASSERT_GE(inst, 0);
  auto ids = tok->encode("[INST] Hi [/INST] Hello</s>", false);
  EXPECT_EQ(ids.front(), inst);
  EXPECT_EQ(ids.back(), tok->eos_id());
  // The text between two special tokens is encoded on its own (dummy prefix included).
  auto segment = tok->encode(" Hi ", false);
  EXPECT_TRUE(std::equal(segment.begin(), segment.end(), ids.begin() + 1));
}

}  // namespace
}  // namespace moebench::io

namespace moebench::io {
namespace {

// A ChatML model directory as fine-tunes such as OpenHermes-2.5 ship it: the
// base tokenizer.model plus tokens appended after its 32,000 pieces.
class AddedTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    MOEBENCH_REQUIRE_SHARED();
    fs::copy_file(reference() / "tokenizers" / "llama2" / "tokenizer.model", dir.path() / "tokenizer.model");
    base = Tokenizer::from_model_file(dir.path() / "tokenizer.model");
  }
  void write_config(const std::string& text) { write_text(dir.path() / "tokenizer_config.json", text); }
  std::shared_ptr<const Tokenizer> load() { return Tokenizer::load(dir.path()); }
  std::string config_path() const { return (dir.path() / "tokenizer_config.json").string(); }

  ScratchDir dir;
  std::shared_ptr<const Tokenizer> base;
};

constexpr const char* kChatMlConfig = R"({
  "add_bos_token": true, "bos_token": "<s>", "eos_token": "<|im_end|>",
  "added_tokens_decoder": {
    "0": {"content": "<unk>", "special": true},
    "1": {"content": "<s>", "special": true},
    "2": {"content": "</s>", "special": true},
    "32000": {"content": "<|im_end|>", "special": true, "lstrip": false},
    "32001": {"content": "<|im_start|>", "special": true}
  }
})";

std::vector<int32_t> cat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_F(AddedTokens, ChatMlTokensAreSingleIdsAndEndGeneration) {
  write_config(kChatMlConfig);
  auto tok = load();
  EXPECT_EQ(tok->vocab_size(), 32002);
  EXPECT_EQ(tok->eos_id(), 32000);  // tokenizer_config's eos_token, not tokenizer.model's </s>
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->id_to_piece(32001), "<|im_start|>");
  EXPECT_EQ(tok->token_to_id("<|im_end|>"), 32000);
  // Text between added tokens is encoded on its own, with the dummy prefix,
  // as Hugging Face's legacy Llama tokenizers do for every special token.
  const std::string text = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(tok->encode(text, false),
            cat({{32001}, base->encode("user\nHello", false), {32000}, base->encode("\n", false), {32001},
                 base->encode("assistant\n", false)}));
  // Special added tokens are skipped in text, as lm-eval decodes generations;
  // each segment's dummy-prefix space stays except the first one of the whole
  // text (Hugging Face's fast Llama decoder strips one leading space).
  EXPECT_EQ(tok->decode(tok->encode(text)), "user\nHello \n assistant\n");
}

TEST_F(AddedTokens, NonSpecialTokensDecodeAsTheirText) {
  write_config(R"({"added_tokens_decoder": {"32000": {"content": "<tool>", "special": false}}})");
  write_text(dir.path() / "added_tokens.json", R"({"<tool>": 32000, "<|sep|>": 32001})");
  auto tok = load();
  EXPECT_EQ(tok->vocab_size(), 32002);
  EXPECT_EQ(tok->eos_id(), 2);
  const std::vector<int32_t> ids = tok->encode("Hi<tool> there<|sep|>", false);
  EXPECT_EQ(ids, cat({base->encode("Hi", false), {32000}, base->encode(" there", false), {32001}}));
  // " there" is encoded as "▁▁there" (dummy prefix + its space); both spaces
  // are kept after an added token's text: only the first piece of the whole
  // text loses its dummy-prefix space.
  EXPECT_EQ(tok->decode(ids), "Hi<tool>  there<|sep|>");
  EXPECT_EQ(tok->decode({32000, 32001}), "<tool><|sep|>");
}

TEST_F(AddedTokens, EosNamedInAddedTokensJsonIsSpecial) {
  write_config(R"({"eos_token": {"content": "<|im_end|>"}, "additional_special_tokens": ["<|im_start|>"]})");
  write_text(dir.path() / "added_tokens.json", R"({"<|im_end|>": 32000, "<|im_start|>": 32001})");
  auto tok = load();
  EXPECT_EQ(tok->eos_id(), 32000);
  EXPECT_EQ(tok->decode({32001, 15043, 32000}), "Hello");
}

TEST_F(AddedTokens, RejectsBrokenDeclarations) {
  const std::string config = config_path();
  const std::string added = (dir.path() / "added_tokens.json").string();
  write_config(R"({"added_tokens_decoder": {"1": {"content": "<bos>"}}})");
  expect_input_error([&] { load(); }, {config, "added_tokens_decoder.1", "'<bos>'", "'<s>'"});
  write_config(R"({"added_tokens_decoder": {"x1": {"content": "<a>"}}})");
  expect_input_error([&] { load(); }, {config, "'x1' is not a token id"});
  write_config(R"({"added_tokens_decoder": {"32000": "<a>"}})");
  expect_input_error([&] { load(); }, {config, "added_tokens_decoder.32000", "content"});
  write_config(R"({"added_tokens_decoder": {"32000": {"content": "<a>", "special": "yes"}}})");
  expect_input_error([&] { load(); }, {config, "special", "\"yes\""});
  write_config(R"({"added_tokens_decoder": {"32000": {"content": "<a>"}, "32001": {"content": "<a>"}}})");
  expect_input_error([&] { load(); }, {config, "'<a>' is both token 32000 and token 32001"});
  write_config(R"({"eos_token": "<|im_end|>"})");
  expect_input_error([&] { load(); }, {config, "'eos_token'", "'<|im_end|>'", "neither"});
  write_config(R"({"eos_token": 7})");
  expect_input_error([&] { load(); }, {config, "'eos_token'", "got 7"});

  write_config(R"({"added_tokens_decoder": {"32000": {"content": "<a>"}}})");
  write_text(added, R"({"<b>": 32000})");
  expect_input_error([&] { load(); }, {added, "'<b>'", "'<a>'"});
  write_text(added, R"({"<b>": "32001"})");
  expect_input_error([&] { load(); }, {added, "'<b>'", "expected a token id"});
  write_text(added, R"({"<b>": 32003})");
  auto tok = load();  // 32001 and 32002 are gaps: in range, but no token
  EXPECT_EQ(tok->vocab_size(), 32004);
  expect_input_error([&] { tok->decode({32002}); }, {"token id 32002", "no added token"});
  // A pad_token the vocabulary lacks is ignored (transformers would append it).
  write_text(added, "{}");
  write_config(R"({"pad_token": "[PAD]"})");
  EXPECT_EQ(load()->pad_id(), -1);
}

}  // namespace
}  // namespace moebench::io
