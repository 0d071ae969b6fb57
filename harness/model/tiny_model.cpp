#include "harness/model/tiny_model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/io/safetensors_writer.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

// Byte-identical weights everywhere need every float operation rounded as
// written: a fused multiply-add (which GCC in GNU mode, or clang, may emit on
// FMA targets such as aarch64) would change the last bits on some machines.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace moebench::model {
namespace {

namespace fs = std::filesystem;
const char* const kWhere = "tiny model spec";

// ---- Deterministic N(0,1) samples ------------------------------------------
// std::normal_distribution is implementation-defined and libm's log may differ
// in the last bit between versions and CPU-dispatched variants, so the stream
// uses only integer ops and IEEE +, -, *, /, sqrt: xoshiro256** seeded through
// splitmix64, the Marsaglia polar method, and a series logarithm.

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// ln(x) for x > 0: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// ln(m) = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172: 8 odd terms give a
// relative error below 1e-13, far below float32 resolution.
double series_log(double x) {
  static constexpr double kInvOdd[] = {1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9,
                                       1.0 / 7,  1.0 / 5,  1.0 / 3,  1.0};
  uint64_t bits;  // split off the binary exponent exactly (x is normal here)
  std::memcpy(&bits, &x, sizeof bits);
  int e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
  bits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;  // m in [1, 2)
  double m;
  std::memcpy(&m, &bits, sizeof m);
  if (m >= 1.4142135623730951) m *= 0.5, ++e;
  const double t = (m - 1.0) / (m + 1.0), t2 = t * t;
  double sum = 0.0;
  for (double c : kInvOdd) sum = sum * t2 + c;
  return 2.0 * t * sum + e * 0.69314718055994531;
}

// One independent stream per tensor (key = its name), so values depend neither
// on the order tensors are written in nor on how they are sharded.
class NormalStream {
 public:
  NormalStream(uint64_t seed, const std::string& key) {
    uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a of the key
    for (unsigned char c : key) h = (h ^ c) * 0x100000001B3ULL;
    uint64_t state = seed ^ splitmix64(h);
    for (uint64_t& word : s_) word = splitmix64(state);
  }
  double next() {
    if (has_spare_) return has_spare_ = false, spare_;
    double u, v, r;
    do {
      u = uniform_pm1(), v = uniform_pm1();
      r = u * u + v * v;
    } while (r >= 1.0 || r == 0.0);
    const double f = std::sqrt(-2.0 * series_log(r) / r);
    spare_ = v * f, has_spare_ = true;
    return u * f;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  double uniform_pm1() {  // xoshiro256** -> [-1, 1) with 53 random bits
    const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return static_cast<double>(result >> 11) * 0x1.0p-52 - 1.0;
  }
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// ---- What to write -----------------------------------------------------------

enum class Init { Matrix, Norm, Router };
// `streams` split the tensor into equal runs, each drawn from the stream of
// that name. A v5 fused tensor lists the v4 per-expert matrices' names, so
// both layouts of one spec hold exactly the same numbers.
struct PlannedTensor {
  std::string name;
  std::vector<int64_t> shape;
  Init init;
  std::vector<std::string> streams;
};

void add(std::vector<PlannedTensor>& out, const std::string& name, std::vector<int64_t> shape,
         Init init = Init::Matrix) {
  out.push_back({name, std::move(shape), init, {name}});
}

void add_layer(const TinyModelSpec& s, int64_t layer, std::vector<PlannedTensor>& out) {
  const int64_t H = s.hidden_size, I = s.intermediate_size, E = s.num_experts;
  const int64_t head_dim = H / s.num_heads;
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  add(out, p + "input_layernorm.weight", {H}, Init::Norm);
  add(out, p + "self_attn.q_proj.weight", {s.num_heads * head_dim, H});
  add(out, p + "self_attn.k_proj.weight", {s.num_kv_heads * head_dim, H});
  add(out, p + "self_attn.v_proj.weight", {s.num_kv_heads * head_dim, H});
  add(out, p + "self_attn.o_proj.weight", {H, s.num_heads * head_dim});
  add(out, p + "post_attention_layernorm.weight", {H}, Init::Norm);
  if (s.arch != "mixtral") {
    add(out, p + "mlp.gate_proj.weight", {I, H});
    add(out, p + "mlp.up_proj.weight", {I, H});
    add(out, p + "mlp.down_proj.weight", {H, I});
    return;
  }
  const std::string moe = p + "block_sparse_moe.";
  auto expert = [&](int64_t e, const char* w) {
    return moe + "experts." + std::to_string(e) + "." + w + ".weight";
  };
  if (s.layout == "v4") {
    add(out, moe + "gate.weight", {E, H}, Init::Router);
    for (int64_t e = 0; e < E; ++e) {
      add(out, expert(e, "w1"), {I, H});
      add(out, expert(e, "w2"), {H, I});
      add(out, expert(e, "w3"), {I, H});
    }
    return;
  }
  out.push_back({p + "mlp.gate.weight", {E, H}, Init::Router, {moe + "gate.weight"}});
  PlannedTensor gate_up{p + "mlp.experts.gate_up_proj", {E, 2 * I, H}, Init::Matrix, {}};
  PlannedTensor down{p + "mlp.experts.down_proj", {E, H, I}, Init::Matrix, {}};
  for (int64_t e = 0; e < E; ++e) {
    gate_up.streams.insert(gate_up.streams.end(), {expert(e, "w1"), expert(e, "w3")});
    down.streams.push_back(expert(e, "w2"));
  }
  out.push_back(std::move(gate_up));
  out.push_back(std::move(down));
}

// Shard i holds layers [i*L/N, (i+1)*L/N); the embedding goes first, the final
// norm and lm_head last, as in Hugging Face checkpoints.
std::vector<std::vector<PlannedTensor>> plan_shards(const TinyModelSpec& s) {
  std::vector<std::vector<PlannedTensor>> shards(s.shard_count);
  add(shards.front(), "model.embed_tokens.weight", {s.vocab_size, s.hidden_size});
  for (int64_t i = 0; i < s.shard_count; ++i) {
    for (int64_t l = i * s.num_layers / s.shard_count; l < (i + 1) * s.num_layers / s.shard_count;
         ++l)
      add_layer(s, l, shards[i]);
  }
  add(shards.back(), "model.norm.weight", {s.hidden_size}, Init::Norm);
  if (!s.tie_word_embeddings) add(shards.back(), "lm_head.weight", {s.vocab_size, s.hidden_size});
  return shards;
}

// float32 -> bfloat16, round to nearest even (as torch's .to(torch.bfloat16));
// the tiny models hold no NaN.
uint16_t to_bfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

// Writes one safetensors file, generating one tensor at a time.
uint64_t write_shard(const TinyModelSpec& s, const std::vector<PlannedTensor>& tensors,
                     const fs::path& path) {
  const bool bf16 = s.dtype == "bfloat16";
  std::vector<io::TensorSpec> specs;
  for (const auto& t : tensors)
    specs.push_back({t.name, bf16 ? io::DType::BF16 : io::DType::F32, t.shape});
  io::SafetensorsWriter writer(path, specs, {{"format", "pt"}});
  std::vector<float> values;
  std::vector<uint16_t> halves;
  uint64_t bytes = 0;
  for (const auto& t : tensors) {
    const double mean = t.init == Init::Norm ? 1.0 : 0.0;
    const double scale = t.init == Init::Norm ? 0.1 : t.init == Init::Router ? 1.0 : s.init_std;
    size_t n = 1, at = 0;
    for (int64_t d : t.shape) n *= d;  // bounded by validate_tiny_model_spec
    if (values.capacity() < n) std::vector<float>().swap(values);  // never two tensors at once
    values.resize(n);
    for (const auto& key : t.streams) {
      NormalStream rng(s.seed, key);
      for (size_t i = 0; i < n / t.streams.size(); ++i)
        values[at++] = static_cast<float>(mean + scale * rng.next());
    }
    if (bf16) {
      if (halves.capacity() < n) std::vector<uint16_t>().swap(halves);
      halves.resize(n);
      for (size_t i = 0; i < n; ++i) halves[i] = to_bfloat16(values[i]);
      writer.write_next(halves.data(), n * sizeof(uint16_t));
      bytes += n * sizeof(uint16_t);
      continue;
    }
    writer.write_next(values.data(), n * sizeof(float));
    bytes += n * sizeof(float);
  }
  writer.commit();
  return bytes;
}

// One model.safetensors, or shards named as transformers names them plus the
// index (weight_map sorted by name, as transformers writes it).
void write_weights(const TinyModelSpec& s, const fs::path& dir) {
  const auto shards = plan_shards(s);
  nlohmann::json weight_map = nlohmann::json::object();
  uint64_t total = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string file = shards.size() == 1 ? "model.safetensors"
                                                : fmt::format("model-{:05d}-of-{:05d}.safetensors",
                                                              i + 1, shards.size());
    total += write_shard(s, shards[i], dir / file);
    for (const auto& t : shards[i]) weight_map[t.name] = file;
  }
  if (shards.size() == 1) return;
  const nlohmann::ordered_json index = {{"metadata", {{"total_size", total}}},
                                        {"weight_map", std::move(weight_map)}};
  write_file_atomic(dir / "model.safetensors.index.json", index.dump(2) + "\n");
}

}  // namespace

nlohmann::ordered_json tiny_config_json(const TinyModelSpec& s) {
  const std::string cls = s.arch == "llama"     ? "LlamaForCausalLM"
                          : s.arch == "mistral" ? "MistralForCausalLM"
                                                : "MixtralForCausalLM";
  // The float's shortest decimal: 0.02, not 0.019999999552965164.
  const double init_range = std::stod(fmt::format("{}", s.init_std));
  // clang-format off
  nlohmann::ordered_json c = {
      {"architectures", {cls}}, {"model_type", s.arch}, {"hidden_size", s.hidden_size},
      {"intermediate_size", s.intermediate_size}, {"num_hidden_layers", s.num_layers},
      {"num_attention_heads", s.num_heads}, {"num_key_value_heads", s.num_kv_heads},
      {"head_dim", s.hidden_size / s.num_heads}, {"vocab_size", s.vocab_size},
      {"max_position_embeddings", s.max_position_embeddings}, {"rms_norm_eps", 1e-5},
      {"rope_theta", s.rope_theta}, {"tie_word_embeddings", s.tie_word_embeddings},
      {"hidden_act", "silu"}, {"bos_token_id", 1}, {"eos_token_id", 2},
      {"torch_dtype", s.dtype}, {"attention_dropout", 0.0},
      {"initializer_range", init_range}, {"use_cache", true}};
  if (s.arch == "llama")
    c.update({{"attention_bias", false}, {"mlp_bias", false}, {"pretraining_tp", 1},
              {"rope_scaling", nullptr}});
  else
    c["sliding_window"] = nullptr;
  if (s.arch == "mixtral")
    c.update({{"num_local_experts", s.num_experts}, {"num_experts_per_tok", s.experts_per_token},
              {"output_router_logits", false}, {"router_aux_loss_coef", 0.02},
              {"router_jitter_noise", 0.0}});
  // clang-format on
  return c;
}

namespace {

void write_model_files(const TinyModelSpec& s, const fs::path& dir) {
  // The tokenizer first: training is the last check that can reject the spec
  // (a vocabulary larger than the corpus supports), before any large write.
  write_tiny_tokenizer(dir, s.vocab_size, s.max_position_embeddings);
  write_weights(s, dir);
  write_file_atomic(dir / "config.json", tiny_config_json(s).dump(2) + "\n");
}

// fail_input(kWhere, ...) unless `ok`.
template <typename... Args>
void check(bool ok, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) fail_input(kWhere, format, std::forward<Args>(args)...);
}

}  // namespace

