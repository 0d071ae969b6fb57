// The variants of a positive-prompt ablation (`moebench ablate`, or a plan
// model's `variants:`): each is the recipe with other prompts, another gate
// mode or another number of experts per token. They all share the recipe's
// experts, which the runner loads once (model_loader.h); a variant only
// recomputes its gates.
//
// Variant words, as given to --variants (comma-separated; "top-k=1,2,3"
// continues a top-k list):
//   leave-one-out     one variant per expert with that expert's prompts removed
//                     (its router row becomes zero): "leave-out=<expert>"
//   leave-out=E       that one (E: the expert's source_model)
//   shuffle           the prompt sets rotated across experts: expert e gets the
//                     prompts of expert e+1 (mod E), so none keeps its own
//   no-negatives      every expert's negative prompts dropped
//   gate-modes        every gate mode, mergekit's and moebench's: "gate-mode=<m>"
//   gate-mode=M       that one
//   top-k=K           K experts per token
//   prompts=FILE      the prompt sets of a YAML file: a mapping from an
//                     expert's source_model to its positive prompts (a list),
//                     or to {positive_prompts, negative_prompts}; experts not
//                     named keep theirs. Named "prompts=<file stem>".
// A variant equal to the recipe as written (its own gate mode or top-k) is
// left out with a note; so are prompt variants of a recipe whose gates use no
// prompts (gate_mode random / uniform_random).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/merge/merge_recipe.h"

namespace moebench::jobs {

struct AblationVariant {
  std::string name;           // "shuffle", "leave-out=math", "gate-mode=fitted", "top-k=1", ...
  merge::MergeRecipe recipe;  // as the variant builds its gates (file and text: the recipe's own)
};

// "shuffle,top-k=1,3" -> {"shuffle", "top-k=1", "top-k=3"}; several lists concatenate.
std::vector<std::string> split_variant_words(const std::vector<std::string>& lists);

// The variants the words ask for, in order, each once. `base_dir`: where a
// relative prompts=FILE is looked for. `notes` receives why a variant was
// left out. InputError naming `where` for an unknown word, an expert the
// recipe does not have, a top-k outside [1, experts], or a prompts file that
// cannot be read.
std::vector<AblationVariant> expand_variants(const merge::MergeRecipe& recipe, const std::vector<std::string>& words,
                                             const std::filesystem::path& base_dir, const std::string& where,
                                             std::vector<std::string>* notes);

}  // namespace moebench::jobs
