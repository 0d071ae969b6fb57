// base_model / source_model resolution: local directories (recipe's directory,
// then the working directory) and repo ids in a fake Hugging Face cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "harness/merge/merge_inputs.h"
#include "harness/merge/model_resolver.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

using ::testing::HasSubstr;
using testing::ScopedEnv;
namespace fs = std::filesystem;

std::string resolve_error(const std::string& ref, const std::vector<fs::path>& dirs) {
  try {
    resolve_model(ref, "base_model", dirs);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(MergeModelResolver, HubCacheFollowsHuggingFaceEnvironment) {
  ScopedEnv hub("HF_HUB_CACHE", std::nullopt), legacy("HUGGINGFACE_HUB_CACHE", std::nullopt),
      home("HF_HOME", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt), user("HOME", "/home/u");
  EXPECT_EQ(hf_hub_cache(), "/home/u/.cache/huggingface/hub");
  {
    ScopedEnv x("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(hf_hub_cache(), "/xdg/huggingface/hub");
    ScopedEnv h("HF_HOME", "/hf");
    EXPECT_EQ(hf_hub_cache(), "/hf/hub");
    ScopedEnv c("HF_HUB_CACHE", "/cache");
    EXPECT_EQ(hf_hub_cache(), "/cache");
  }
}

TEST(MergeModelResolver, LocalDirectoriesInOrder) {
  moebench::testing::ScratchDir scratch;
  const fs::path a = scratch.path() / "a", b = scratch.path() / "b";
  fs::create_directories(a / "m");
  fs::create_directories(b / "m");
  fs::create_directories(b / "only-b");
  EXPECT_EQ(resolve_model("m", "base_model", {a, b}).dir, fs::canonical(a / "m"));
  EXPECT_EQ(resolve_model("only-b", "base_model", {a, b}).dir, fs::canonical(b / "only-b"));
  EXPECT_EQ(resolve_model((a / "m").string(), "base_model", {}).origin, "local directory");
  EXPECT_THAT(resolve_error((a / "none").string(), {}), HasSubstr("does not exist"));
}

TEST(MergeModelResolver, RepoIdsFromFakeHuggingFaceCache) {
  moebench::testing::ScratchDir scratch;
  const fs::path cache = scratch.path() / "hub", model = scratch.path() / "model";
  fs::create_directories(model);
  std::ofstream(model / "config.json") << "{}";
  testing::add_to_fake_hf_cache(cache, "org/name", model);
  ScopedEnv hub("HF_HUB_CACHE", cache.string());

  ResolvedModel r = resolve_model("org/name", "experts[1].source_model", {scratch.path()});
  EXPECT_EQ(r.origin, "Hugging Face cache");
  EXPECT_EQ(r.dir.parent_path().filename(), "snapshots");
  EXPECT_TRUE(fs::exists(r.dir / "config.json"));
  // A commit hash names its snapshot directly; an unknown branch is an error.
  const std::string hash = r.dir.filename().string();
  EXPECT_EQ(resolve_model("org/name@" + hash, "f", {}).dir, r.dir);
  EXPECT_THAT(resolve_error("org/name@dev", {}), HasSubstr("not found"));
  // Without refs/main, a single snapshot is taken.
  fs::remove(cache / "models--org--name" / "refs" / "main");
  EXPECT_EQ(resolve_model("org/name", "f", {}).dir, r.dir);
  // A local directory of the same name wins, as in mergekit.
  fs::create_directories(scratch.path() / "org" / "name");
  EXPECT_EQ(resolve_model("org/name", "f", {scratch.path()}).origin, "local directory");
}

TEST(MergeModelResolver, MissingModelSaysWhereItLooked) {
  moebench::testing::ScratchDir scratch;
  ScopedEnv hub("HF_HUB_CACHE", (scratch.path() / "hub").string());
  std::string e = resolve_error("mistralai/Mistral-7B-Instruct-v0.2", {scratch.path() / "recipes", "/work"});
  EXPECT_THAT(e, HasSubstr("base_model: model 'mistralai/Mistral-7B-Instruct-v0.2' not found"));
  EXPECT_THAT(e, HasSubstr((scratch.path() / "recipes" / "mistralai/Mistral-7B-Instruct-v0.2").string()));
  EXPECT_THAT(e, HasSubstr((scratch.path() / "hub" / "models--mistralai--Mistral-7B-Instruct-v0.2").string()));
  EXPECT_THAT(e, HasSubstr("never downloads"));
  EXPECT_THAT(e, HasSubstr("huggingface-cli download mistralai/Mistral-7B-Instruct-v0.2"));
}

// Reference configs name "models/stories260K", relative to ../shared/reference
// (mergekit runs from there): it is found through the working directory too.
TEST(MergeModelResolver, ReferenceConfigPathsResolveFromTheWorkingDirectory) {
  MOEBENCH_REQUIRE_SHARED();
  const fs::path recipe = testing::reference_dir() / "merge" / "config-hidden.yml";
  MergeRecipe r = MergeRecipe::load(recipe);
  testing::ScopedCwd cwd(testing::reference_dir());
  MergeOptions options;  // defaults: the recipe's directory (merge/), then the cwd
  auto dirs = model_search_dirs(r, options);
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], testing::reference_dir() / "merge");
  MergeInputs in = open_merge_inputs(r, options, InputScope::Full);
  EXPECT_EQ(in.base.where.dir, fs::canonical(testing::reference_dir() / "models" / "stories260K"));
  EXPECT_EQ(in.experts[2].where.dir, fs::canonical(testing::reference_dir() / "merge" / "experts" / "expert_c"));
}

}  // namespace
}  // namespace moebench::merge