void validate_tiny_model_spec(const TinyModelSpec& s) {
  check(s.arch == "llama" || s.arch == "mistral" || s.arch == "mixtral",
        "arch = '{}' is not supported (supported: llama, mistral, mixtral)", s.arch);
  const bool moe = s.arch == "mixtral";
  // clang-format off
  const std::pair<const char*, int64_t> sizes[] = {
      {"hidden_size", s.hidden_size}, {"intermediate_size", s.intermediate_size},
      {"num_layers", s.num_layers}, {"num_heads", s.num_heads}, {"num_kv_heads", s.num_kv_heads},
      {"vocab_size", s.vocab_size}, {"max_position_embeddings", s.max_position_embeddings},
      {"shard_count", s.shard_count}, {"num_experts", moe ? s.num_experts : 1},
      {"experts_per_token", moe ? s.experts_per_token : 1}};
  // clang-format on
  for (const auto& [field, value] : sizes)
    check(value > 0, "{} = {} must be positive", field, value);
  const int64_t H = s.hidden_size, heads = s.num_heads;
  check(H % heads == 0, "hidden_size = {} is not divisible by num_heads = {}", H, heads);
  check((H / heads) % 2 == 0, "num_heads = {} gives head_dim = {}; RoPE needs it even", heads,
        H / heads);
  check(heads % s.num_kv_heads == 0, "num_kv_heads = {} does not divide num_heads = {}",
        s.num_kv_heads, heads);
  check(!moe || s.experts_per_token <= s.num_experts,
        "experts_per_token = {} is outside [1, num_experts = {}]", s.experts_per_token,
        s.num_experts);
  check(s.vocab_size >= kTinyMinVocab, "vocab_size = {} is below {} (259 special and byte ids)",
        s.vocab_size, kTinyMinVocab);
  check(s.layout == "v4" || s.layout == "v5", "layout = '{}' is not supported (supported: v4, v5)",
        s.layout);
  check(s.dtype == "float32" || s.dtype == "bfloat16",
        "dtype = '{}' is not supported (supported: float32, bfloat16)", s.dtype);
  check(s.shard_count <= s.num_layers, "shard_count = {} exceeds num_layers = {}", s.shard_count,
        s.num_layers);
  check(s.rope_theta > 0 && std::isfinite(s.rope_theta), "rope_theta = {} must be positive",
        s.rope_theta);
  check(s.init_std >= 0 && std::isfinite(s.init_std), "init_std = {} must be non-negative",
        s.init_std);
  // Refuse before writing anything what could never be allocated here: the
  // model is built in fp32 in memory, so it must fit in half the machine's RAM
  // (and in the 2^34-value limit of one tensor).
  const double E = moe ? s.num_experts : 1, I = s.intermediate_size;
  const double kv = double(s.num_kv_heads) * (H / heads);
  const double per_layer = 2.0 * H * H + 2.0 * H * kv + 3.0 * E * I * H + E * H + 2.0 * H;
  const double parameters = 2.0 * double(s.vocab_size) * H + double(s.num_layers) * per_layer + H;
  const double largest = std::max(double(s.vocab_size) * H, 2.0 * E * I * H);
  check(largest <= 0x1.0p34, "sizes too large: one tensor would hold {:.3g} values (limit 2^34)",
        largest);
  const double memory = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
  check(memory <= 0 || 4.0 * parameters <= memory / 2,
        "sizes too large: {:.3g} parameters need {} in fp32, more than half of this machine's {}",
        parameters, human_bytes(4.0 * parameters), human_bytes(memory));
}

