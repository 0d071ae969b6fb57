// The inference fast paths (blocked causal attention, grouped MoE dispatch,
// matrix-vector products for one token, chunked scoring) against the
// straightforward forms that training still runs, and the CPU thread setup.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "harness/model/attention.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/expert_mlp.h"
#include "harness/model/language_model_impl.h"
#include "harness/model/torch_compat.h"
#include "tests/testing/tiny_models.h"

namespace moebench::model {
namespace {

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(FastPaths, CausalAttentionInBlocksEqualsTheMaskedForm) {
  at::manual_seed(3);
  // 300 queries cross blocks of 64 and end in a partial one; 6 query heads share 2 kv heads.
  const int64_t B = 2, H = 6, KV = 2, T = 300, D = 16;
  const at::Tensor q = at::randn({B, H, T, D}), k = at::randn({B, KV, T, D}), v = at::randn({B, KV, T, D});
  const at::Tensor pos = at::arange(T);
  const at::Tensor causal = (pos.unsqueeze(0) <= pos.unsqueeze(1)).view({1, 1, T, T}).expand({B, 1, T, T});
  const at::Tensor reference = compat::grouped_attention(q, k, v, causal, 0.25);
  for (int64_t block : {1, 64, 128, 512}) {
    EXPECT_LT(max_diff(causal_attention(q, k, v, 0.25, block), reference), 1e-5) << "block " << block;
  }
  // A query head reads kv head h / (H / KV): swapping kv heads must change the result.
  EXPECT_GT(max_diff(causal_attention(q, k.flip(1), v.flip(1), 0.25), reference), 1e-2);
}

TEST(FastPaths, GroupedMoeDispatchEqualsThePerExpertForm) {
  at::manual_seed(5);
  const int64_t H = 32, I = 48, E = 5, N = 37, k = 2;
  std::vector<ExpertWeights> experts;
  for (int64_t e = 0; e < E; ++e) experts.push_back({at::randn({I, H}), at::randn({I, H}), at::randn({H, I})});
  const at::Tensor tokens = at::randn({N, H});
  // Experts 0..3 only (4 gets no token) and distinct pairs per token, as top-k gives.
  at::Tensor ids = at::stack({at::randint(0, 2, {N}), at::randint(2, 4, {N})}, 1);
  const at::Tensor weights = at::softmax(at::randn({N, k}), -1);
  c10::InferenceMode guard;
  const at::Tensor reference = moe_per_expert(tokens, ids, weights, experts);
  EXPECT_LT(max_diff(moe_grouped(tokens, ids, weights, experts), reference), 1e-5 * reference.abs().max().item<double>());
  // One token (decoding) and a single expert in use.
  EXPECT_LT(max_diff(moe_grouped(tokens.narrow(0, 0, 1), ids.narrow(0, 0, 1), weights.narrow(0, 0, 1), experts),
                     reference.narrow(0, 0, 1)),
            1e-5 * reference.abs().max().item<double>());
  const at::Tensor same = at::full({N, 1}, 3, at::kLong);
  EXPECT_LT(max_diff(moe_grouped(tokens, same, at::ones({N, 1}), experts), swiglu(tokens, experts[3])), 1e-4);
}

TEST(FastPaths, OneRowProductEqualsLinear) {
  at::manual_seed(7);
  const at::Tensor w = at::randn({96, 64}), x = at::randn({1, 1, 64});
  EXPECT_EQ(project(x, w).sizes(), at::IntArrayRef({1, 1, 96}));
  EXPECT_LT(max_diff(project(x, w), at::linear(x, w)), 1e-4);
  // bfloat16 keeps the matrix product (libtorch's CPU mv is fp32/fp64 territory).
  EXPECT_LT(max_diff(project(x.to(at::kBFloat16), w.to(at::kBFloat16)).to(at::kFloat), at::linear(x, w)), 0.5);
}

// The whole forward pass: inference (fast paths) against grad mode (the
// straightforward forms), on a Mixtral with right-padded rows of unequal length.
TEST(FastPaths, InferenceForwardEqualsTheStraightforwardForward) {
  TinyModelSpec spec;
  spec.max_position_embeddings = 512;
  auto lm = LanguageModel::load(testing::tiny_model_dir(spec, "mixtral-512"));
  const Transformer& model = lm->runtime().transformer();
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> id(3, static_cast<int32_t>(lm->config().vocab_size) - 1);
  std::vector<std::vector<int32_t>> rows(3);
  for (size_t r = 0; r < rows.size(); ++r) {
    rows[r].push_back(1);
    for (int t = 0; t < 300 - 90 * static_cast<int>(r); ++t) rows[r].push_back(id(rng));
  }
  std::vector<const std::vector<int32_t>*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  const ForwardBatch batch = make_batch(ptrs, {0, 1, 2}, 0);
  at::Tensor fast, reference;
  {
    c10::InferenceMode guard;
    fast = model.forward(batch, nullptr);
  }
  {
    at::AutoGradMode grad(true);
    reference = model.forward(batch, nullptr).detach();
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    const int64_t n = static_cast<int64_t>(rows[r].size());
    EXPECT_LT(max_diff(fast[r].narrow(0, 0, n), reference[r].narrow(0, 0, n)), 1e-5) << "row " << r;
  }
}

TEST(FastPaths, ScoringInChunksEqualsLogSoftmaxOfLogits) {
  TinyModelSpec spec;
  spec.max_position_embeddings = 512;
  auto lm = LanguageModel::load(testing::tiny_model_dir(spec, "mixtral-512"));
  std::mt19937 rng(13);
  std::uniform_int_distribution<int32_t> id(3, static_cast<int32_t>(lm->config().vocab_size) - 1);
  // 300 scored tokens: three chunks of rows, the last one partial.
  LoglikelihoodRequest r{{1}, {}};
  for (int t = 0; t < 300; ++t) r.continuation.push_back(id(rng));
  const auto res = lm->loglikelihood({r}, 1)[0];
  std::vector<int32_t> all = r.context;
  all.insert(all.end(), r.continuation.begin(), r.continuation.end() - 1);
  const auto logits = lm->logits(all);
  ASSERT_EQ(res.token_logprobs.size(), 300u);
  for (size_t t = 0; t < 300; ++t) {
    const auto& row = logits[t];
    double mx = -std::numeric_limits<double>::infinity(), sum = 0;
    for (float v : row) mx = std::max<double>(mx, v);
    for (float v : row) sum += std::exp(v - mx);
    EXPECT_NEAR(res.token_logprobs[t], row[r.continuation[t]] - mx - std::log(sum), 1e-5) << "token " << t;
  }
}

TEST(CpuThreads, BlasGetsTheThreadsAndLibtorchRunsInline) {
  EXPECT_EQ(use_cpu_threads(1), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(use_cpu_threads(2), 2);
  EXPECT_EQ(blas_threads(), 2);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_GE(use_cpu_threads(0), 1);
}

}  // namespace
}  // namespace moebench::model
