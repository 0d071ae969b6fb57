// Training through the model layer's forward pass: the loss falls, an expert
// fine-tune touches only the MLPs, a saved directory is the trained model, and
// a seed gives the same weights twice.
#include "harness/train/lm_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "harness/model/transformer.h"
#include "harness/model/tiny_corpus.h"
#include "harness/train/trainable_weights.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace fs = std::filesystem;

namespace moebench::train {
namespace {

model::TinyModelSpec small_spec() {
  model::TinyModelSpec s;
  s.arch = "llama";
  s.hidden_size = 32;
  s.intermediate_size = 64;
  s.num_layers = 2;
  s.num_heads = 4;
  s.num_kv_heads = 2;
  s.vocab_size = 300;
  s.max_position_embeddings = 64;
  s.seed = 7;
  return s;
}

// A learnable language: BOS, then counting up by a per-document step, EOS.
std::vector<std::vector<int32_t>> counting_documents() {
  std::vector<std::vector<int32_t>> docs;
  for (int32_t first = 10; first < 40; ++first) {
    for (int32_t step = 1; step <= 3; ++step) {
      std::vector<int32_t> d = {1};
      for (int32_t i = 0; i < 12; ++i) d.push_back(first + i * step);
      d.push_back(2);
      docs.push_back(d);
    }
  }
  return docs;
}

TrainOptions quick_options(int64_t steps) {
  TrainOptions o;
  o.steps = steps;
  o.batch_documents = 16;
  o.peak_lr = 1e-2;
  o.warmup_steps = 5;
  return o;
}

std::vector<at::Tensor> snapshot(model::ModelWeights& w) {
  std::vector<at::Tensor> out;
  for (const NamedTensor& t : named_tensors(w)) out.push_back(t.tensor->clone());
  return out;
}

TEST(LmTrainer, LossFallsOnALearnableCorpus) {
  auto w = initial_weights(small_spec());
  const TrainResult r = train_language_model(w, counting_documents(), quick_options(80));
  ASSERT_EQ(r.losses.size(), 80u);
  const double last = std::accumulate(r.losses.end() - 10, r.losses.end(), 0.0) / 10;
  EXPECT_LT(last, 0.5 * r.losses.front()) << "first " << r.losses.front() << ", last ten " << last;
}

TEST(LmTrainer, MlpOnlyTrainingLeavesEverythingElseAsItWas) {
  auto w = initial_weights(small_spec());
  const std::vector<at::Tensor> before = snapshot(*w);
  TrainOptions o = quick_options(3);
  o.mlp_only = true;
  train_language_model(w, counting_documents(), o);
  const std::vector<NamedTensor> after = named_tensors(*w);
  for (size_t i = 0; i < after.size(); ++i) {
    const bool same = at::equal(before[i], *after[i].tensor);
    EXPECT_EQ(same, !after[i].is_mlp) << after[i].name;
  }
}

TEST(LmTrainer, ASeedGivesTheSameWeightsTwice) {
  auto a = initial_weights(small_spec());
  auto b = initial_weights(small_spec());
  train_language_model(a, counting_documents(), quick_options(4));
  train_language_model(b, counting_documents(), quick_options(4));
  const auto ta = named_tensors(*a), tb = named_tensors(*b);
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_TRUE(at::equal(*ta[i].tensor, *tb[i].tensor)) << ta[i].name;
}

TEST(LmTrainer, SavedDirectoryIsTheTrainedModel) {
  const model::TinyModelSpec spec = small_spec();
  auto w = initial_weights(spec);
  train_language_model(w, counting_documents(), quick_options(3));
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "model";
  save_llama_directory(*w, spec, "float32", model::tiny_tokenizer_model(spec.vocab_size), dir);
  auto loaded = load_trainable_weights(dir);
  const auto ta = named_tensors(*w), tb = named_tensors(*loaded);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_TRUE(at::equal(*ta[i].tensor, *tb[i].tensor)) << ta[i].name;
  // Saving again replaces the directory whole; bf16 halves the file.
  const auto fp32_bytes = fs::file_size(dir / "model.safetensors");
  save_llama_directory(*w, spec, "bfloat16", model::tiny_tokenizer_model(spec.vocab_size), dir);
  EXPECT_EQ(io::ModelConfig::load(dir).torch_dtype, "bfloat16");
  EXPECT_LT(fs::file_size(dir / "model.safetensors"), fp32_bytes * 0.51);
}

TEST(LmTrainer, ScheduleWarmsUpThenDecaysToTheFinalFraction) {
  TrainOptions o;
  o.steps = 100;
  o.warmup_steps = 10;
  o.peak_lr = 1.0;
  o.final_lr_fraction = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10), 1.0);
  EXPECT_NEAR(learning_rate(o, 55), 0.55, 1e-12);
  EXPECT_NEAR(learning_rate(o, 100), 0.1, 1e-12);
}

TEST(LmTrainer, DocumentsThatDoNotFitAreRefused) {
  auto w = initial_weights(small_spec());
  EXPECT_THROW(train_language_model(w, {}, quick_options(1)), InputError);
  EXPECT_THROW(train_language_model(w, {{1}}, quick_options(1)), InputError);
  EXPECT_THROW(train_language_model(w, {std::vector<int32_t>(65, 5)}, quick_options(1)), InputError);
}

}  // namespace
}  // namespace moebench::train
