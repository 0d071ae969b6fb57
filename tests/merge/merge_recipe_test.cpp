// The recipe parser: every key of mergekit-moe's schema, strict types, unknown
// keys refused, and mergekit's is_bad_config validations with clear messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/merge/merge_recipe.h"
#include "harness/merge/recipe_checks.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

using ::testing::HasSubstr;

// The InputError message of `f`, or "" when it does not throw.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

MergeRecipe parse(const std::string& text) { return MergeRecipe::parse(text, "r.yml"); }

const char* kTwoExperts = R"(
base_model: base
experts:
  - source_model: a
    positive_prompts: ["x"]
  - source_model: b
    positive_prompts: ["y"]
)";

TEST(MergeRecipe, ParsesEveryKey) {
  MergeRecipe r = parse(R"(
base_model: org/base@v1
gate_mode: hidden_avg
dtype: torch.bfloat16
experts_per_token: 1
architecture: Mixtral
experts:
  - source_model: ./a
    positive_prompts: ["one", "two"]
    negative_prompts:
      - "three"
    noise_scale: 0.01
    residual_scale: 0.5
  - source_model: b
    positive_prompts: [""]
shared_experts: []
)");
  EXPECT_EQ(r.base_model, "org/base@v1");
  EXPECT_EQ(r.gate_mode, GateMode::HiddenAvg);
  EXPECT_EQ(r.dtype, "bfloat16");
  EXPECT_EQ(r.experts_per_token, 1);
  EXPECT_EQ(r.architecture, "mixtral");
  ASSERT_EQ(r.experts.size(), 2u);
  EXPECT_EQ(r.experts[0].source_model, "./a");
  EXPECT_EQ(r.experts[0].positive_prompts, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(r.experts[0].negative_prompts, std::vector<std::string>{"three"});
  EXPECT_DOUBLE_EQ(*r.experts[0].noise_scale, 0.01);
  EXPECT_DOUBLE_EQ(*r.experts[0].residual_scale, 0.5);
  EXPECT_EQ(r.experts[1].positive_prompts, std::vector<std::string>{""});
  EXPECT_FALSE(r.experts[1].noise_scale);
  EXPECT_NO_THROW(check_recipe(r, false));
}

TEST(MergeRecipe, DefaultsAreMergekits) {
  MergeRecipe r = parse(kTwoExperts);
  EXPECT_EQ(r.gate_mode, GateMode::Hidden);  // MoEMergeConfig.gate_mode = "hidden"
  EXPECT_EQ(r.experts_per_token, 2);
  EXPECT_EQ(r.dtype, "");                   // the base's torch_dtype
  EXPECT_EQ(r.architecture, "mixtral");
  EXPECT_EQ(r.text, kTwoExperts);           // kept verbatim for mergekit_moe_config.yml
}

TEST(MergeRecipe, GateModeNames) {
  for (auto [name, mode] : std::vector<std::pair<std::string, GateMode>>{
           {"hidden", GateMode::Hidden}, {"hidden_last", GateMode::Hidden},
           {"hidden_avg", GateMode::HiddenAvg}, {"cheap_embed", GateMode::CheapEmbed},
           {"random", GateMode::Random}, {"uniform_random", GateMode::UniformRandom}})
    EXPECT_EQ(parse(std::string(kTwoExperts) + "gate_mode: " + name + "\n").gate_mode, mode) << name;
  std::string e = error_of([] { parse(std::string(kTwoExperts) + "gate_mode: cheap_embeds\n"); });
  EXPECT_THAT(e, HasSubstr("r.yml:8: field 'gate_mode': unknown gate mode 'cheap_embeds'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'cheap_embed'"));
}

TEST(MergeRecipe, UnknownKeysAreErrors) {
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "experts_per_tok: 2\n"); }),
              HasSubstr("field 'experts_per_tok': unknown key (did you mean 'experts_per_token'?)"));
  EXPECT_THAT(error_of([] { parse("base_model: b\nexperts:\n  - source_model: a\n    positive_prompt: [x]\n"); }),
              HasSubstr("r.yml:4: field 'experts[0].positive_prompt': unknown key (did you mean 'positive_prompts'?)"));
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "dtype: float16\ndtype: float32\n"); }),
              HasSubstr("field 'dtype': given twice"));
}

