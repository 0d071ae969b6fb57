// The checks tests/gpu/check.sh runs on a GPU machine, in one process per
// step so that CUDA starts once (the test executables load every model on
// CPU). Runs on any device libtorch has, so the CPU machine dry-runs it.
//
//   moebench_gpu_check reference   --shared DIR --device cuda --out FILE.json
//       the llama.cpp reference logits, routing and greedy text of
//       ../shared/reference (as tests/model/reference_logits_test.cpp), on the
//       device; generated tiny models on the device against CPU; batch
//       invariance of scoring and generation on the device.
//   moebench_gpu_check make-random --out DIR --arch mistral|mixtral [shape flags]
//       a random bf16 checkpoint of any shape, drawn on the device (a 4x7B
//       Mixtral in seconds where make-tiny's CPU draws take minutes), with a
//       given tokenizer.model.
//   moebench_gpu_check throughput  --model DIR --device cuda --out FILE.json
//       load time, scoring and greedy decoding tokens/s, and the logits of a
//       fixed sequence (FILE.logits.f32, for the comparison with transformers).
//
// Exit status: 0 all checks passed, 1 a check failed, 2 bad input.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "harness/io/safetensors_writer.h"
#include "harness/model/language_model.h"
#include "harness/model/tiny_corpus.h"
#include "harness/model/tiny_model.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace moebench;
using model::LanguageModel;
using model::LoadOptions;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --name value pairs; flags without a value are not used here.
struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  std::string need(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) throw InputError(fmt::format("--{} is required", name));
    return it->second;
  }
  int64_t num(const std::string& name, int64_t fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : std::stoll(it->second);
  }
  std::vector<int> list(const std::string& name, const std::string& fallback) const {
    std::vector<int> out;
    std::string s = get(name, fallback);
    size_t at = 0;
    while (at < s.size()) {
      size_t comma = s.find(',', at);
      if (comma == std::string::npos) comma = s.size();
      out.push_back(std::stoi(s.substr(at, comma - at)));
      at = comma + 1;
    }
    return out;
  }
};

Args parse_args(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc)
      throw InputError(fmt::format("expected --name value, got '{}'", key));
    a.values[key.substr(2)] = argv[++i];
  }
  return a;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw InputError(fmt::format("{}: cannot be read", p.string()));
  return json::parse(in);
}

void write_json(const fs::path& p, const json& j) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream(p) << j.dump(2) << "\n";
}

std::vector<int32_t> random_ids(std::mt19937& rng, int n, int vocab) {
  std::uniform_int_distribution<int> id(3, vocab - 1);
  std::vector<int32_t> out{1};  // BOS
  for (int i = 1; i < n; ++i) out.push_back(id(rng));
  return out;
}

double max_abs_diff(const std::vector<std::vector<float>>& a,
                    const std::vector<std::vector<float>>& b) {
  double d = 0;
  for (size_t t = 0; t < a.size(); ++t)
    for (size_t v = 0; v < a[t].size(); ++v) d = std::max(d, double(std::abs(a[t][v] - b[t][v])));
  return d;
}

