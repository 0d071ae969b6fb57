// `moebench bench`: the speed of one model shape on one device, measured on a
// random model of that shape written as a Hugging Face directory (so other
// engines can be timed on exactly the same weights) and loaded the way every
// command loads a model.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/model/language_model.h"
#include "harness/model/tiny_model.h"

namespace moebench::jobs {

struct BenchOptions {
  model::TinyModelSpec shape;        // arch, sizes, experts, seed; its dtype is the stored one
  std::filesystem::path model_dir;   // a model on disk to measure instead of a random one
  model::LoadOptions load;           // device, dtype and threads of the run
  std::filesystem::path save_dir;    // where the model is written and kept; empty: a temporary directory
  int warmup = 1, repeats = 3;       // untimed and timed runs of every measurement
  int score_tokens = 512;            // tokens per scored sequence (logits at every position)
  std::vector<int> score_batches{1, 16};
  int decode_tokens = 128;           // new tokens per sequence, from a one-token prompt
  std::vector<int> decode_batches{1, 8, 32};
};

// One measured row: `runs` holds each timed run's rate in `unit`.
struct BenchRow {
  std::string work;      // "load", "score", "decode"
  int batch = 0;         // sequences per run (0 for load)
  int64_t tokens = 0;    // tokens per run (bytes for load)
  std::string unit;      // "tokens/s", "GB/s"
  std::vector<double> runs;
  double mean = 0, stdev = 0;
  double gflops = 0;     // 2 x active parameters x tokens/s / 1e9 (0 for load)
  double weights_gbs = 0;  // decode: active weight bytes read per step x steps/s / 1e9
};

struct BenchReport {
  std::filesystem::path model_dir;  // empty once a temporary directory is removed
  int64_t parameters = 0, active_parameters = 0, bytes_on_disk = 0;
  std::string device, dtype;
  int threads = 0;     // BLAS threads on CPU
  std::string blas;    // e.g. "OpenBLAS SkylakeX"
  int64_t active_weight_bytes = 0;  // what one decoding step reads: active parameters x dtype size
  double copy_gbs = 0;              // this machine's memory copy rate (CPU runs), for comparison
  std::vector<BenchRow> rows;
};

// What the job says while it works (one line per measurement).
using BenchLog = std::function<void(const std::string&)>;

// Checks every option (InputError naming the flag and value), writes the
// random model (unless model_dir names one), then measures: load to first token; scoring `score_tokens` tokens at
// each batch size; greedy decoding at each batch size.
BenchReport run_bench(const BenchOptions& options, const BenchLog& log = {});

// The report as one aligned table, and as JSON with the same rows.
std::string bench_table(const BenchReport& report);
nlohmann::ordered_json bench_json(const BenchReport& report);

}  // namespace moebench::jobs
