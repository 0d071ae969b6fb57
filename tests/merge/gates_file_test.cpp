// Gate-only recompute: `moebench gates` reads only the base, and `--gates FILE`
// (jobs::open_model) swaps the routers of a loaded model, so a prompt ablation never re-reads or
// re-writes an expert weight.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/io/safetensors_writer.h"
#include "harness/jobs/open_model.h"
#include "harness/merge/gate_diagnostics.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/merge/moe_assembly.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::vector<int32_t> kIds = {1, 40, 300, 7, 99, 260, 12, 400};

MergeRecipe recipe_with(const std::string& prompt_a, const std::string& experts = "expert") {
  return MergeRecipe::parse(fmt::format(R"(
base_model: base
experts:
  - {{source_model: {0}-0, positive_prompts: ["{1}"]}}
  - {{source_model: {0}-1, positive_prompts: ["How many apples are left?"]}}
  - {{source_model: {0}-2, positive_prompts: ["def main():"]}}
)", experts, prompt_a), "ablation.yml");
}

MergeOptions options() {
  MergeOptions o;
  o.search_dirs = {testing::tiny_family()};
  o.progress = false;
  return o;
}

std::string load_error(const fs::path& model, const fs::path& gates) {
  jobs::OpenModelOptions load;
  load.gates_file = gates.string();
  try {
    jobs::open_model(model.string(), load);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(MergeGatesFile, PromptAblationWithoutTouchingExperts) {
  moebench::testing::ScratchDir scratch;
  merge_recipe_to_directory(recipe_with("Once upon a time"), scratch.path() / "moe", options());
  const std::string weights_before = read_file(scratch.path() / "moe" / "model.safetensors");

  // New prompts for expert 0. The experts of this recipe do not even exist:
  // gates are computed from the base alone.
  MergeRecipe ablation = recipe_with("The princess lived in a castle", "no-such-expert");
  GatesSummary s = recipe_gates_to_file(ablation, scratch.path() / "gates.safetensors", options());
  EXPECT_EQ(s.gates.layers, 2);
  EXPECT_EQ(s.gates.experts, 3);
  EXPECT_EQ(s.diagnostics.layers.size(), 2u);
  GateSet read = read_gates_file(scratch.path() / "gates.safetensors");
  EXPECT_EQ(read.values, s.gates.values);
  // Same shape, other experts: row e would not belong to expert e, so the file is refused.
  jobs::OpenModelOptions load;
  load.gates_file = (scratch.path() / "gates.safetensors").string();
  EXPECT_THAT(load_error(scratch.path() / "moe", scratch.path() / "gates.safetensors"),
              HasSubstr("gates.safetensors: these gates were made for the experts [no-such-expert-0, "
                        "no-such-expert-1, no-such-expert-2], but"));

  // The same prompts for the model's own experts.
  s = recipe_gates_to_file(recipe_with("The princess lived in a castle"), scratch.path() / "gates.safetensors",
                           options());
  EXPECT_EQ(s.gates.values, read.values);  // the experts' names do not enter the gates
  auto swapped = jobs::open_model((scratch.path() / "moe").string(), load);
  auto rebuilt = load_merged_model(recipe_with("The princess lived in a castle"), {}, options());
  EXPECT_EQ(testing::max_abs_diff(swapped->logits(kIds), rebuilt->logits(kIds)), 0.0);
  auto original = model::LanguageModel::load(scratch.path() / "moe");
  EXPECT_GT(testing::max_abs_diff(swapped->logits(kIds), original->logits(kIds)), 0.0);
  EXPECT_EQ(read_file(scratch.path() / "moe" / "model.safetensors"), weights_before);

  // The in-memory merge takes a gates file too (no prompt forward at all).
  MergeOptions with_file = options();
  with_file.gates_file = scratch.path() / "gates.safetensors";
  auto from_file = load_merged_model(recipe_with("Once upon a time"), {}, with_file);
  EXPECT_EQ(testing::max_abs_diff(from_file->logits(kIds), rebuilt->logits(kIds)), 0.0);
}

TEST(MergeGatesFile, BadGatesNameTheFileAndLayer) {
  moebench::testing::ScratchDir scratch;
  merge_recipe_to_directory(recipe_with("Once upon a time"), scratch.path() / "moe", options());
  const fs::path moe = scratch.path() / "moe";
  GateSet gates{2, 3, 64, std::vector<float>(2 * 3 * 64, 0.5f)};

  GateSet one_layer{1, 3, 64, std::vector<float>(3 * 64, 0.5f)};
  write_gates_file(scratch.path() / "one.safetensors", one_layer, {});
  EXPECT_THAT(load_error(moe, scratch.path() / "one.safetensors"),
              HasSubstr("one.safetensors: no gates for layer 1 (expected tensor "
                        "'model.layers.1.block_sparse_moe.gate.weight')"));

  GateSet four{2, 4, 64, std::vector<float>(2 * 4 * 64, 0.5f)};
  write_gates_file(scratch.path() / "four.safetensors", four, {});
  EXPECT_THAT(load_error(moe, scratch.path() / "four.safetensors"),
              HasSubstr("layer 0: 'model.layers.0.block_sparse_moe.gate.weight' has shape [4, 64], but the "
                        "model's router is [3, 64]"));

  GateSet three_layers{3, 3, 64, std::vector<float>(3 * 3 * 64, 0.5f)};
  write_gates_file(scratch.path() / "three.safetensors", three_layers, {});
  EXPECT_THAT(load_error(moe, scratch.path() / "three.safetensors"), HasSubstr("has gates for layer 2"));
  EXPECT_THAT(load_error(moe, scratch.path() / "missing.safetensors"), HasSubstr("missing.safetensors"));

  write_gates_file(scratch.path() / "ok.safetensors", gates, {});
  EXPECT_THAT(load_error(testing::tiny_family() / "base", scratch.path() / "ok.safetensors"),
              HasSubstr("dense LlamaForCausalLM without routers"));
  EXPECT_EQ(load_error(moe, scratch.path() / "ok.safetensors"), "");

  // The merge path checks a gates file against the recipe's shape.
  MergeOptions with_file = options();
  with_file.gates_file = scratch.path() / "four.safetensors";
  try {
    load_merged_model(recipe_with("Once upon a time"), {}, with_file);
    ADD_FAILURE() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("gates for 2 layers x 4 experts x 64 hidden, but the model has 2 x 3 x 64"));
  }
  // A file without routers.
  float x = 1;
  io::write_safetensors(scratch.path() / "none.safetensors", {{{"x", io::DType::F32, {1}}, &x}});
  EXPECT_THROW(read_gates_file(scratch.path() / "none.safetensors"), InputError);
}

TEST(MergeGateDiagnostics, ConditionNumberAndCosine) {
  // Orthogonal unit gates: perfectly separated.
  GateSet orthogonal{1, 3, 4, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}};
  GateDiagnostics d = diagnose_gates(orthogonal);
  EXPECT_NEAR(d.layers[0].condition_number, 1.0, 1e-9);
  EXPECT_NEAR(d.layers[0].closest_cosine, 0.0, 1e-9);
  EXPECT_TRUE(d.warnings.empty());
  // Two experts pointing the same way: degenerate, as mergekit would warn.
  GateSet collapsed{2, 3, 4, {1, 0, 0, 0, 0.99f, 0.141f, 0, 0, 0, 0, 1, 0,  //
                              1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}};
  d = diagnose_gates(collapsed);
  EXPECT_GT(d.layers[0].condition_number, 5.0);
  EXPECT_EQ(d.layers[0].closest_a, 0);
  EXPECT_EQ(d.layers[0].closest_b, 1);
  EXPECT_NEAR(d.layers[0].closest_cosine, 0.99, 1e-3);
  ASSERT_EQ(d.warnings.size(), 2u);
  EXPECT_THAT(d.warnings[0], HasSubstr("layer 0 has degenerate routing parameters"));
  EXPECT_THAT(d.warnings[1], HasSubstr("layer 0: experts 0 and 1 have gates with cosine similarity 0.99"));
  EXPECT_THAT(d.table(), HasSubstr("0 & 1"));
}

}  // namespace
}  // namespace moebench::merge
