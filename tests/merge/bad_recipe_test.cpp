// Bad recipes and bad inputs: each fails with one clear message naming the
// field (and expert) and leaves no output directory, not even a temporary one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "harness/io/safetensors_writer.h"
#include "harness/io/tensor_store.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct BadCase {
  std::string name;
  std::string recipe;    // the text after "base_model: base\n" unless it starts with "base_model"
  std::string expected;  // substring of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// Models beside the family: experts whose shape or vocabulary differ, a base
// without tokenizer, an expert missing an MLP tensor, a Mixtral.
fs::path odd_models() {
  static const fs::path root = [] {
    const fs::path dir = testing::tiny_family().parent_path() / "odd";
    fs::create_directories(dir);
    model::TinyModelSpec wide = testing::tiny_llama(600);
    wide.intermediate_size = 128;
    fs::create_directory_symlink(model::testing::tiny_model_dir(wide, "odd-wide"), dir / "wide");
    model::TinyModelSpec vocab = testing::tiny_llama(601);
    vocab.vocab_size = 400;
    fs::create_directory_symlink(model::testing::tiny_model_dir(vocab, "odd-vocab"), dir / "vocab");
    model::TinyModelSpec mixtral = testing::tiny_llama(602);
    mixtral.arch = "mixtral";
    fs::create_directory_symlink(model::testing::tiny_model_dir(mixtral, "odd-mixtral"), dir / "mixtral");
    const fs::path base = testing::tiny_family() / "base";
    fs::create_directories(dir / "no-tokenizer");
    for (const auto& entry : fs::directory_iterator(base))
      if (entry.path().filename() != "tokenizer.model")
        fs::copy_file(entry.path(), dir / "no-tokenizer" / entry.path().filename());
    // expert-0 without layer 1's up_proj
    fs::create_directories(dir / "no-up");
    auto expert = io::TensorStore::open(testing::tiny_family() / "expert-0");
    std::vector<io::TensorData> tensors;
    for (const auto& name : expert->names()) {
      if (name == "model.layers.1.mlp.up_proj.weight") continue;
      io::TensorView v = expert->get(name);
      tensors.push_back({{name, v.dtype, v.shape}, v.data});
    }
    io::write_safetensors(dir / "no-up" / "model.safetensors", tensors);
    fs::copy_file(base / "config.json", dir / "no-up" / "config.json");
    return dir;
  }();
  return root;
}

const char* kGood = R"(experts:
  - {source_model: expert-0, positive_prompts: ["a story"]}
  - {source_model: expert-1, positive_prompts: ["a sum"]}
)";

std::string with_expert(const std::string& source) {
  return std::string(kGood) + "  - {source_model: " + source + ", positive_prompts: [\"code\"]}\n";
}

class MergeBadRecipe : public ::testing::TestWithParam<BadCase> {};

TEST_P(MergeBadRecipe, FailsClearlyAndLeavesNoOutput) {
  const BadCase& c = GetParam();
  moebench::testing::ScratchDir scratch;
  const std::string text = c.recipe.rfind("base_model", 0) == 0 ? c.recipe : "base_model: base\n" + c.recipe;
  MergeOptions options;
  options.search_dirs = {testing::tiny_family(), odd_models()};
  options.progress = false;
  std::string message;
  try {
    merge_recipe_to_directory(MergeRecipe::parse(text, "bad.yml"), scratch.path() / "out", options);
  } catch (const InputError& e) {
    message = e.what();
  }
  EXPECT_THAT(message, HasSubstr(c.expected));
  EXPECT_TRUE(testing::list_dir(scratch.path()).empty()) << "left behind: " << testing::list_dir(scratch.path())[0];
}

