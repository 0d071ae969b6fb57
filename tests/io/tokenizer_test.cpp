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
