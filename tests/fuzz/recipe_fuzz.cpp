// A mergekit-moe recipe (YAML): the checked YAML reader, then every key of
// the recipe schema, as MergeRecipe::load does after reading the file (the
// checks against the models, recipe_checks.h, need the models themselves).
#include "harness/merge/merge_recipe.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::reject_only_with_input_error([&] {
    const merge::MergeRecipe recipe = merge::MergeRecipe::parse(text, "recipe.yml");
    merge::gate_mode_name(recipe.gate_mode);
  });
  return 0;
}
