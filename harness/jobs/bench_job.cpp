#include "harness/jobs/bench_job.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "harness/io/parameter_count.h"
#include "harness/model/cpu_threads.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::jobs {
namespace {

namespace fs = std::filesystem;

void check_options(const BenchOptions& o) {
  model::check_load_options(o.load);
  if (o.warmup < 0) fail_input("--warmup", "expected 0 or more runs, got {}", o.warmup);
  if (o.repeats < 1) fail_input("--repeats", "expected 1 or more runs, got {}", o.repeats);
  if (o.score_tokens < 2) fail_input("--score-tokens", "expected 2 or more tokens, got {}", o.score_tokens);
  if (o.decode_tokens < 1) fail_input("--decode-tokens", "expected 1 or more tokens, got {}", o.decode_tokens);
  for (int b : o.score_batches)
    if (b < 1) fail_input("--score-batches", "expected batch sizes of 1 or more, got {}", b);
  for (int b : o.decode_batches)
    if (b < 1) fail_input("--decode-batches", "expected batch sizes of 1 or more, got {}", b);
  if (!o.save_dir.empty() && fs::exists(o.save_dir))
    fail_input("--save", "{} already exists (bench writes a new model directory)", o.save_dir.string());
  if (o.model_dir.empty()) model::validate_tiny_model_spec(o.shape);
}

// A directory removed when the bench ends, unless the model was asked to stay.
struct ModelDirectory {
  fs::path path;
  bool keep = false;
  ~ModelDirectory() {
    std::error_code ignored;
    if (!keep && !path.empty()) fs::remove_all(path.parent_path(), ignored);
  }
};

int64_t safetensors_bytes(const fs::path& dir) {
  int64_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors") bytes += static_cast<int64_t>(entry.file_size());
  return bytes;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void summarise(BenchRow& row) {
  double sum = 0;
  for (double r : row.runs) sum += r;
  row.mean = sum / static_cast<double>(row.runs.size());
  double squares = 0;
  for (double r : row.runs) squares += (r - row.mean) * (r - row.mean);
  row.stdev = row.runs.size() > 1 ? std::sqrt(squares / static_cast<double>(row.runs.size() - 1)) : 0.0;
}

std::vector<int32_t> random_ids(std::mt19937& rng, int64_t vocab, int n) {
  std::uniform_int_distribution<int32_t> id(3, static_cast<int32_t>(vocab - 1));  // past unk, BOS, EOS
  std::vector<int32_t> ids(n);
  for (auto& x : ids) x = id(rng);
  return ids;
}

// Bytes per second of a large memcpy split over `threads` threads (best of
// three after a first pass that maps the pages): what decoding can at most
// stream its weights at.
double copy_rate(int threads) {
  const size_t bytes = size_t(256) << 20;
  std::vector<char> from(bytes, 1), to(bytes, 0);
  double best = 0;
  for (int pass = 0; pass < 4; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    const size_t share = bytes / static_cast<size_t>(threads);
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] { std::memcpy(to.data() + t * share, from.data() + t * share, share); });
    for (auto& w : workers) w.join();
    if (pass > 0) best = std::max(best, static_cast<double>(bytes) / seconds_since(start));
  }
  return best;
}

int dtype_bytes(const std::string& dtype) { return dtype == "float32" ? 4 : 2; }

}  // namespace

