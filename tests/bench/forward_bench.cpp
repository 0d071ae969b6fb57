// Forward throughput of a ~100M-parameter random Llama on CPU in fp32:
// scoring (one forward over 128 tokens per sequence) at batch 1 and 16, and
// greedy decoding with the KV cache.
//   build/tests/moebench_bench --benchmark_filter=Forward
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "harness/io/parameter_count.h"
#include "harness/model/language_model.h"
#include "tests/bench/bench_models.h"

namespace {

namespace fs = std::filesystem;
using moebench::model::LanguageModel;

constexpr int kSeqLen = 128;

std::shared_ptr<LanguageModel> model_100m() {
  static std::shared_ptr<LanguageModel> lm = [] {
    const fs::path dir = moebench::bench::llama_100m_dir();
    auto model = LanguageModel::load(dir);
    auto counts = moebench::io::count_parameters(model->config());
    std::fprintf(stderr, "model: random Llama, %lld parameters, fp32, CPU, %d threads\n",
                 static_cast<long long>(counts.total), at::get_num_threads());
    return model;
  }();
  return lm;
}

std::vector<moebench::model::LoglikelihoodRequest> requests(int n) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> id(3, 2047);
  std::vector<moebench::model::LoglikelihoodRequest> out(n);
  for (auto& r : out) {
    r.context.push_back(1);
    for (int t = 1; t < kSeqLen; ++t) r.context.push_back(id(rng));
    r.continuation.push_back(id(rng));
  }
  return out;
}

void BM_ForwardScoring(benchmark::State& state) {
  auto lm = model_100m();
  const int batch = static_cast<int>(state.range(0));
  auto reqs = requests(batch);
  for (auto _ : state) benchmark::DoNotOptimize(lm->loglikelihood(reqs, batch));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(batch) * kSeqLen, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ForwardScoring)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_ForwardGreedyDecode(benchmark::State& state) {
  auto lm = model_100m();
  const int batch = static_cast<int>(state.range(0));
  constexpr int kNew = 32;
  std::vector<moebench::model::GenerationRequest> gens;
  for (auto& r : requests(batch)) gens.push_back({std::vector<int32_t>(r.context.begin(), r.context.begin() + 16), kNew, {}});
  // Random weights never emit EOS reliably, but count what was generated.
  int64_t generated = 0;
  for (auto _ : state) {
    for (const auto& g : lm->generate(gens, batch)) generated += static_cast<int64_t>(g.tokens.size());
  }
  state.counters["new tokens/s"] =
      benchmark::Counter(static_cast<double>(generated), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ForwardGreedyDecode)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