void make_tiny_model(const TinyModelSpec& spec, const fs::path& out_dir, bool overwrite) {
  validate_tiny_model_spec(spec);
  fs::path dir = out_dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "out/" names "out"
  const std::string where = dir.string();
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(dir, ec);
  const bool exists = fs::exists(status);
  if (exists && !overwrite) fail_input(where, "already exists (pass overwrite to replace it)");
  if (exists && !fs::is_directory(status))
    fail_input(where, "exists and is not a directory; refusing to replace it");
  if (!dir.parent_path().empty()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) fail_input(where, "cannot create the parent directory: {}", ec.message());
  }

  AtomicPath staging(dir);  // removed by its destructor unless committed
  if (!fs::create_directory(staging.temp(), ec))
    fail_input(where, "cannot create {}: {}", staging.temp().string(), ec.message());
  write_model_files(spec, staging.temp());
  if (!exists) {
    staging.commit();
    return;
  }
  // Replace: move the old directory aside, move the new one in, and put the
  // old one back if that fails; the aside copy is deleted by `old`'s destructor.
  AtomicPath old(dir);
  fs::rename(dir, old.temp(), ec);
  if (ec) fail_input(where, "cannot move the existing directory aside: {}", ec.message());
  try {
    staging.commit();
  } catch (...) {
    fs::rename(old.temp(), dir, ec);
    throw;
  }
}

}  // namespace moebench::model
