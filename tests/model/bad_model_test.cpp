// Bad model directories and bad requests: one clear InputError, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "harness/model/language_model.h"
#include "harness/util/error.h"
#include "tests/testing/tiny_models.h"
#include "tests/testing/test_env.h"

namespace moebench::model {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A copy of the tiny Llama whose config.json is edited by `edit`.
fs::path edited_copy(const moebench::testing::ScratchDir& scratch,
                     const std::function<void(nlohmann::json&)>& edit) {
  TinyModelSpec spec;
  spec.arch = "llama";
  fs::path src = testing::tiny_model_dir(spec, "llama"), dst = scratch.path() / "model";
  fs::copy(src, dst, fs::copy_options::recursive);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(dst / "config.json"));
  edit(config);
  std::ofstream(dst / "config.json") << config.dump(2);
  return dst;
}

std::string load_error(const fs::path& dir, const LoadOptions& options = {}) {
  try {
    LanguageModel::load(dir, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(BadModel, TensorShapeDisagreesWithConfig) {
  moebench::testing::ScratchDir scratch;
  auto dir = edited_copy(scratch, [](auto& c) { c["intermediate_size"] = 170; });
  EXPECT_THAT(load_error(dir), AllOf(HasSubstr("model.layers.0.mlp.gate_proj.weight"),
                                     HasSubstr("[160, 64]"), HasSubstr("[170, 64]")));
}

TEST(BadModel, ConfigNamesMoreLayersThanStored) {
  moebench::testing::ScratchDir scratch;
  auto dir = edited_copy(scratch, [](auto& c) { c["num_hidden_layers"] = 3; });
  EXPECT_THAT(load_error(dir), HasSubstr("model.layers.2."));
}

TEST(BadModel, MissingLmHeadWhenNotTied) {
  moebench::testing::ScratchDir scratch;
  TinyModelSpec spec;
  spec.arch = "llama";
  spec.tie_word_embeddings = true;  // no lm_head.weight written
  fs::path src = testing::tiny_model_dir(spec, "llama-tied"), dst = scratch.path() / "m";
  fs::copy(src, dst, fs::copy_options::recursive);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(dst / "config.json"));
  config["tie_word_embeddings"] = false;
  std::ofstream(dst / "config.json") << config.dump();
  EXPECT_THAT(load_error(dst), HasSubstr("lm_head.weight"));
}

TEST(BadModel, BadDeviceAndDtype) {
  TinyModelSpec spec;
  spec.arch = "llama";
  auto dir = testing::tiny_model_dir(spec, "llama");
  EXPECT_THAT(load_error(dir, {"tpu", "float32", 0}), AllOf(HasSubstr("--device"), HasSubstr("tpu")));
  EXPECT_THAT(load_error(dir, {"cpu", "float8", 0}), AllOf(HasSubstr("--dtype"), HasSubstr("float8")));
}

TEST(BadModel, TokenIdsOutsideTheVocabulary) {
  TinyModelSpec spec;
  spec.arch = "llama";
  auto lm = LanguageModel::load(testing::tiny_model_dir(spec, "llama"));
  EXPECT_THROW(lm->logits({1, 512}), InputError);
  EXPECT_THROW(lm->logits({1, -3}), InputError);
  EXPECT_THROW(lm->logits({}), InputError);
  EXPECT_THROW(lm->loglikelihood({{{1}, {}}}), InputError);
  EXPECT_THROW(lm->loglikelihood({{{}, {5}}}), InputError);
  EXPECT_THROW(lm->generate({{{1, 9999}, 4, {}}}), InputError);
  EXPECT_THROW(lm->generate({{{1}, 4, {}}}, 0), InputError);
}

}  // namespace
}  // namespace moebench::model
