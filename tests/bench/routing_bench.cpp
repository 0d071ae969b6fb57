// The cost of routing logs: the same plan (math + truthfulness, 12 documents
// per task) evaluated with --routing none and --routing tokens, on the tiny
// Mixtral and on a larger random one (hidden 512, 8 layers, 8 experts, top-2).
//   build/tests/moebench_bench --benchmark_filter=Routing
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include "harness/model/tiny_model.h"
#include "harness/store/plan_runner.h"

namespace {

namespace fs = std::filesystem;
using namespace moebench;

fs::path model_dir(bool large) {
  fs::path dir = fs::temp_directory_path() / (large ? "moebench-bench-mixtral-large" : "moebench-bench-mixtral-tiny");
  if (!fs::exists(dir / "config.json")) {
    model::TinyModelSpec spec;
    spec.max_position_embeddings = 2048;
    if (large) {
      spec.hidden_size = 512;
      spec.intermediate_size = 1024;
      spec.num_layers = 8;
      spec.num_heads = 8;
      spec.num_kv_heads = 4;
      spec.num_experts = 8;
    }
    model::make_tiny_model(spec, dir, true);
  }
  return dir;
}

void BM_RoutingLogCost(benchmark::State& state) {
  const bool large = state.range(0) == 1, tokens = state.range(1) == 1;
  const fs::path dir = fs::temp_directory_path() / "moebench-bench-routing";
  fs::create_directories(dir);
  std::ofstream(dir / "plan.yml") << "plan: routing-bench\nsuites: [math, truthfulness]\n"
                                  << "settings: {limit: 12, batch_size: 16, routing: "
                                  << (tokens ? "tokens" : "none") << "}\nmodels:\n  - name: m\n    path: "
                                  << model_dir(large).string() << "\n";
  store::RunPlan plan = store::load_run_plan(dir / "plan.yml");
  int64_t iteration = 0;
  for (auto _ : state) {
    store::PlanRunOptions options;
    options.db = dir / ("r" + std::to_string(iteration++) + ".sqlite");
    options.show_progress = false;
    fs::remove(options.db);
    benchmark::DoNotOptimize(store::run_plan(plan, options));
  }
  state.SetLabel(std::string(large ? "mixtral 8x(512)" : "tiny mixtral") +
                 (tokens ? ", routing tokens" : ", routing none"));
}
BENCHMARK(BM_RoutingLogCost)
    ->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1})
    ->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

}  // namespace
