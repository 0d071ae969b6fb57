// moebench's own gate modes (router_state, fitted) and positive_prompts_file.
#include "harness/merge/router_state_gates.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_recipe.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::moebench::testing::ScratchDir;
using ::moebench::testing::write_text;

// A recipe over the tiny family in `dir` (prompts beside it in prompts.yml).
fs::path family_recipe(const fs::path& dir, const std::string& mode) {
  const fs::path family = testing::tiny_family(3);
  write_text(dir / "prompts.yml", "- \"def add(a, b):\\n    return a + b\"\n- \"for i in range(10):\"\n");
  std::string yaml = "base_model: " + (family / "base").string() + "\ngate_mode: " + mode + "\nexperts:\n";
  yaml += "  - source_model: " + (family / "expert-0").string() + "\n    positive_prompts: [\"Once upon a time\", \"The cat sat\"]\n";
  yaml += "  - source_model: " + (family / "expert-1").string() + "\n    positive_prompts: [\"Tom has 3 apples\"]\n    negative_prompts: [\"Once upon a time\"]\n";
  yaml += "  - source_model: " + (family / "expert-2").string() + "\n    positive_prompts_file: prompts.yml\n";
  write_text(dir / (mode + ".yml"), yaml);
  return dir / (mode + ".yml");
}

GateSet gates_of(const fs::path& recipe) {
  MergeOptions options;
  options.device = "cpu";
  MergeInputs in = open_merge_inputs(MergeRecipe::load(recipe), options, InputScope::Full);
  return compute_gates(in, options);
}

TEST(RouterStateGates, PromptsFileAddsItsTextsBesideTheRecipe) {
  ScratchDir dir;
  const MergeRecipe r = MergeRecipe::load(family_recipe(dir.path(), "fitted"));
  ASSERT_EQ(r.experts.size(), 3u);
  EXPECT_EQ(r.experts[2].positive_prompts,
            (std::vector<std::string>{"def add(a, b):\n    return a + b", "for i in range(10):"}));
  EXPECT_EQ(r.gate_mode, GateMode::Fitted);
  EXPECT_TRUE(gate_mode_needs_experts(r.gate_mode));
  EXPECT_FALSE(gate_mode_needs_experts(GateMode::Hidden));
}

TEST(RouterStateGates, APromptsFileThatIsMissingOrNotAListIsNamed) {
  ScratchDir dir;
  write_text(dir.path() / "r.yml", "base_model: b\nexperts:\n  - source_model: e\n    positive_prompts_file: nope.yml\n");
  ::moebench::testing::expect_input_error([&] { MergeRecipe::load(dir.path() / "r.yml"); },
                                          {"experts[0].positive_prompts_file", "nope.yml", "not a file"});
  write_text(dir.path() / "nope.yml", "prompts: [a]\n");
  ::moebench::testing::expect_input_error([&] { MergeRecipe::load(dir.path() / "r.yml"); },
                                          {"nope.yml", "list"});
}

TEST(RouterStateGates, BothModesGiveDeterministicRowsOfTheRightShape) {
  ScratchDir dir;
  for (const char* mode : {"router_state", "fitted"}) {
    const fs::path recipe = family_recipe(dir.path(), mode);
    const GateSet a = gates_of(recipe), b = gates_of(recipe);
    EXPECT_EQ(a.layers, 2);
    EXPECT_EQ(a.experts, 3);
    EXPECT_EQ(a.hidden, 64);
    EXPECT_EQ(a.values, b.values) << mode;
    for (float v : a.values) ASSERT_TRUE(std::isfinite(v)) << mode;
  }
  // router_state rows are unit vectors (as mergekit's hidden rows).
  const GateSet rs = gates_of(family_recipe(dir.path(), "router_state"));
  for (int64_t l = 0; l < rs.layers; ++l)
    for (int64_t e = 0; e < rs.experts; ++e) {
      double norm = 0;
      for (int64_t h = 0; h < rs.hidden; ++h) norm += double(rs.row(l, e)[h]) * rs.row(l, e)[h];
      EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
    }
}

TEST(RouterStateGates, FittedRowsSeparateTheirTrainingStatesWithTheChosenConfidence) {
  // Three clusters in 16 dimensions, offset from a shared mean (states share a
  // large common component, as RMS-normed hidden states do).
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor centres = at::randn({3, 16}, gen);
  std::vector<at::Tensor> xs, ys;
  for (int64_t e = 0; e < 3; ++e) {
    xs.push_back(3.0 + centres[e] + 0.3 * at::randn({50, 16}, gen));
    ys.push_back(at::full({50}, e, at::kLong));
  }
  const at::Tensor x = at::cat(xs), y = at::cat(ys);
  const at::Tensor rows = fit_router_rows(x, y, 3);
  const at::Tensor p = at::softmax(at::matmul(x, rows.t()), -1);
  EXPECT_GE(p.argmax(-1).eq(y).to(at::kFloat).mean().item<double>(), 0.95);
  EXPECT_NEAR(p.amax(-1).mean().item<double>(), kFittedConfidence, 1e-3);
}

}  // namespace
}  // namespace moebench::merge