TEST(MergeRecipe, WrongTypesNameFieldAndValue) {
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "experts_per_token: two\n"); }),
              HasSubstr("field 'experts_per_token': expected an integer, got 'two'"));
  EXPECT_THAT(error_of([] { parse("base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: hello\n"); }),
              HasSubstr("field 'experts[0].positive_prompts': expected a list of strings, got 'hello'"));
  EXPECT_THAT(error_of([] { parse("base_model: b\nexperts:\n  - source_model: a\n    noise_scale: lots\n"); }),
              HasSubstr("field 'experts[0].noise_scale': expected a finite number, got 'lots'"));
  EXPECT_THAT(error_of([] { parse("base_model: b\nexperts:\n  - source_model: a\n    noise_scale: -1\n"); }),
              HasSubstr("must be >= 0"));
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "dtype: int8\n"); }),
              HasSubstr("field 'dtype': unsupported dtype 'int8'"));
  EXPECT_THAT(error_of([] { parse("experts: []\n"); }), HasSubstr("field 'base_model': is missing"));
  EXPECT_THAT(error_of([] { parse("base_model: b\n"); }), HasSubstr("field 'experts': is missing"));
  EXPECT_THAT(error_of([] { parse("base_model: b\nexperts:\n  - positive_prompts: [x]\n"); }),
              HasSubstr("field 'experts[0].source_model': is missing"));
  EXPECT_THAT(error_of([] { parse("base_model: [b\n"); }), HasSubstr("malformed YAML"));
  EXPECT_THAT(error_of([] { parse(""); }), HasSubstr("empty recipe"));
  EXPECT_THAT(error_of([] { parse("base_model: a+lora\nexperts: []\n"); }), HasSubstr("LoRA adapter"));
}

TEST(MergeRecipe, ArchitectureAndSharedExperts) {
  EXPECT_EQ(parse(std::string(kTwoExperts) + "architecture: mix\n").architecture, "mixtral");
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "architecture: qwen\n"); }),
              HasSubstr("field 'architecture': 'qwen' output is not supported yet"));
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "architecture: deepseek\n"); }),
              HasSubstr("not supported yet"));
  EXPECT_THAT(error_of([] { parse(std::string(kTwoExperts) + "architecture: gpt2\n"); }),
              HasSubstr("no output architecture matches 'gpt2' (supported: mixtral)"));
  std::string e = error_of([] {
    parse(std::string(kTwoExperts) + "shared_experts:\n  - source_model: s\n    residual_scale: 0.1\n");
  });
  EXPECT_THAT(e, HasSubstr("field 'shared_experts': Mixtral has no shared experts"));
}

TEST(MergeRecipe, MergekitValidations) {
  auto check = [](const std::string& text, bool allow_all_same = false) {
    return error_of([&] { check_recipe(parse(text), allow_all_same); });
  };
  EXPECT_THAT(check(std::string(kTwoExperts) + "experts_per_token: 0\n"),
              HasSubstr("field 'experts_per_token': must be >= 1, got 0"));
  EXPECT_THAT(check(std::string(kTwoExperts) + "experts_per_token: 3\n"),
              HasSubstr("field 'experts_per_token': 3 exceeds the number of experts (2)"));
  EXPECT_THAT(check("base_model: b\nexperts: []\n"), HasSubstr("field 'experts': the list is empty"));
  const std::string no_prompts = "base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: [x]\n"
                                 "  - source_model: c\n";
  EXPECT_THAT(check(no_prompts), HasSubstr("field 'experts[1].positive_prompts': expert 1 (c) has no positive prompts"));
  EXPECT_EQ(check(no_prompts + "gate_mode: random\n"), "");  // random needs no prompts
  EXPECT_THAT(check(no_prompts + "gate_mode: uniform_random\n"), HasSubstr("no positive prompts"));  // as mergekit
  const std::string same_prompts = "base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: [x]\n"
                                   "  - source_model: c\n    positive_prompts: [x]\n";
  EXPECT_THAT(check(same_prompts), HasSubstr("all 2 experts have identical prompts"));
  EXPECT_THAT(check(same_prompts, true), HasSubstr("identical prompts"));  // never allowed (as mergekit)
  // Different negative prompts make them different.
  EXPECT_EQ(check(same_prompts + "    negative_prompts: [y]\n"), "");
  const std::string same_models = "base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: [x]\n"
                                  "  - source_model: a\n    positive_prompts: [y]\n";
  std::string e = check(same_models);
  EXPECT_THAT(e, HasSubstr("fields 'experts[*].source_model': all 2 experts are 'a'"));
  EXPECT_THAT(e, HasSubstr("--i-understand-this-is-not-useful-without-training"));
  EXPECT_EQ(check(same_models, true), "");
}

