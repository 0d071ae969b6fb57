// Multiple-choice scoring throughput on a ~100M-parameter random Llama, CPU
// fp32: the bundled truthfulness task's requests one at a time (batch 1, no
// sharing) vs the engine (length-sorted batches, shared contexts).
//   build/tests/moebench_bench --benchmark_filter=MultipleChoice
#include <benchmark/benchmark.h>

#include <filesystem>

#include "harness/engine/engine.h"
#include "harness/eval/evaluator.h"
#include "harness/eval/suite.h"
#include "harness/eval/task_selection.h"
#include "tests/bench/bench_models.h"

namespace {

namespace fs = std::filesystem;
using namespace moebench;

std::shared_ptr<const model::LanguageModel> model_100m() {
  static auto lm = [] {
    const fs::path dir = moebench::bench::llama_100m_dir();
    return std::shared_ptr<const model::LanguageModel>(model::LanguageModel::load(dir));
  }();
  return lm;
}

// The first 24 documents of the truthfulness task: 24 contexts, ~6 choices each.
const std::vector<engine::Request>& mc_requests() {
  static std::vector<engine::Request> requests = [] {
    auto suite = eval::load_suite("truthfulness", eval::default_tasks_dir());
    static auto tasks = eval::load_suite_tasks(suite);
    eval::EvalConfig config;
    config.limit = 24;
    return eval::prepare_task(tasks.at(0), config).flat;
  }();
  return requests;
}

void BM_MultipleChoiceOneAtATime(benchmark::State& state) {
  auto lm = model_100m();
  engine::EngineOptions options;
  options.batch_size = 1;
  options.show_progress = false;
  engine::Engine engine(lm, options);
  const auto& requests = mc_requests();
  for (auto _ : state) {
    for (const auto& r : requests) benchmark::DoNotOptimize(engine.run({r}, "bench"));
  }
  state.counters["requests/s"] = benchmark::Counter(
      static_cast<double>(requests.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MultipleChoiceOneAtATime)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_MultipleChoiceEngine(benchmark::State& state) {
  auto lm = model_100m();
  engine::EngineOptions options;
  options.batch_size = static_cast<int>(state.range(0));
  options.show_progress = false;
  engine::Engine engine(lm, options);
  const auto& requests = mc_requests();
  for (auto _ : state) benchmark::DoNotOptimize(engine.run(requests, "bench"));
  state.counters["requests/s"] = benchmark::Counter(
      static_cast<double>(requests.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MultipleChoiceEngine)->Arg(16)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