size_t argmax(const std::vector<float>& row) {
  return static_cast<size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

// Positions where the two rows' argmax differ.
int argmax_mismatches(const std::vector<std::vector<float>>& a,
                      const std::vector<std::vector<float>>& b) {
  int n = 0;
  for (size_t t = 0; t < a.size(); ++t) n += argmax(a[t]) != argmax(b[t]);
  return n;
}

// ---------------------------------------------------------------- reference

class RoutingRecorder : public model::RoutingSink {
 public:
  bool wants_probabilities() const override { return true; }
  void on_routing(const model::RoutingEvent& e) override {
    const int64_t n = e.batch * e.seq;
    events.push_back({e.layer, e.top_k, e.num_experts,
                      std::vector<int32_t>(e.expert_ids, e.expert_ids + n * e.top_k),
                      std::vector<float>(e.weights, e.weights + n * e.top_k),
                      std::vector<float>(e.probabilities, e.probabilities + n * e.num_experts)});
  }
  struct Event {
    int layer;
    int64_t top_k, num_experts;
    std::vector<int32_t> ids;
    std::vector<float> weights, probs;
  };
  std::vector<Event> events;
};

struct Checks {
  json list = json::array();
  bool ok = true;
  void add(const std::string& name, bool pass, json details) {
    details["name"] = name;
    details["pass"] = pass;
    ok = ok && pass;
    std::fprintf(stderr, "%s %s %s\n", pass ? "PASS" : "FAIL", name.c_str(),
                 details.dump().c_str());
    list.push_back(std::move(details));
  }
};

// tests/model/reference_logits_test.cpp's cases on `device`. The CPU
// tolerances of that test (1e-5, stories260K 1e-4) hold on CPU; on a GPU the
// same fp32 model sums in another order (and cuBLAS may pick other kernels),
// so the bound there is 10x; argmax must agree at every position everywhere.
void reference_checks(const fs::path& ref, const LoadOptions& opt, bool gpu, Checks& checks) {
  for (std::string seq : {"short16", "long64", "random32"}) {
    for (std::string m :
         {"tiny-llama", "tiny-mistral", "tiny-mixtral", "tiny-mixtral-sharded", "stories260K"}) {
      const double atol = (m == "stories260K" ? 1e-4 : 1e-5) * (gpu ? 10 : 1);
      const std::string golden_model = m == "tiny-mixtral-sharded" ? "tiny-mixtral" : m;
      json golden = read_json(ref / "logits" / (golden_model + "__" + seq + ".json"));
      auto lm = LanguageModel::load(ref / "models" / m, opt);
      auto tokens = golden["tokens"].get<std::vector<int32_t>>();
      auto logits = lm->logits(tokens);
      auto expected = golden["logits"].get<std::vector<std::vector<float>>>();
      const double diff = max_abs_diff(logits, expected);
      const int mism = argmax_mismatches(logits, expected);
      checks.add("reference_logits/" + m + "/" + seq, diff <= atol && mism == 0,
                 {{"max_abs_diff", diff},
                  {"atol", atol},
                  {"argmax_mismatches", mism},
                  {"positions", tokens.size()}});
    }
  }
  {
    json golden = read_json(ref / "logits" / "tiny-mixtral__routing.json");
    auto lm = LanguageModel::load(ref / "models" / "tiny-mixtral", opt);
    const double rtol = gpu ? 1e-4 : 1e-5;
    int id_mismatches = 0;
    double weight_diff = 0, prob_diff = 0;
    for (const auto& [name, seq] : golden["sequences"].items()) {
      RoutingRecorder rec;
      auto tokens = seq["tokens"].get<std::vector<int32_t>>();
      lm->logits(tokens, &rec);
      for (const auto& e : rec.events) {
        for (size_t t = 0; t < tokens.size(); ++t) {
          for (int64_t k = 0; k < e.top_k; ++k) {
            id_mismatches += e.ids[t * e.top_k + k] != seq["top_experts"][t][e.layer][k].get<int>();
            const double w = seq["top_weights"][t][e.layer][k].get<double>();
            weight_diff = std::max(weight_diff,
                                   std::abs(e.weights[t * e.top_k + k] - w) / (std::abs(w) + 1e-2));
          }
          for (int64_t x = 0; x < e.num_experts; ++x) {
            const double p = seq["router_probs_fp32"][t][e.layer][x].get<double>();
            prob_diff = std::max(
                prob_diff, std::abs(e.probs[t * e.num_experts + x] - p) / (std::abs(p) + 1e-2));
          }
        }
      }
    }
    checks.add("reference_routing/tiny-mixtral",
               id_mismatches == 0 && weight_diff <= rtol && prob_diff <= rtol,
               {{"expert_id_mismatches", id_mismatches},
                {"max_rel_weight_diff", weight_diff},
                {"max_rel_prob_diff", prob_diff},
                {"rtol", rtol}});
  }
  {
    auto lm = LanguageModel::load(ref / "models" / "stories260K", opt);
    json golden = read_json(ref / "logits" / "stories260K__greedy200.json");
    auto expected = golden["generated_tokens"].get<std::vector<int32_t>>();
    auto result = lm->generate({{{1}, static_cast<int>(expected.size()), {}}}, 1)[0];
    size_t first_diff = 0;
    while (first_diff < std::min(result.tokens.size(), expected.size()) &&
           result.tokens[first_diff] == expected[first_diff])
      ++first_diff;
    checks.add("reference_greedy/stories260K/200", result.tokens == expected,
               {{"tokens", result.tokens.size()}, {"first_difference", first_diff}});
  }
}

// Tiny generated models: the device against CPU (fp32), and bf16 on the
// device for information (argmax agreement with fp32 CPU).
void cpu_vs_device_checks(const fs::path& scratch, const LoadOptions& opt, Checks& checks) {
  for (std::string arch : {"llama", "mistral", "mixtral"}) {
    model::TinyModelSpec spec;
    spec.arch = arch;
    spec.num_layers = 3;
    const fs::path dir = scratch / ("tiny-" + arch);
    model::make_tiny_model(spec, dir, /*overwrite=*/true);
    auto cpu = LanguageModel::load(dir);
    auto dev = LanguageModel::load(dir, opt);
    LoadOptions bf16 = opt;
    bf16.dtype = "bfloat16";
    auto dev_bf16 = LanguageModel::load(dir, bf16);
    std::mt19937 rng(7);
    double diff = 0;
    int mism = 0, mism_bf16 = 0, positions = 0;
    for (int n : {1, 17, 64, 200}) {
      auto ids = random_ids(rng, n, static_cast<int>(spec.vocab_size));
      auto a = cpu->logits(ids), b = dev->logits(ids), c = dev_bf16->logits(ids);
      diff = std::max(diff, max_abs_diff(a, b));
      mism += argmax_mismatches(a, b);
      mism_bf16 += argmax_mismatches(a, c);
      positions += n;
    }
    checks.add("cpu_vs_device/" + arch + "/fp32", diff <= 1e-4 && mism == 0,
               {{"max_abs_diff", diff},
                {"atol", 1e-4},
                {"argmax_mismatches", mism},
                {"positions", positions},
                {"bf16_argmax_mismatches_vs_cpu_fp32", mism_bf16},
                {"device", dev->device()}});
  }
}

// tests/model/batching_test.cpp's invariances, on the device, plus the
// device's scores against CPU.
void batching_checks(const fs::path& scratch, const LoadOptions& opt, Checks& checks) {
  const fs::path dir = scratch / "tiny-mixtral";  // made by cpu_vs_device_checks
  auto cpu = LanguageModel::load(dir);
  auto dev = LanguageModel::load(dir, opt);
  const int vocab = static_cast<int>(dev->config().vocab_size);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> ctx_len(1, 60), cont_len(1, 8);
  std::vector<model::LoglikelihoodRequest> pairs;
  for (int i = 0; i < 32; ++i) {
    auto cont = random_ids(rng, cont_len(rng) + 1, vocab);
    cont.erase(cont.begin());
    pairs.push_back({random_ids(rng, ctx_len(rng), vocab), cont});
  }
  for (int i = 0; i < 4; ++i) {  // a few greedy continuations, so greedy flags are not all false
    auto gen = cpu->generate({{pairs[i].context, 3, {}}}, 1)[0];
    if (!gen.tokens.empty()) pairs[i].continuation = gen.tokens;
  }
  auto one = dev->loglikelihood(pairs, 1), all = dev->loglikelihood(pairs, 32),
       ragged = dev->loglikelihood(pairs, 7);
  auto on_cpu = cpu->loglikelihood(pairs, 8);
  double batch_diff = 0, cpu_diff = 0;
  int flag_mismatches = 0, greedy = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    batch_diff = std::max({batch_diff, std::abs(one[i].logprob - all[i].logprob),
                           std::abs(one[i].logprob - ragged[i].logprob)});
    cpu_diff = std::max(cpu_diff, std::abs(one[i].logprob - on_cpu[i].logprob));
    flag_mismatches += (one[i].is_greedy != all[i].is_greedy) +
                       (one[i].is_greedy != ragged[i].is_greedy) +
                       (one[i].is_greedy != on_cpu[i].is_greedy);
    greedy += one[i].is_greedy;
  }
  checks.add("batching/scores_independent_of_batch", batch_diff <= 1e-4 && flag_mismatches == 0,
             {{"max_abs_logprob_diff", batch_diff},
              {"atol", 1e-4},
              {"greedy_flag_mismatches", flag_mismatches},
              {"greedy_pairs", greedy},
              {"pairs", pairs.size()}});
  checks.add("batching/device_scores_equal_cpu", cpu_diff <= 1e-3,
             {{"max_abs_logprob_diff", cpu_diff}, {"atol", 1e-3}});

  std::vector<model::GenerationRequest> gens;
  for (int i = 0; i < 8; ++i) gens.push_back({random_ids(rng, 5 + 7 * i, vocab), 24, {}});
  auto g1 = dev->generate(gens, 1), g8 = dev->generate(gens, 8), g3 = dev->generate(gens, 3);
  auto gc = cpu->generate(gens, 8);
  int batch_mism = 0, cpu_mism = 0;
  for (size_t i = 0; i < gens.size(); ++i) {
    batch_mism += (g1[i].tokens != g8[i].tokens) + (g1[i].tokens != g3[i].tokens);
    cpu_mism += g1[i].tokens != gc[i].tokens;
  }
  checks.add("batching/generation_independent_of_batch", batch_mism == 0,
             {{"sequence_mismatches", batch_mism}, {"sequences", gens.size()}});
  checks.add("batching/device_generation_equals_cpu", cpu_mism == 0,
             {{"sequence_mismatches", cpu_mism}, {"sequences", gens.size()}});
}

