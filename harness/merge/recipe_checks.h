// What mergekit-moe checks about a recipe before merging (mergekit/moe/config.py,
// is_bad_config), and what it would do differently from moebench.
#pragma once

#include <string>
#include <vector>

#include "harness/merge/merge_recipe.h"

namespace moebench::merge {

// mergekit's is_bad_config, with messages naming the expert and the field:
// 1 <= experts_per_token <= experts; positive prompts for every expert unless
// gate_mode is random; not all experts with identical prompts; not all experts
// the same source model unless `allow_all_same`.
void check_recipe(const MergeRecipe& recipe, bool allow_all_same);

// Things mergekit would do differently or warn about (printed, never fatal).
std::vector<std::string> recipe_notes(const MergeRecipe& recipe);

}  // namespace moebench::merge
