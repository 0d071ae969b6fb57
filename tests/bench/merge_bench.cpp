// Streaming merge of four ~1B-parameter experts (random bfloat16 Llamas made by
// the project) into a ~3.3B Mixtral on disk, with hidden-mode gates: wall time
// and peak resident memory of the gate phase and of the write phase.
//   build/tests/moebench_bench --benchmark_filter=Merge
// Needs ~15 GB in $TMPDIR (models cached in moebench-bench-merge-1b/, reused by
// later runs; delete the directory afterwards). Not part of ctest: too slow.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness/io/parameter_count.h"
#include "harness/merge/gate_builder.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/model/tiny_model.h"

namespace {

namespace fs = std::filesystem;
using namespace moebench;

constexpr uint64_t kShardBytes = 1'000'000'000;  // 1 GB shards: seven for a 6.6 GB model

// TinyLlama-1.1B's shape with a 2048-token vocabulary: 1.0B parameters.
model::TinyModelSpec expert_spec(uint64_t seed) {
  model::TinyModelSpec spec;
  spec.arch = "llama";
  spec.hidden_size = 2048;
  spec.intermediate_size = 5632;
  spec.num_layers = 22;
  spec.num_heads = 16;
  spec.num_kv_heads = 4;
  spec.vocab_size = 2048;
  spec.max_position_embeddings = 2048;
  spec.dtype = "bfloat16";
  spec.seed = seed;
  return spec;
}

// Peak resident set (getrusage's ru_maxrss) since the last reset_peak(), in bytes.
double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024.0;
}
// Resident set now (VmRSS), in bytes.
double current_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;
  return 0;
}
// "5" > /proc/self/clear_refs resets the peak (VmHWM, and with it ru_maxrss)
// to the current RSS, so each phase gets its own peak.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

void BM_MergeFourExperts1B(benchmark::State& state) {
  const fs::path root = fs::temp_directory_path() / "moebench-bench-merge-1b";
  std::string recipe_text = "base_model: expert-0\ngate_mode: hidden\ndtype: bfloat16\nexperts:\n";
  const char* prompts[] = {"Once upon a time there was a girl", "How many apples does Tom have left?",
                           "def fibonacci(n):", "The capital of France is"};
  for (int e = 0; e < 4; ++e) {
    const fs::path dir = root / ("expert-" + std::to_string(e));
    if (!fs::exists(dir / "config.json")) {
      auto start = std::chrono::steady_clock::now();
      model::make_tiny_model(expert_spec(1000 + e), dir, /*overwrite=*/true);
      std::fprintf(stderr, "made %s in %.0f s\n", dir.c_str(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    recipe_text += "  - source_model: expert-" + std::to_string(e) + "\n    positive_prompts: [\"" +
                   prompts[e] + "\"]\n";
  }
  const merge::MergeRecipe recipe = merge::MergeRecipe::parse(recipe_text, "bench.yml");
  merge::MergeOptions options;
  options.search_dirs = {root};
  options.max_shard_bytes = kShardBytes;
  options.progress = false;
  const fs::path out = root / "merged";
  double start_rss = 0, gate_peak = 0, write_start_rss = 0, write_peak = 0, gate_s = 0, write_s = 0;
  merge::MergeSummary summary;
  for (auto _ : state) {
    fs::remove_all(out);
    reset_peak();
    start_rss = current_rss_bytes();
    auto start = std::chrono::steady_clock::now();
    merge::MergeInputs in = merge::open_merge_inputs(recipe, options, merge::InputScope::Full);
    merge::GateSet gates = merge::compute_gates(in, options);
    gate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    gate_peak = peak_rss_bytes();
    reset_peak();
    write_start_rss = current_rss_bytes();
    summary = merge::write_mixtral(in, gates, out, options);
    write_s = summary.write_seconds;
    write_peak = peak_rss_bytes();
  }
  const double GiB = 1024.0 * 1024 * 1024;
  const auto base = io::ModelConfig::load(root / "expert-0");
  const auto merged = io::ModelConfig::load(out);
  std::fprintf(stderr,
               "merge 4 x %.2fB experts -> %.2fB Mixtral (%s, %zu files, %.2f GiB): gates %.1f s, write "
               "%.1f s (%.0f MB/s); RSS before %.2f GiB; peak RSS (ru_maxrss): gate phase %.2f GiB, "
               "write phase %.2f GiB (from %.2f GiB at its start); shard cap %.2f GiB\n",
               io::count_parameters(base).total / 1e9, io::count_parameters(merged).total / 1e9,
               merged.torch_dtype.c_str(), summary.files.size(), summary.tensor_bytes / GiB, gate_s, write_s,
               summary.tensor_bytes / 1e6 / write_s, start_rss / GiB, gate_peak / GiB, write_peak / GiB,
               write_start_rss / GiB, kShardBytes / GiB);
  state.counters["gate_s"] = gate_s;
  state.counters["write_s"] = write_s;
  state.counters["gate_peak_GiB"] = gate_peak / GiB;
  state.counters["write_peak_GiB"] = write_peak / GiB;
  state.counters["peak_GiB"] = std::max(gate_peak, write_peak) / GiB;
  state.counters["output_GiB"] = summary.tensor_bytes / GiB;
  fs::remove_all(out);
}
BENCHMARK(BM_MergeFourExperts1B)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
