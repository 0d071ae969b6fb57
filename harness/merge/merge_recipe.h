// A mergekit-moe recipe (YAML): every key of mergekit's MoEMergeConfig, parsed
// strictly. Unknown keys, wrong types and values mergekit would reject are
// InputErrors naming the file, the line, the field and the value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moebench::merge {

// How router weights are initialised (mergekit/moe/router.py).
enum class GateMode {
  Hidden,         // "hidden" / "hidden_last": base's hidden state at the last prompt token
  HiddenAvg,      // "hidden_avg": ... averaged over the (padded) prompt positions
  CheapEmbed,     // "cheap_embed": summed token embeddings, the same for every layer
  Random,         // "random": N(0, 1)
  UniformRandom,  // "uniform_random": U(-1/sqrt(H), 1/sqrt(H)), torch.nn.Linear's init
  // moebench's own (router_state_gates.h): from the state each router reads,
  // layer by layer through the merged model itself.
  RouterState,    // "router_state": its mean over every prompt token
  Fitted,         // "fitted": a logistic regression from it to the prompts' expert
};
// Whether a mode runs the merged model, so needs the experts' weights.
bool gate_mode_needs_experts(GateMode mode);
const char* gate_mode_name(GateMode mode);
// The mode a recipe's gate_mode value names (mergekit's aliases included), or nullopt.
std::optional<GateMode> parse_gate_mode(const std::string& name);
// Every mode once, mergekit's first (hidden_last is hidden).
std::vector<GateMode> all_gate_modes();

struct ExpertRecipe {
  // A local directory or a Hugging Face repo id ("org/name", optionally
  // "org/name@revision"), resolved by model_resolver.h.
  std::string source_model;
  // Required unless gate_mode is random; then the texts of the YAML list in
  // `positive_prompts_file` (a moebench extension; relative to the recipe).
  std::vector<std::string> positive_prompts;
  std::vector<std::string> negative_prompts;  // subtracted from the positive vector
  // N(0, noise_scale^2) added to this expert's gate/up/down matrices.
  std::optional<double> noise_scale;
  // Multiplies this expert's down projection (w2), i.e. its output.
  std::optional<double> residual_scale;
};

struct MergeRecipe {
  std::filesystem::path file;  // the YAML file; empty when parsed from a string
  std::string text;            // verbatim, written out as mergekit_moe_config.yml
  std::string base_model;      // attention, norms, embeddings and LM head come from here
  GateMode gate_mode = GateMode::Hidden;
  // "float32" | "bfloat16" | "float16", or empty: the base's torch_dtype.
  std::string dtype;
  int64_t experts_per_token = 2;
  std::vector<ExpertRecipe> experts;
  // Output architecture; only "mixtral" (also the default) is written.
  std::string architecture = "mixtral";

  // Reads and parses `file` (schema and types only; recipe_checks.h has the rest).
  static MergeRecipe load(const std::filesystem::path& file);
  // `where` names the source in messages (usually the file path).
  static MergeRecipe parse(const std::string& text, const std::string& where);
  // "<file>" or "recipe" for messages.
  std::string where() const;
};

// True for a path ending in .yml or .yaml (a recipe given in place of a model).
bool is_recipe_path(const std::filesystem::path& path);

}  // namespace moebench::merge
