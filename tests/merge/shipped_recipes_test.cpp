// The recipes in models/: the published ones resolve their repo ids through a
// (fake) Hugging Face cache, phixtral is refused for its architecture, and the
// tiny recipe merges end to end, through the library and the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "harness/merge/mixtral_writer.h"
#include "harness/merge/moe_assembly.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScopedEnv;

fs::path recipe_path(const std::string& name) { return testing::source_dir() / "models" / name; }

// A fake hub cache holding a tiny Mistral under each repo id of `recipe`.
void fill_cache(const fs::path& cache, const MergeRecipe& recipe) {
  std::vector<std::string> repos = {recipe.base_model};
  for (const auto& e : recipe.experts) repos.push_back(e.source_model);
  std::set<std::string> added;
  for (size_t i = 0; i < repos.size(); ++i) {
    if (!added.insert(repos[i]).second) continue;  // a repo named twice is one cache entry
    model::TinyModelSpec spec = testing::tiny_llama(700 + i);
    spec.arch = "mistral";
    testing::add_to_fake_hf_cache(cache, repos[i], model::testing::tiny_model_dir(spec, "hub-" + std::to_string(i)));
  }
}

TEST(MergeShippedRecipes, MaixtchupResolvesThroughTheHuggingFaceCache) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = MergeRecipe::load(recipe_path("maixtchup-4x7b.yml"));
  fill_cache(scratch.path() / "hub", recipe);
  ScopedEnv hub("HF_HUB_CACHE", (scratch.path() / "hub").string());
  MergeOptions options;
  options.progress = false;
  MergeSummary s = merge_recipe_to_directory(recipe, scratch.path() / "maixtchup", options);
  const auto config = testing::read_json(scratch.path() / "maixtchup" / "config.json");
  EXPECT_EQ(config["torch_dtype"], "float16");  // the recipe's dtype
  EXPECT_EQ(config["num_local_experts"], 4);
  EXPECT_EQ(config["num_experts_per_tok"], 2);
  EXPECT_EQ(config["rope_theta"], 10000.0);  // the base's value, not MixtralConfig's 1e6
  EXPECT_EQ(s.diagnostics.layers.size(), 2u);
  auto lm = load_merged_model(recipe, {}, options);
  for (const auto& row : lm->logits({1, 50, 60, 70}))
    for (float v : row) ASSERT_TRUE(std::isfinite(v));
}

TEST(MergeShippedRecipes, WestlakeRepeatsAnExpertSource) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = MergeRecipe::load(recipe_path("westlake-roleplay-4x7b.yml"));
  fill_cache(scratch.path() / "hub", recipe);
  ScopedEnv hub("HF_HUB_CACHE", (scratch.path() / "hub").string());
  MergeInputs in = open_merge_inputs(recipe, {}, InputScope::Full);
  EXPECT_EQ(in.experts[0].store, in.base.store);  // the base's own repo: one mapping
  EXPECT_EQ(in.experts[2].store, in.experts[0].store);
  EXPECT_EQ(in.recipe.gate_mode, GateMode::Hidden);
}

TEST(MergeShippedRecipes, PhixtralIsRefusedForItsArchitecture) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = MergeRecipe::load(recipe_path("phixtral-4x2_8.yml"));
  // Phi-2's config.json (abridged): the architecture is what matters.
  const fs::path phi = scratch.path() / "phi-2";
  fs::create_directories(phi);
  std::ofstream(phi / "config.json") << R"({"architectures": ["PhiForCausalLM"], "model_type": "phi",
    "hidden_size": 2560, "intermediate_size": 10240, "num_hidden_layers": 32, "num_attention_heads": 32,
    "vocab_size": 51200, "partial_rotary_factor": 0.4, "torch_dtype": "float16"})";
  testing::add_to_fake_hf_cache(scratch.path() / "hub", recipe.base_model, phi);
  for (const auto& e : recipe.experts)
    if (e.source_model != recipe.base_model) testing::add_to_fake_hf_cache(scratch.path() / "hub", e.source_model, phi);
  ScopedEnv hub("HF_HUB_CACHE", (scratch.path() / "hub").string());
  MergeOptions options;
  options.progress = false;
  try {
    merge_recipe_to_directory(recipe, scratch.path() / "phixtral", options);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("base_model: 'cognitivecomputations/dolphin-2_6-phi-2' is a PhiForCausalLM "
                                    "model (model_type 'phi'"));
    EXPECT_THAT(e.what(), HasSubstr("merging it is not supported yet"));
  }
  EXPECT_FALSE(fs::exists(scratch.path() / "phixtral"));
  // Through the CLI: the same message, exit status 2.
  auto r = moebench::testing::run_moebench({"merge", recipe_path("phixtral-4x2_8.yml").string(), "--out",
                                            (scratch.path() / "phixtral").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("PhiForCausalLM model"));
  EXPECT_FALSE(fs::exists(scratch.path() / "phixtral"));
}