int run_reference(const Args& a) {
  LoadOptions opt;
  opt.device = a.get("device", "cpu");
  const bool gpu = opt.device != "cpu";
  const fs::path shared = a.need("shared");
  const fs::path scratch = a.need("scratch");
  fs::create_directories(scratch);
  Checks checks;
  auto start = Clock::now();
  reference_checks(shared / "reference", opt, gpu, checks);
  cpu_vs_device_checks(scratch, opt, checks);
  batching_checks(scratch, opt, checks);
  const int failed =
      static_cast<int>(std::count_if(checks.list.begin(), checks.list.end(),
                                     [](const json& c) { return !c["pass"].get<bool>(); }));
  write_json(a.need("out"), {{"device", opt.device},
                             {"checks", checks.list},
                             {"passed", checks.ok},
                             {"failed", failed},
                             {"seconds", seconds_since(start)}});
  std::fprintf(stderr, "%zu checks, %d failed\n", checks.list.size(), failed);
  return checks.ok ? 0 : 1;
}

// -------------------------------------------------------------- make-random

int run_make_random(const Args& a) {
  model::TinyModelSpec s;
  s.arch = a.need("arch");
  s.hidden_size = a.num("hidden", 4096);
  s.intermediate_size = a.num("intermediate", 14336);
  s.num_layers = a.num("layers", 32);
  s.num_heads = a.num("heads", 32);
  s.num_kv_heads = a.num("kv-heads", 8);
  s.vocab_size = a.num("vocab", 32000);
  s.num_experts = a.num("experts", 4);
  s.experts_per_token = a.num("top-k", 2);
  s.max_position_embeddings = a.num("context", 4096);
  s.dtype = "bfloat16";
  if (s.arch != "mistral" && s.arch != "mixtral" && s.arch != "llama")
    throw InputError(fmt::format("--arch {}: expected llama, mistral or mixtral", s.arch));
  const fs::path out = a.need("out");
  const std::string tokenizer = read_file(a.need("tokenizer"));
  const std::string device = a.get("device", "cpu");
  const int64_t shard_bytes = a.num("shard-mib", 4096) << 20;
  const int64_t H = s.hidden_size, I = s.intermediate_size, D = H / s.num_heads;
  auto start = Clock::now();

  struct Planned {
    std::string name;
    std::vector<int64_t> shape;
    bool norm;
  };
  std::vector<Planned> plan;
  plan.push_back({"model.embed_tokens.weight", {s.vocab_size, H}, false});
  for (int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    plan.push_back({p + "input_layernorm.weight", {H}, true});
    plan.push_back({p + "self_attn.q_proj.weight", {s.num_heads * D, H}, false});
    plan.push_back({p + "self_attn.k_proj.weight", {s.num_kv_heads * D, H}, false});
    plan.push_back({p + "self_attn.v_proj.weight", {s.num_kv_heads * D, H}, false});
    plan.push_back({p + "self_attn.o_proj.weight", {H, s.num_heads * D}, false});
    plan.push_back({p + "post_attention_layernorm.weight", {H}, true});
    if (s.arch == "mixtral") {
      plan.push_back({p + "block_sparse_moe.gate.weight", {s.num_experts, H}, false});
      for (int64_t e = 0; e < s.num_experts; ++e) {
        const std::string q = fmt::format("{}block_sparse_moe.experts.{}.", p, e);
        plan.push_back({q + "w1.weight", {I, H}, false});
        plan.push_back({q + "w2.weight", {H, I}, false});
        plan.push_back({q + "w3.weight", {I, H}, false});
      }
    } else {
      plan.push_back({p + "mlp.gate_proj.weight", {I, H}, false});
      plan.push_back({p + "mlp.up_proj.weight", {I, H}, false});
      plan.push_back({p + "mlp.down_proj.weight", {H, I}, false});
    }
  }
  plan.push_back({"model.norm.weight", {H}, true});
  plan.push_back({"lm_head.weight", {s.vocab_size, H}, false});

  // Consecutive shards of at most shard_bytes (one tensor may exceed it).
  std::vector<std::vector<Planned>> shards(1);
  int64_t in_shard = 0, total = 0;
  for (auto& t : plan) {
    int64_t bytes = 2;
    for (int64_t d : t.shape) bytes *= d;
    if (in_shard > 0 && in_shard + bytes > shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(t);
    in_shard += bytes;
    total += bytes;
  }

  fs::remove_all(out);
  fs::create_directories(out);
  at::manual_seed(static_cast<uint64_t>(a.num("seed", 1234)));
  const auto opts = at::TensorOptions().device(device).dtype(at::kBFloat16);
  json weight_map = json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string file = shards.size() == 1 ? "model.safetensors"
                                                : fmt::format("model-{:05d}-of-{:05d}.safetensors",
                                                              i + 1, shards.size());
    std::vector<io::TensorSpec> specs;
    for (const auto& t : shards[i]) specs.push_back({t.name, io::DType::BF16, t.shape});
    io::SafetensorsWriter writer(out / file, specs);
    for (const auto& t : shards[i]) {
      // Matrices N(0, 0.02^2) as transformers' initializer_range; norms 1.
      at::Tensor x = t.norm
                         ? at::ones(t.shape, opts)
                         : at::randn(t.shape, opts.dtype(at::kFloat)).mul_(0.02).to(at::kBFloat16);
      x = x.cpu().contiguous();
      writer.write_next(x.data_ptr(), x.numel() * 2);
      weight_map[t.name] = file;
    }
    writer.commit();
  }
  if (shards.size() > 1) {
    const json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    std::ofstream(out / "model.safetensors.index.json") << index.dump(2) << "\n";
  }
  model::write_llama_tokenizer(out, tokenizer, s.max_position_embeddings);
  std::ofstream(out / "config.json") << model::tiny_config_json(s).dump(2) << "\n";
  std::fprintf(stderr, "make-random: %s %s, %.2f GiB in %zu files, %.1f s\n", s.arch.c_str(),
               out.c_str(), double(total) / (1 << 30), shards.size(), seconds_since(start));
  return 0;
}