TEST(MergeRecipe, NotesForWhatMergekitDoesDifferently) {
  MergeRecipe r = parse(R"(
base_model: b
experts:
  - {source_model: a, positive_prompts: [x], residual_scale: 0.5, noise_scale: 0.1}
  - {source_model: c, positive_prompts: [y]}
  - {source_model: d, positive_prompts: [z]}
)");
  auto notes = recipe_notes(r);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_THAT(notes[0], HasSubstr("3 experts is not a power of two"));
  EXPECT_THAT(notes[1], HasSubstr("experts[0].noise_scale"));
  EXPECT_THAT(notes[2], HasSubstr("experts[0].residual_scale = 0.5"));
}

TEST(MergeRecipe, LoadReportsMissingFileAndKeepsPath) {
  EXPECT_THAT(error_of([] { MergeRecipe::load("/nonexistent/recipe.yml"); }),
              HasSubstr("/nonexistent/recipe.yml: recipe file not found"));
  EXPECT_TRUE(is_recipe_path("a/b.yml"));
  EXPECT_TRUE(is_recipe_path("B.YAML"));
  EXPECT_FALSE(is_recipe_path("models/tiny"));
}

TEST(MergeRecipe, ShippedRecipesParse) {
  const auto models = testing::source_dir() / "models";
  for (const char* name : {"maixtchup-4x7b.yml", "westlake-roleplay-4x7b.yml", "phixtral-4x2_8.yml",
                           "tiny-frankenmoe.yml"}) {
    SCOPED_TRACE(name);
    MergeRecipe r = MergeRecipe::load(models / name);
    EXPECT_GE(r.experts.size(), 3u);
    // phixtral's four empty prompts are identical: mergekit-moe refuses it too
    // (its architecture is refused first, see shipped_recipes_test.cpp).
    if (std::string(name) == "phixtral-4x2_8.yml")
      EXPECT_THAT(error_of([&] { check_recipe(r, false); }), HasSubstr("identical prompts"));
    else
      EXPECT_NO_THROW(check_recipe(r, false));
  }
  MergeRecipe m = MergeRecipe::load(models / "maixtchup-4x7b.yml");
  EXPECT_EQ(m.base_model, "mistralai/Mistral-7B-Instruct-v0.2");
  EXPECT_EQ(m.gate_mode, GateMode::CheapEmbed);
  EXPECT_EQ(m.dtype, "float16");
  EXPECT_EQ(m.experts.size(), 4u);
  EXPECT_EQ(m.experts[3].positive_prompts, std::vector<std::string>{"You are skilled in mathematics."});
  // The shipped copies keep the published text.
  MOEBENCH_REQUIRE_SHARED();
  for (const char* name : {"maixtchup-4x7b.yml", "westlake-roleplay-4x7b.yml", "phixtral-4x2_8.yml"})
    EXPECT_EQ(MergeRecipe::load(models / name).text,
              MergeRecipe::load(moebench::testing::shared_dir() / "recipes" / name).text) << name;
}

}  // namespace
}  // namespace moebench::merge