// The models of tiny-frankenmoe.yml, made as its header comment says.
fs::path tiny_frankenmoe_models() {
  static const fs::path root = [] {
    const fs::path dir = testing::tiny_family().parent_path() / "tiny-models";
    const std::pair<const char*, uint64_t> models[] = {{"base", 100}, {"stories", 101}, {"math", 102}, {"code", 103}};
    for (const auto& [name, seed] : models) {
      fs::create_directories(dir / "tiny-frankenmoe");
      fs::create_directory_symlink(model::testing::tiny_model_dir(testing::tiny_llama(seed), std::string("tfm-") + name),
                                   dir / "tiny-frankenmoe" / name);
    }
    return dir;
  }();
  return root;
}

TEST(MergeShippedRecipes, TinyFrankenMoEMergesEndToEnd) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = MergeRecipe::load(recipe_path("tiny-frankenmoe.yml"));
  MergeOptions options;
  options.search_dirs = {tiny_frankenmoe_models()};
  options.progress = false;
  MergeSummary s = merge_recipe_to_directory(recipe, scratch.path() / "tiny-frankenmoe-3x", options);
  EXPECT_EQ(s.tensors, 1 + 2 * (7 + 3 * 3) + 2);
  auto in_memory = load_merged_model(recipe, {}, options);
  auto from_disk = model::LanguageModel::load(scratch.path() / "tiny-frankenmoe-3x");
  const std::vector<int32_t> ids = in_memory->tokenizer().encode("Once upon a time there was a dog");
  EXPECT_EQ(testing::max_abs_diff(in_memory->logits(ids), from_disk->logits(ids)), 0.0);
}

// The CLI end to end, from the directory the models were made in, as a user would.
TEST(MergeShippedRecipes, TinyFrankenMoEThroughTheCli) {
  moebench::testing::ScratchDir scratch;
  const std::string recipe = recipe_path("tiny-frankenmoe.yml").string();
  const std::string out = (scratch.path() / "moe").string(), gates = (scratch.path() / "gates.safetensors").string();
  testing::ScopedCwd cwd(tiny_frankenmoe_models());
  auto merged = moebench::testing::run_moebench({"merge", recipe, "--out", out});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_THAT(merged.out, HasSubstr("router diagnostics"));
  EXPECT_THAT(merged.out, HasSubstr("wrote " + out));
  const std::vector<std::string> ids = {"--ids", "1,40,300,7,99,260", "--json"};
  auto logits = [&](std::vector<std::string> args) {
    args.insert(args.end(), ids.begin(), ids.end());
    auto r = moebench::testing::run_moebench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "{}" : r.out)["logits"];
  };
  // A recipe in place of MODEL_DIR: merged in memory, the same logits as the written model.
  EXPECT_EQ(logits({"logits", out}), logits({"logits", recipe}));
  // inspect reads a recipe as the model it makes, without merging.
  auto inspect = [&](const std::string& model) {
    auto r = moebench::testing::run_moebench({"inspect", model, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "{}" : r.out);
  };
  const nlohmann::json of_recipe = inspect(recipe), of_output = inspect(out);
  for (const char* key : {"architecture", "total_parameters", "active_parameters", "num_experts", "config"})
    EXPECT_EQ(of_recipe[key], of_output[key]) << key;
  EXPECT_THAT(of_recipe.value("merged_from", ""), HasSubstr("merge of 3 experts"));
  EXPECT_FALSE(of_output.contains("merged_from"));
  // Gate-only recompute and --gates.
  auto g = moebench::testing::run_moebench({"gates", recipe, "--out", gates});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_THAT(g.out, HasSubstr("gates: hidden for 2 layers x 3 experts x 64 hidden"));
  EXPECT_EQ(logits({"logits", out, "--gates", gates}), logits({"logits", out}));
  auto bad = moebench::testing::run_moebench({"merge", recipe, "--out", out});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("already exists (pass --overwrite to replace it)"));
}

}  // namespace
}  // namespace moebench::merge
