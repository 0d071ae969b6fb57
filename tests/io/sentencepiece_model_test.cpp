// Our SentencePiece BPE codec against libsentencepiece itself (linked into this
// torch-free test binary only), on real Llama/Mistral tokenizers and on the
// tokenizers our trainer writes.
#include "harness/io/sentencepiece_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <random>

#include "harness/io/bpe_trainer.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> probe_texts() {
  std::vector<std::string> texts = {
      "", " ", "  ", "\t", "\n\n", "Hello world", " Hello world", "Hello  World ",
      "Once upon a time, there was a little dog named Max.", "F\xC3\xBChrer",
      "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 emoji", "def f(x):\n    return x**2  # sq",
      "[INST] What is 12 + 7? [/INST]", "\xE2\x96\x81" "already escaped", "bad \xFF\xFE utf8 \xC3",
      "1234567890 3.14159 -42", "<s> </s> <unk> <0x41>"};
  std::mt19937 rng(11);
  const std::vector<std::string> alphabet = {
      "a", "b", "e", "t", "h", "o", " ", " ", "  ", "\n", "\t", "0", "7", ".", ",", "'", "\"",
      "-", "(", ")", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xE2\x96\x81", "Th", "ing",
      "\x00", "\xC2\xA0", "\xFF"};
  for (int i = 0; i < 1500; ++i) {
    std::string t;
    const int n = static_cast<int>(rng() % 30);
    for (int j = 0; j < n; ++j) t += alphabet[rng() % alphabet.size()];
    texts.push_back(t);
  }
  return texts;
}

void expect_same_as_libsentencepiece(const std::string& model_bytes, const std::string& name) {
  sentencepiece::SentencePieceProcessor reference;
  ASSERT_TRUE(reference.LoadFromSerializedProto(model_bytes).ok()) << name;
  SentencePieceModel ours = SentencePieceModel::parse(model_bytes, name);
  int mismatches = 0;
  for (const std::string& text : probe_texts()) {
    std::vector<int> expected;
    ASSERT_TRUE(reference.Encode(text, &expected).ok());
    std::vector<int32_t> ids = ours.encode(text);
    std::string expected_text;
    ASSERT_TRUE(reference.Decode(expected, &expected_text).ok());
    const bool same = std::vector<int>(ids.begin(), ids.end()) == expected &&
                      ours.decode(ids) == expected_text;
    if (!same && ++mismatches <= 3) ADD_FAILURE() << name << ": text '" << text << "'";
  }
  EXPECT_EQ(mismatches, 0) << name;
}

TEST(SentencePieceModel, MatchesLibSentencePieceOnRealTokenizers) {
  MOEBENCH_REQUIRE_SHARED();
  const auto ref = testing::shared_dir() / "reference";
  for (const auto& path : {ref / "tokenizers/llama2/tokenizer.model",
                           ref / "tokenizers/mistral-v0.1/tokenizer.model",
                           ref / "tokenizers/mistral-v0.3/tokenizer.model",
                           ref / "models/stories260K/tokenizer.model"}) {
    expect_same_as_libsentencepiece(read_file(path), path.string());
  }
}

std::vector<std::string> small_corpus() {
  return {"Once upon a time there was a little cat.", "The cat liked to play in the sun.",
          "Tom has 3 apples and buys 4 more; now he has 7 apples.",
          "def add(a, b):\n    return a + b", "Is the moon made of cheese? No, it is rock.",
          "\"Hello,\" said the knight. \"I serve the queen.\""};
}

TEST(BpeTrainer, TrainedModelsAreValidAndDeterministic) {
  auto a = train_bpe_tokenizer(small_corpus(), 300);
  auto b = train_bpe_tokenizer(small_corpus(), 300);
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_EQ(a.pieces().size(), 300u);
  EXPECT_EQ(a.spec().bos_id, 1);
  EXPECT_EQ(a.spec().eos_id, 2);
  EXPECT_EQ(a.spec().unk_id, 0);
  expect_same_as_libsentencepiece(a.serialize(), "trained-300");
  auto parsed = SentencePieceModel::parse(a.serialize(), "round trip");
  EXPECT_EQ(parsed.serialize(), a.serialize());
}

TEST(BpeTrainer, LoneNewlinesKeepLineBreaksOutOfEveryPiece) {
  std::vector<std::string> corpus = small_corpus();
  for (int i = 0; i < 20; ++i) corpus.push_back("def f(a, b):\n    \"\"\"Doc.\"\"\"\n    return a + b\n");
  auto merged = train_bpe_tokenizer(corpus, 300);
  auto lone = train_bpe_tokenizer(corpus, 300, /*lone_newlines=*/true);
  auto holds_newline = [](const SentencePieceModel& m) {
    for (const auto& p : m.pieces())
      if (p.type == SentencePieceModel::PieceType::Normal && p.text.find('\n') != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(holds_newline(merged));  // without the option, line breaks merge
  EXPECT_FALSE(holds_newline(lone));
  expect_same_as_libsentencepiece(lone.serialize(), "trained-300-lone-newlines");
  // A prompt ending at a line break is a prefix of the whole text's pieces.
  const std::vector<int32_t> prompt = lone.encode("def g(x, y):\n    \"\"\"Doc.\"\"\"\n");
  const std::vector<int32_t> whole = lone.encode("def g(x, y):\n    \"\"\"Doc.\"\"\"\n    return x + y");
  ASSERT_LT(prompt.size(), whole.size());
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), whole.begin()));
}

TEST(BpeTrainer, RefusesImpossibleSizes) {
  EXPECT_THROW(train_bpe_tokenizer(small_corpus(), 200), InputError);
  EXPECT_THROW(train_bpe_tokenizer({"a b"}, 400), InputError);
}

std::string parse_error(const std::string& bytes) {
  try {
    SentencePieceModel::parse(bytes, "bad.model");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SentencePieceModel, RejectsMalformedModels) {
  EXPECT_THAT(parse_error(""), HasSubstr("no pieces"));
  EXPECT_THAT(parse_error("\x0a\xff\xff\xff\xff\x0f"), HasSubstr("runs past the end"));
  EXPECT_THAT(parse_error("\x80\x80\x80"), HasSubstr("truncated varint"));
  EXPECT_THAT(parse_error(std::string("\x0f\x00", 2)), HasSubstr("wire type 7"));
  std::string model = train_bpe_tokenizer(small_corpus(), 300).serialize();
  // trainer_spec.model_type = 1 (unigram): field 2 submessage {3: 1}
  std::string unigram = model + std::string("\x12\x02\x18\x01", 4);
  EXPECT_THAT(parse_error(unigram), HasSubstr("model_type"));
  std::string charsmap = model + std::string("\x1a\x03\x12\x01x", 5);
  EXPECT_THAT(parse_error(charsmap), HasSubstr("precompiled_charsmap"));
  std::mt19937 rng(5);
  for (int i = 0; i < 500; ++i) {  // corruptions: an InputError or a usable model, never a crash
    std::string broken = model;
    for (int k = 0; k < 4; ++k) broken[rng() % broken.size()] = static_cast<char>(rng());
    try {
      SentencePieceModel m = SentencePieceModel::parse(broken, "fuzz");
      m.decode(m.encode("hello world 123"));
    } catch (const InputError&) {
    }
  }
}

}  // namespace
}  // namespace moebench::io
