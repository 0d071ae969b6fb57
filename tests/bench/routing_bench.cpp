// The cost of routing logs: the same plan (math + truthfulness) evaluated with
// --routing none and --routing tokens, on the tiny Mixtral (12 documents per
// task) and on a larger random one (hidden 512, 8 layers, 8 experts, top-2; 4
// documents per task, since its 256-token generations dominate).
//   build/tests/moebench_bench --benchmark_filter=Routing
// After one untimed run of each mode (the process's first run pays for
// loading and warming up), each iteration runs both modes back to back,
// alternating which goes first over an even number of iterations, so that a
// change in machine load falls on both; the row's counters give the mean wall
// time of each mode and the overhead of `tokens` over `none`.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/model/tiny_model.h"
#include "harness/jobs/plan_runner.h"
#include "harness/store/results_store.h"

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

jobs::RunPlan routing_plan(bool large, const char* routing) {
  const fs::path file = fs::temp_directory_path() / "moebench-bench-routing" / (std::string(routing) + ".yml");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "plan: routing-bench\nsuites: [math, truthfulness]\n"
                      << "settings: {limit: " << (large ? 4 : 12) << ", batch_size: 16, routing: "
                      << routing << "}\nmodels:\n  - name: m\n    path: "
                      << model_dir(large).string() << "\n";
  return jobs::load_run_plan(file);
}

// Wall seconds of one fresh run of `plan`.
double timed_run(const jobs::RunPlan& plan, const fs::path& db) {
  jobs::PlanRunOptions options;
  options.progress.mode = PlanProgressOptions::Mode::Off;
  fs::remove(db);
  const auto start = std::chrono::steady_clock::now();
  benchmark::DoNotOptimize(jobs::run_plan(plan, options, db));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_RoutingLogCost(benchmark::State& state) {
  const bool large = state.range(0) == 1;
  const jobs::RunPlan none = routing_plan(large, "none"), tokens = routing_plan(large, "tokens");
  const fs::path db = fs::temp_directory_path() / "moebench-bench-routing" / "results.sqlite";
  timed_run(none, db);
  timed_run(tokens, db);
  double none_s = 0, tokens_s = 0;
  int64_t iteration = 0;
  bool last_was_tokens = false;
  for (auto _ : state) {
    for (int turn = 0; turn < 2; ++turn) {
      last_was_tokens = (iteration + turn) % 2 == 1;
      (last_was_tokens ? tokens_s : none_s) += timed_run(last_was_tokens ? tokens : none, db);
    }
    ++iteration;
  }
  // Show that the `tokens` runs logged: the last one's stored routing rows.
  if (!last_was_tokens) timed_run(tokens, db);
  store::ResultsStore results = store::ResultsStore::open(db);
  store::Statement count = results.database().prepare("SELECT count(*) FROM routing");
  count.step();
  const int64_t rows = count.int64(0);
  state.counters["none_s"] = none_s / iteration;
  state.counters["tokens_s"] = tokens_s / iteration;
  state.counters["overhead_%"] = 100.0 * (tokens_s / none_s - 1.0);
  state.counters["routing_rows"] = static_cast<double>(rows);
  state.SetLabel(large ? "mixtral 8x(512), 8 layers" : "tiny mixtral");
}
BENCHMARK(BM_RoutingLogCost)->Arg(0)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(6);
BENCHMARK(BM_RoutingLogCost)->Arg(1)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

}  // namespace