BenchReport run_bench(const BenchOptions& options, const BenchLog& log) {
  BenchOptions o = options;
  o.shape.max_position_embeddings =
      std::max<int64_t>({o.shape.max_position_embeddings, o.score_tokens, o.decode_tokens + 1});
  // Half precision runs are stored in bfloat16: half the disk and the writing.
  const std::string dtype = model::canonical_dtype(o.load.dtype);
  o.shape.dtype = dtype == "bfloat16" || dtype == "float16" ? "bfloat16" : "float32";
  check_options(o);
  auto say = [&](const std::string& line) {
    if (log) log(line);
  };

  ModelDirectory dir;
  BenchReport report;
  if (!o.model_dir.empty()) {
    dir.path = o.model_dir;
    dir.keep = true;
  } else {
    if (o.save_dir.empty()) {
      std::string scratch = (fs::temp_directory_path() / "moebench-bench-XXXXXX").string();
      if (!mkdtemp(scratch.data()))
        fail_input("bench", "cannot create a directory under {}", fs::temp_directory_path().string());
      dir.path = fs::path(scratch) / "model";
    } else {
      dir.path = o.save_dir;
      dir.keep = true;
    }
    const io::ModelConfig shape = io::ModelConfig::from_json(model::tiny_config_json(o.shape), "bench");
    say(fmt::format("writing a random {} of {} parameters ({}) to {}", o.shape.arch,
                    human_count(static_cast<double>(io::count_parameters(shape).total)), o.shape.dtype,
                    dir.path.string()));
    model::make_tiny_model(o.shape, dir.path);
  }
  const io::ModelConfig config = io::ModelConfig::load(dir.path);
  const io::ParameterCounts counts = io::count_parameters(config);
  report.model_dir = dir.keep ? dir.path : fs::path();
  report.parameters = counts.total;
  // The input embedding is a lookup, not a product: leave it out of the FLOPs.
  report.active_parameters = counts.active - config.vocab_size * config.hidden_size;
  report.bytes_on_disk = safetensors_bytes(dir.path);
  const int runs = o.warmup + o.repeats;

  // Load to first token: reading (or mapping) the weights, placing them, one forward.
  std::shared_ptr<model::LanguageModel> lm;
  BenchRow load{"load", 0, report.bytes_on_disk, "GB/s", {}};
  for (int r = 0; r < runs; ++r) {
    say(fmt::format("load to first token: run {} of {}", r + 1, runs));
    lm.reset();
    const auto start = std::chrono::steady_clock::now();
    lm = model::LanguageModel::load(dir.path, o.load);
    lm->logits({lm->tokenizer().bos_id()});
    if (r >= o.warmup) load.runs.push_back(static_cast<double>(report.bytes_on_disk) / 1e9 / seconds_since(start));
  }
  summarise(load);
  report.rows.push_back(load);
  report.device = lm->device();
  report.dtype = lm->dtype();
  report.threads = lm->device() == "cpu" ? model::blas_threads() : 0;
  report.blas = model::blas_kernels();
  report.active_weight_bytes = report.active_parameters * dtype_bytes(report.dtype);
  if (report.threads > 0) report.copy_gbs = copy_rate(report.threads) / 1e9;

  if (o.score_tokens > lm->max_length())
    fail_input("--score-tokens", "{} tokens do not fit the model's context of {}", o.score_tokens, lm->max_length());
  if (o.decode_tokens >= lm->max_length())
    fail_input("--decode-tokens", "{} tokens do not fit the model's context of {}", o.decode_tokens, lm->max_length());
  std::mt19937 rng(o.shape.seed);
  const int32_t bos = lm->tokenizer().bos_id();
  for (int batch : o.score_batches) {
    std::vector<model::LoglikelihoodRequest> requests(batch);
    for (auto& r : requests) r = {{bos}, random_ids(rng, config.vocab_size, o.score_tokens)};
    BenchRow row{"score", batch, static_cast<int64_t>(batch) * o.score_tokens, "tokens/s", {}};
    for (int r = 0; r < runs; ++r) {
      say(fmt::format("score {} tokens, batch {}: run {} of {}", o.score_tokens, batch, r + 1, runs));
      const auto start = std::chrono::steady_clock::now();
      lm->loglikelihood(requests, batch);
      if (r >= o.warmup) row.runs.push_back(static_cast<double>(row.tokens) / seconds_since(start));
    }
    report.rows.push_back(row);
  }
  for (int batch : o.decode_batches) {
    // One-token prompts, as llama-bench's generation test: the rate is decoding's.
    std::vector<model::GenerationRequest> requests(batch);
    for (auto& r : requests) r = {{bos}, o.decode_tokens, {}};
    BenchRow row{"decode", batch, static_cast<int64_t>(batch) * o.decode_tokens, "tokens/s", {}};
    for (int r = 0; r < runs; ++r) {
      say(fmt::format("decode {} tokens, batch {}: run {} of {}", o.decode_tokens, batch, r + 1, runs));
      const auto start = std::chrono::steady_clock::now();
      int64_t generated = 0;
      for (const auto& g : lm->generate(requests, batch)) generated += static_cast<int64_t>(g.tokens.size());
      // A random model may end a sequence at EOS: count what was generated.
      row.tokens = generated;
      if (r >= o.warmup) row.runs.push_back(static_cast<double>(generated) / seconds_since(start));
    }
    report.rows.push_back(row);
  }
  for (auto& row : report.rows) {
    if (row.work == "load") continue;
    summarise(row);
    row.gflops = 2.0 * static_cast<double>(report.active_parameters) * row.mean / 1e9;
    // A decoding step reads the active weights once for the whole batch.
    if (row.work == "decode")
      row.weights_gbs = static_cast<double>(report.active_weight_bytes) * row.mean / row.batch / 1e9;
  }
  return report;
}

