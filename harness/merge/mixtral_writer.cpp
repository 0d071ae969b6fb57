#include "harness/merge/mixtral_writer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "harness/io/safetensors_writer.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/merge_tensors.h"
#include "harness/merge/recipe_checks.h"
#include "harness/merge/source_pages.h"
#include "harness/merge/staged_directory.h"
#include "harness/model/cpu_threads.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/progress.h"

namespace fs = std::filesystem;

namespace moebench::merge {
namespace {

// One tensor of the written layout: a single source tensor (v4), or several
// concatenated in order (v5 fuses experts: gate_up_proj = for each expert its
// gate rows then its up rows; down_proj = each expert's down matrix).
struct OutTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<TensorRef> parts;
};

std::vector<OutTensor> plan_tensors(const io::ModelConfig& c, const std::string& layout) {
  if (layout != "v4" && layout != "v5")
    fail_input("--layout", "expected v4 or v5, got '{}'", layout);
  const int64_t E = c.num_experts, H = c.hidden_size, I = c.intermediate_size;
  std::vector<OutTensor> out;
  for (const TensorRef& ref : merged_tensors(c)) {
    if (layout == "v4") {
      out.push_back({v4_name(ref), tensor_shape(c, ref), {ref}});
    } else if (ref.part == Part::Router) {
      out.push_back({fmt::format("model.layers.{}.mlp.gate.weight", ref.layer), {E, H}, {ref}});
    } else if (!from_expert(ref.part)) {
      out.push_back({v4_name(ref), tensor_shape(c, ref), {ref}});
    } else if (ref.part == Part::ExpertGate && ref.expert == 0) {  // both fused tensors of the layer
      const std::string p = fmt::format("model.layers.{}.mlp.experts.", ref.layer);
      OutTensor gate_up{p + "gate_up_proj", {E, 2 * I, H}, {}}, down{p + "down_proj", {E, H, I}, {}};
      for (int64_t e = 0; e < E; ++e) {
        gate_up.parts.insert(gate_up.parts.end(), {{Part::ExpertGate, ref.layer, e}, {Part::ExpertUp, ref.layer, e}});
        down.parts.push_back({Part::ExpertDown, ref.layer, e});
      }
      out.push_back(std::move(gate_up));
      out.push_back(std::move(down));
    }
  }
  return out;
}

uint64_t byte_count(const OutTensor& t, io::DType dtype) {
  return io::TensorSpec{t.name, dtype, t.shape}.nbytes();
}

// Consecutive runs of tensors, each at most max_bytes unless a single tensor is larger.
std::vector<std::vector<OutTensor>> plan_shards(std::vector<OutTensor> tensors, io::DType dtype, uint64_t max_bytes) {
  std::vector<std::vector<OutTensor>> shards(1);
  uint64_t bytes = 0;
  for (OutTensor& t : tensors) {
    const uint64_t n = byte_count(t, dtype);
    if (!shards.back().empty() && bytes + n > max_bytes) shards.emplace_back(), bytes = 0;
    shards.back().push_back(std::move(t));
    bytes += n;
  }
  return shards;
}

// Writes one tensor: straight from the memory map when nothing changes it,
// through one buffer for fused tensors; then drops the source pages.
void write_tensor(io::SafetensorsWriter& writer, const OutTensor& t, const MergeInputs& in, const GateSet& gates,
                  uint64_t seed, std::vector<std::byte>& buffer) {
  auto produce = [&](const TensorRef& ref) { return merged_tensor(in, gates, ref, seed).contiguous(); };
  auto release = [&](const TensorRef& ref) {
    if (auto view = source_view(in, ref)) release_source_pages(*view);
  };
  if (t.parts.size() == 1) {
    at::Tensor x = produce(t.parts[0]);
    writer.write_next(x.data_ptr(), x.nbytes());
    release(t.parts[0]);
    return;
  }
  buffer.resize(byte_count(t, in.out_dtype));
  size_t at = 0;
  for (const TensorRef& ref : t.parts) {
    at::Tensor x = produce(ref);
    std::memcpy(buffer.data() + at, x.data_ptr(), x.nbytes());
    at += x.nbytes();
    release(ref);
  }
  writer.write_next(buffer.data(), buffer.size());
  std::vector<std::byte>().swap(buffer);  // never hold a fused tensor longer than needed
}

void copy_tokenizer(const fs::path& from, const fs::path& to, std::vector<std::string>& files) {
  for (const char* name : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                           "special_tokens_map.json", "added_tokens.json"}) {
    std::error_code ec;
    if (!fs::is_regular_file(from / name, ec)) continue;
    fs::copy_file(from / name, to / name, ec);
    if (ec) fail_input((from / name).string(), "cannot copy into the merged model: {}", ec.message());
    files.push_back(name);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

MergeSummary write_mixtral(const MergeInputs& in, const GateSet& gates, const fs::path& out_dir,
                           const MergeOptions& options) {
  StagedDirectory out(out_dir, options.overwrite);
  return write_mixtral(in, gates, out, options);
}

MergeSummary write_mixtral(const MergeInputs& in, const GateSet& gates, StagedDirectory& out,
                           const MergeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_gates_shape(gates, in.config.num_layers, in.config.num_experts, in.config.hidden_size, "gates");
  if (options.max_shard_bytes == 0) fail_input("--max-shard-size", "must be positive");
  const auto shards = plan_shards(plan_tensors(in.config, options.layout), in.out_dtype, options.max_shard_bytes);
  MergeSummary summary;
  summary.out_dir = out.final_path();
  write_file_atomic(out.path() / "config.json", in.config_json.dump(2) + "\n");
  summary.files.push_back("config.json");

  int64_t total = 0;
  for (const auto& shard : shards) total += static_cast<int64_t>(shard.size());
  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("merge", total, "tensors");
  nlohmann::json weight_map = nlohmann::json::object();  // sorted by name, as transformers writes it
  std::vector<std::byte> buffer;
  for (size_t s = 0; s < shards.size(); ++s) {
    const std::string file = shards.size() == 1 ? "model.safetensors"
                             : fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards.size());
    std::vector<io::TensorSpec> specs;
    for (const OutTensor& t : shards[s]) specs.push_back({t.name, in.out_dtype, t.shape});
    io::SafetensorsWriter writer(out.path() / file, specs, {{"format", "pt"}});
    for (const OutTensor& t : shards[s]) {
      write_tensor(writer, t, in, gates, options.seed, buffer);
      weight_map[t.name] = file;
      summary.tensor_bytes += byte_count(t, in.out_dtype);
      ++summary.tensors;
      if (bar) bar->advance();
      if (options.on_tensor_written) options.on_tensor_written(summary.tensors, total);
    }
    writer.commit();
    summary.files.push_back(file);
  }
  if (bar) bar->finish();
  if (shards.size() > 1) {
    const nlohmann::ordered_json index = {{"metadata", {{"total_size", summary.tensor_bytes}}},
                                          {"weight_map", weight_map}};
    write_file_atomic(out.path() / "model.safetensors.index.json", index.dump(2) + "\n");
    summary.files.push_back("model.safetensors.index.json");
  }
  copy_tokenizer(in.base.where.dir, out.path(), summary.files);
  write_file_atomic(out.path() / "mergekit_moe_config.yml", in.recipe.text);
  summary.files.push_back("mergekit_moe_config.yml");
  out.commit();
  std::sort(summary.files.begin(), summary.files.end());
  summary.write_seconds = seconds_since(start);
  return summary;
}

MergeSummary merge_recipe_to_directory(const MergeRecipe& recipe, const fs::path& out_dir,
                                       const MergeOptions& options) {
  model::use_cpu_threads(options.threads);
  check_output_apart_from_inputs(recipe, options, out_dir, "--out");
  MergeInputs in = open_merge_inputs(recipe, options, InputScope::Full);
  // Staged before the gate forward, which may be slow: what is at out_dir now
  // is what --overwrite may replace, and nothing that appears meanwhile.
  StagedDirectory out(out_dir, options.overwrite);
  const auto start = std::chrono::steady_clock::now();
  GateSet gates = recipe_gates(in, options);
  const double gate_seconds = seconds_since(start);
  GateDiagnostics diagnostics = diagnose_gates(gates, gate_reading(recipe.gate_mode));
  MergeSummary summary = write_mixtral(in, gates, out, options);
  summary.gate_seconds = gate_seconds;
  summary.diagnostics = std::move(diagnostics);
  summary.notes = recipe_notes(recipe);
  auto describe = [](const SourceModel& m) {
    return fmt::format("{} '{}': {} ({})", m.field, m.where.reference, m.where.dir.string(), m.where.origin);
  };
  summary.sources.push_back(describe(in.base));
  for (const SourceModel& expert : in.experts) summary.sources.push_back(describe(expert));
  return summary;
}

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (char& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},      {"B", 1},        {"KB", 1e3},      {"MB", 1e6},      {"GB", 1e9},
      {"TB", 1e12}, {"KIB", 1024.0}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1099511627776.0}};
  for (const auto& [name, factor] : kUnits)
    if (used > 0 && unit == name && std::isfinite(value) && value * factor >= 1 && value * factor < 1.8e19)
      return static_cast<uint64_t>(value * factor + 0.5);
  fail_input(what, "expected a size such as 5GB, 500MB, 2GiB or a byte count, got '{}'", text);
}

}  // namespace moebench::merge