INSTANTIATE_TEST_SUITE_P(
    All, MergeBadRecipe,
    ::testing::Values(
        BadCase{"experts_per_token_zero", std::string(kGood) + "experts_per_token: 0\n",
                "field 'experts_per_token': must be >= 1"},
        BadCase{"experts_per_token_too_many", std::string(kGood) + "experts_per_token: 3\n",
                "field 'experts_per_token': 3 exceeds the number of experts (2)"},
        BadCase{"missing_prompts", "experts:\n  - {source_model: expert-0, positive_prompts: [a]}\n"
                                   "  - {source_model: expert-1}\n",
                "field 'experts[1].positive_prompts': expert 1 (expert-1) has no positive prompts"},
        BadCase{"identical_prompts", "experts:\n  - {source_model: expert-0, positive_prompts: [a]}\n"
                                     "  - {source_model: expert-1, positive_prompts: [a]}\n",
                "all 2 experts have identical prompts"},
        BadCase{"identical_sources", "experts:\n  - {source_model: expert-0, positive_prompts: [a]}\n"
                                     "  - {source_model: expert-0, positive_prompts: [b]}\n",
                "all 2 experts are 'expert-0'"},
        BadCase{"unknown_gate_mode", std::string(kGood) + "gate_mode: hiden\n",
                "field 'gate_mode': unknown gate mode 'hiden' (did you mean 'hidden'?)"},
        BadCase{"unknown_key", std::string(kGood) + "experts_per_tokens: 2\n", "unknown key"},
        BadCase{"missing_base", std::string("base_model: no-such-base\n") + kGood,
                "base_model: model 'no-such-base' not found"},
        BadCase{"missing_expert", with_expert("no-such-expert"),
                "experts[2].source_model: model 'no-such-expert' not found"},
        BadCase{"expert_shape_differs", with_expert("wide"),
                "experts[2].source_model: 'wide' has intermediate_size 128 but the base 'base' has 160"},
        BadCase{"expert_vocab_differs", with_expert("vocab"),
                "experts[2].source_model: 'vocab' has vocab_size 400 but the base 'base' has 512"},
        BadCase{"expert_missing_tensor", with_expert("no-up"),
                "experts[2].source_model: 'no-up' (" },
        BadCase{"tokenizer_missing", std::string("base_model: no-tokenizer\n") + kGood,
                "base_model: the base model 'no-tokenizer' needs a tokenizer"},
        BadCase{"mixtral_base", std::string("base_model: mixtral\n") + kGood,
                "base_model: 'mixtral' is a MixtralForCausalLM model (model_type 'mixtral'"},
        BadCase{"mixtral_expert", with_expert("mixtral"), "experts[2].source_model: 'mixtral' is a MixtralForCausalLM"},
        BadCase{"shared_experts", std::string(kGood) + "shared_experts:\n  - {source_model: expert-2}\n",
                "Mixtral has no shared experts"},
        BadCase{"architecture_qwen", std::string(kGood) + "architecture: qwen\n", "'qwen' output is not supported yet"}),
    [](const auto& info) { return info.param.name; });

TEST(MergeBadRecipe, MissingTensorNamesIt) {
  MergeOptions options;
  options.search_dirs = {testing::tiny_family(), odd_models()};
  try {
    open_merge_inputs(MergeRecipe::parse("base_model: base\n" + with_expert("no-up"), "bad.yml"), options,
                      InputScope::Full);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no tensor 'model.layers.1.mlp.up_proj.weight'"));
  }
}

TEST(MergeBadRecipe, ExistingOutputIsRefusedBeforeAnyWork) {
  moebench::testing::ScratchDir scratch;
  fs::create_directories(scratch.path() / "out");
  std::ofstream(scratch.path() / "out" / "keep") << "x";
  MergeOptions options;
  options.search_dirs = {testing::tiny_family()};
  try {
    merge_recipe_to_directory(MergeRecipe::parse(std::string("base_model: base\n") + kGood, "r.yml"),
                              scratch.path() / "out", options);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("out: already exists"), HasSubstr("--overwrite")));
  }
  EXPECT_EQ(testing::list_dir(scratch.path() / "out"), std::vector<std::string>{"keep"});
}

}  // namespace
}  // namespace moebench::merge
