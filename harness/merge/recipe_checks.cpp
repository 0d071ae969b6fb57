#include "harness/merge/recipe_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/util/error.h"

namespace moebench::merge {
namespace {

bool same_prompts(const ExpertRecipe& a, const ExpertRecipe& b) {
  return a.positive_prompts == b.positive_prompts && a.negative_prompts == b.negative_prompts;
}

}  // namespace

void check_recipe(const MergeRecipe& r, bool allow_all_same) {
  const std::string where = r.where();
  const int64_t n = static_cast<int64_t>(r.experts.size());
  if (n == 0) fail_input(where, "field 'experts': the list is empty (a MoE needs at least one expert)");
  if (r.experts_per_token < 1)
    fail_input(where, "field 'experts_per_token': must be >= 1, got {}", r.experts_per_token);
  if (r.experts_per_token > n)
    fail_input(where, "field 'experts_per_token': {} exceeds the number of experts ({}); list at "
               "least as many experts as experts_per_token", r.experts_per_token, n);
  if (r.gate_mode == GateMode::Random) return;  // prompts are not used (mergekit checks nothing more)
  for (int64_t i = 0; i < n; ++i)
    if (r.experts[i].positive_prompts.empty())
      fail_input(where, "field 'experts[{}].positive_prompts': expert {} ({}) has no positive prompts; "
                 "gate_mode {} needs at least one (only gate_mode random works without)", i, i,
                 r.experts[i].source_model, gate_mode_name(r.gate_mode));
  const bool prompts_same = std::all_of(r.experts.begin(), r.experts.end(),
                                        [&](const ExpertRecipe& e) { return same_prompts(e, r.experts[0]); });
  if (prompts_same)
    fail_input(where, "fields 'experts[*].positive_prompts' / 'negative_prompts': all {} experts have "
               "identical prompts, so every gate would be the same and the MoE would not route; give "
               "each expert prompts typical of what it should handle", n);
  const bool models_same = std::all_of(r.experts.begin(), r.experts.end(), [&](const ExpertRecipe& e) {
    return e.source_model == r.experts[0].source_model;
  });
  if (models_same && !allow_all_same)
    fail_input(where, "fields 'experts[*].source_model': all {} experts are '{}', which only makes a "
               "bigger model with the same output; if you will train it after merging, pass "
               "--i-understand-this-is-not-useful-without-training", n, r.experts[0].source_model);
}

std::vector<std::string> recipe_notes(const MergeRecipe& r) {
  std::vector<std::string> notes;
  const size_t n = r.experts.size();
  if (n > 0 && (n & (n - 1)) != 0)
    notes.push_back(fmt::format("{} experts is not a power of two; mergekit warns that some llama.cpp "
                                "versions cannot load such a model", n));
  for (size_t i = 0; i < n; ++i) {
    if (r.experts[i].noise_scale)
      notes.push_back(fmt::format("experts[{}].noise_scale = {}: the noise comes from moebench's "
                                  "seeded generator (--seed), so it is reproducible but not the "
                                  "noise of any mergekit run", i, *r.experts[i].noise_scale));
    if (r.experts[i].residual_scale)
      notes.push_back(fmt::format(
          "experts[{}].residual_scale = {}: moebench scales that expert's w2 (down_proj) as mergekit "
          "documents; mergekit-moe's Mixtral writer silently skips it (it tests the renamed tensor for "
          "'down_proj'), so its output differs there", i, *r.experts[i].residual_scale));
  }
  return notes;
}

}  // namespace moebench::merge