// --------------------------------------------------------------- throughput

// Runs fn once untimed, then until `min_seconds` have passed (at least once,
// at most `max_reps`); returns the mean seconds per run.
template <typename F>
double time_runs(F fn, double min_seconds, int max_reps, int* reps_out) {
  fn();
  auto start = Clock::now();
  int reps = 0;
  do {
    fn();
    ++reps;
  } while (seconds_since(start) < min_seconds && reps < max_reps);
  *reps_out = reps;
  return seconds_since(start) / reps;
}

int run_throughput(const Args& a) {
  LoadOptions opt;
  opt.device = a.get("device", "cpu");
  opt.dtype = a.get("dtype", "bfloat16");
  const fs::path out = a.need("out");
  const int score_len = static_cast<int>(a.num("score-len", 512));
  const int prompt_len = static_cast<int>(a.num("prompt-len", 128));
  const int new_tokens = static_cast<int>(a.num("new-tokens", 64));
  const int logits_len = static_cast<int>(a.num("logits-len", 64));
  const double min_seconds = std::stod(a.get("min-seconds", "2"));
  const auto score_batches = a.list("score-batches", "1,16");
  const auto decode_batches = a.list("decode-batches", "1,32");

  auto start = Clock::now();
  auto lm = LanguageModel::load(a.need("model"), opt);
  const double load_s = seconds_since(start);
  const int vocab = static_cast<int>(lm->config().vocab_size);
  std::fprintf(stderr, "throughput: loaded %s on %s (%s) in %.1f s\n", a.need("model").c_str(),
               lm->device().c_str(), lm->dtype().c_str(), load_s);
  json result = {{"model", a.need("model")}, {"device", lm->device()}, {"dtype", lm->dtype()},
                 {"load_seconds", load_s},   {"score", json::array()}, {"decode", json::array()}};

  std::mt19937 rng(2024);
  // The logits of one fixed sequence, for the comparison with transformers.
  {
    auto ids = random_ids(rng, logits_len, vocab);
    auto logits = lm->logits(ids);
    const fs::path file = out.string() + ".logits.f32";
    std::ofstream f(file, std::ios::binary);
    for (const auto& row : logits)
      f.write(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(float));
    result["logits"] = {
        {"ids", ids}, {"file", file.filename().string()}, {"shape", {logits.size(), vocab}}};
  }
  // Scoring: a batch of sequences of score_len tokens (score_len - 1 of
  // context, one continuation token), one forward pass per batch.
  const int max_batch = std::max(*std::max_element(score_batches.begin(), score_batches.end()),
                                 *std::max_element(decode_batches.begin(), decode_batches.end()));
  std::vector<std::vector<int32_t>> seqs;
  for (int i = 0; i < max_batch; ++i)
    seqs.push_back(random_ids(rng, std::max(score_len, prompt_len), vocab));
  result["sequences"] = seqs;
  for (int batch : score_batches) {
    std::vector<model::LoglikelihoodRequest> reqs;
    for (int i = 0; i < batch; ++i)
      reqs.push_back({std::vector<int32_t>(seqs[i].begin(), seqs[i].begin() + score_len - 1),
                      {seqs[i][score_len - 1]}});
    int reps = 0;
    const double s = time_runs([&] { lm->loglikelihood(reqs, batch); }, min_seconds, 50, &reps);
    const double tps = batch * score_len / s;
    std::fprintf(stderr, "throughput: score batch %d x %d tokens: %.4f s, %.0f tokens/s\n", batch,
                 score_len, s, tps);
    result["score"].push_back({{"batch", batch},
                               {"tokens", score_len},
                               {"seconds", s},
                               {"reps", reps},
                               {"tokens_per_second", tps}});
  }
  // Greedy decoding with the KV cache: prompt_len-token prompts, new_tokens
  // new tokens each (fewer if EOS comes first: counted as generated).
  for (int batch : decode_batches) {
    std::vector<model::GenerationRequest> gens;
    for (int i = 0; i < batch; ++i)
      gens.push_back(
          {std::vector<int32_t>(seqs[i].begin(), seqs[i].begin() + prompt_len), new_tokens, {}});
    int64_t generated = 0;
    int reps = 0;
    const double s = time_runs(
        [&] {
          generated = 0;
          for (const auto& g : lm->generate(gens, batch))
            generated += static_cast<int64_t>(g.tokens.size());
        },
        min_seconds, 5, &reps);
    const double tps = generated / s;
    std::fprintf(stderr,
                 "throughput: decode batch %d, %d-token prompts, %lld new tokens: %.3f s, %.1f new "
                 "tokens/s\n",
                 batch, prompt_len, static_cast<long long>(generated), s, tps);
    result["decode"].push_back({{"batch", batch},
                                {"prompt_tokens", prompt_len},
                                {"max_new_tokens", new_tokens},
                                {"generated_tokens", generated},
                                {"seconds", s},
                                {"reps", reps},
                                {"new_tokens_per_second", tps}});
  }
  result["total_seconds"] = seconds_since(start);
  write_json(out, result);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: moebench_gpu_check reference|make-random|throughput --name value ...";
  if (argc < 2) {
    std::fprintf(stderr, "%s\n", usage.c_str());
    return 2;
  }
  const std::string mode = argv[1];
  try {
    Args a = parse_args(argc, argv, 2);
    if (mode == "reference") return run_reference(a);
    if (mode == "make-random") return run_make_random(a);
    if (mode == "throughput") return run_throughput(a);
    std::fprintf(stderr, "%s\n", usage.c_str());
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "moebench_gpu_check: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moebench_gpu_check: %s\n", e.what());
    return 1;
  }
}
