// The forward pass's kernels in their fast and straightforward forms, on the
// shapes of a 125M Llama (hidden 768, 12 heads of 64, 4 kv heads, intermediate
// 2048) and its 4-expert Mixtral, fp32 CPU:
//   build/tests/moebench_bench --benchmark_filter=Kernel
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <benchmark/benchmark.h>

#include "harness/model/attention.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/expert_mlp.h"
#include "harness/model/torch_compat.h"

namespace {

using namespace moebench::model;

// Causal attention over T tokens: blocked (arg 1) or through a [T, T] mask (arg 0).
void BM_KernelCausalAttention(benchmark::State& state) {
  use_cpu_threads();
  c10::InferenceMode guard;
  const int64_t T = state.range(1);
  const at::Tensor q = at::randn({1, 12, T, 64}), k = at::randn({1, 4, T, 64}), v = at::randn({1, 4, T, 64});
  const at::Tensor pos = at::arange(T);
  const at::Tensor mask = (pos.unsqueeze(0) <= pos.unsqueeze(1)).view({1, 1, T, T});
  for (auto _ : state) {
    benchmark::DoNotOptimize(state.range(0) ? causal_attention(q, k, v, 0.125)
                                            : compat::grouped_attention(q, k, v, mask, 0.125));
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(T), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_KernelCausalAttention)->ArgsProduct({{0, 1}, {128, 512}})->Unit(benchmark::kMillisecond)->UseRealTime();

// One MoE layer (4 experts, top-2) over N tokens: grouped (arg 1) or per expert (arg 0).
void BM_KernelMoeDispatch(benchmark::State& state) {
  use_cpu_threads();
  c10::InferenceMode guard;
  const int64_t N = state.range(1), H = 768, I = 2048, E = 4;
  std::vector<ExpertWeights> experts;
  for (int64_t e = 0; e < E; ++e)
    experts.push_back({at::randn({I, H}) * 0.02, at::randn({I, H}) * 0.02, at::randn({H, I}) * 0.02});
  const at::Tensor tokens = at::randn({N, H});
  const auto [weights, ids] = at::softmax(at::randn({N, E}), -1).topk(2, -1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(state.range(0) ? moe_grouped(tokens, ids, weights, experts)
                                            : moe_per_expert(tokens, ids, weights, experts));
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(N), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_KernelMoeDispatch)->ArgsProduct({{0, 1}, {1, 512}})->Unit(benchmark::kMillisecond)->UseRealTime();

// One token through a [2048, 768] projection: matrix-vector (arg 1) or a one-row matrix product (arg 0).
void BM_KernelOneTokenProjection(benchmark::State& state) {
  use_cpu_threads();
  c10::InferenceMode guard;
  const at::Tensor w = at::randn({2048, 768}), x = at::randn({1, 1, 768});
  for (auto _ : state) benchmark::DoNotOptimize(state.range(0) ? project(x, w) : at::linear(x, w));
  state.counters["weights GB/s"] = benchmark::Counter(static_cast<double>(w.numel() * 4) / 1e9,
                                                      benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_KernelOneTokenProjection)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