std::string bench_table(const BenchReport& report) {
  std::string out = fmt::format("{} parameters ({} per token in matrix products), {} on {}",
                                human_count(static_cast<double>(report.parameters)),
                                human_count(static_cast<double>(report.active_parameters)), report.dtype, report.device);
  if (report.threads > 0) out += fmt::format(", {} with {} threads", report.blas, report.threads);
  out += "\n";
  if (report.copy_gbs > 0)
    out += fmt::format("memory copy on this machine: {:.1f} GB/s; a decoding step reads {} of weights\n", report.copy_gbs,
                       human_bytes(static_cast<double>(report.active_weight_bytes)));
  // "±" is two bytes but one column: pad by hand.
  out += fmt::format("\n{:<30} {:>24} {:>9} {:>12}\n", "work", "mean +- stdev", "GFLOP/s", "weights GB/s");
  for (const BenchRow& row : report.rows) {
    std::string work = row.work == "load"    ? fmt::format("load to first token ({})", human_bytes(static_cast<double>(row.tokens)))
                       : row.work == "score" ? fmt::format("score {} tokens, batch {}", row.tokens / row.batch, row.batch)
                                             : fmt::format("decode, batch {}", row.batch);
    const std::string value = fmt::format("{:.1f} ± {:.1f} {}", row.mean, row.stdev, row.unit);
    out += fmt::format("{:<30} {:>{}} {:>9} {:>12}\n", work, value, 25, row.gflops > 0 ? fmt::format("{:.1f}", row.gflops) : "",
                       row.weights_gbs > 0 ? fmt::format("{:.1f}", row.weights_gbs) : "");
  }
  return out;
}

nlohmann::ordered_json bench_json(const BenchReport& report) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const BenchRow& row : report.rows) {
    rows.push_back({{"work", row.work}, {"batch", row.batch}, {"tokens", row.tokens}, {"unit", row.unit},
                    {"mean", row.mean}, {"stdev", row.stdev}, {"runs", row.runs}, {"gflops", row.gflops},
                    {"weights_gbs", row.weights_gbs}});
  }
  return {{"model_dir", report.model_dir.string()}, {"parameters", report.parameters},
          {"active_parameters", report.active_parameters}, {"bytes_on_disk", report.bytes_on_disk},
          {"device", report.device}, {"dtype", report.dtype}, {"threads", report.threads}, {"blas", report.blas},
          {"active_weight_bytes", report.active_weight_bytes}, {"copy_gbs", report.copy_gbs}, {"rows", rows}};
}

}  // namespace moebench::jobs
