// `merge` deletes nothing it did not create: a directory made at --out while
// it runs is kept, of two concurrent merges to one --out exactly one wins, and
// --out on (or around) the recipe, the base or an expert is refused before
// any work; `gates --out` likewise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "harness/merge/mixtral_writer.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using testing::list_dir;

const char* kRecipe =
    "base_model: base\ngate_mode: hidden\nexperts:\n"
    "  - source_model: expert-0\n    positive_prompts: [\"Once upon a time there was a girl\"]\n"
    "  - source_model: expert-1\n    positive_prompts: [\"How many apples does Tom have?\"]\n";

MergeOptions options() {
  MergeOptions o;
  o.search_dirs = {testing::tiny_family()};
  o.progress = false;
  return o;
}

MergeRecipe recipe() { return MergeRecipe::parse(kRecipe, "family.yml"); }

// Every file under `dir` (symlinks not followed) with its size: what a merge
// must leave as it was.
std::map<std::string, uintmax_t> snapshot(const fs::path& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[fs::relative(e.path(), dir).string()] = e.is_regular_file() && !e.is_symlink() ? e.file_size() : 0;
  return out;
}

// Lets `n` threads wait for each other; false when they did not all arrive in time.
class Rendezvous {
 public:
  explicit Rendezvous(int n) : left_(n) {}
  bool arrive() {
    std::unique_lock<std::mutex> lock(mu_);
    if (--left_ <= 0) cv_.notify_all();
    return cv_.wait_for(lock, std::chrono::seconds(120), [&] { return left_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_;
};

TEST(MergeOutput, ADirectoryCreatedAtOutDuringTheMergeKeepsItsContent) {
  ScratchDir scratch;
  const fs::path out = scratch.path() / "out";
  MergeOptions o = options();
  o.on_tensor_written = [&](int64_t written, int64_t) {
    if (written == 3) moebench::testing::write_text(out / "notes.txt", "someone else's");
  };
  moebench::testing::expect_input_error([&] { merge_recipe_to_directory(recipe(), out, o); },
                                        {out.string(), "appeared while the merge was running"});
  EXPECT_EQ(read_file(out / "notes.txt"), "someone else's");
  EXPECT_EQ(list_dir(out), std::vector<std::string>{"notes.txt"});
  EXPECT_EQ(list_dir(scratch.path()), std::vector<std::string>{"out"});  // no staging left
}

// Both merges are past their start when either commits; with or without
// --overwrite (then onto an existing --out), exactly one may win.
TEST(MergeOutput, OfTwoConcurrentMergesToOneOutExactlyOneSucceeds) {
  for (bool overwrite : {false, true}) {
    ScratchDir scratch;
    const fs::path out = scratch.path() / "out";
    if (overwrite) moebench::testing::write_text(out / "old.txt", "old");
    Rendezvous both(2);
    std::atomic<bool> met{true};
    std::string errors[2];
    bool ok[2] = {false, false};
    auto merge = [&](int i) {
      MergeOptions o = options();
      o.overwrite = overwrite;
      o.seed = static_cast<uint64_t>(i);
      o.on_tensor_written = [&](int64_t written, int64_t) {
        if (written == 1 && !both.arrive()) met = false;
      };
      try {
        merge_recipe_to_directory(recipe(), out, o);
        ok[i] = true;
      } catch (const InputError& e) {
        errors[i] = e.what();
      }
    };
    std::thread a(merge, 0), b(merge, 1);
    a.join();
    b.join();
    ASSERT_TRUE(met) << "the merges did not overlap";
    ASSERT_NE(ok[0], ok[1]) << "overwrite " << overwrite << ": " << errors[0] << " | " << errors[1];
    const std::string& error = errors[ok[0] ? 1 : 0];
    EXPECT_THAT(error, HasSubstr(out.string()));
    EXPECT_THAT(error, HasSubstr(overwrite ? "was replaced by another one" : "appeared while the merge was running"));
    EXPECT_THAT(list_dir(out), ::testing::Contains("config.json"));
    EXPECT_EQ(list_dir(scratch.path()), std::vector<std::string>{"out"});
    EXPECT_EQ(testing::read_json(out / "config.json")["num_local_experts"], 2);
  }
}

// A merge to any name cleans what killed writers left in that directory.
TEST(MergeOutput, LeftoversOfKilledMergesGoWhateverTheirName) {
  ScratchDir scratch;
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  fs::create_directories(scratch.path() / fmt::format(".old-merge.tmp-{}-abc", child) / "half");
  fs::create_directories(scratch.path() / ".old-merge.tmp-99999999999999999999-abc");  // not ours: kept
  merge_recipe_to_directory(recipe(), scratch.path() / "out", options());
  EXPECT_EQ(list_dir(scratch.path()), (std::vector<std::string>{".old-merge.tmp-99999999999999999999-abc", "out"}));
}

class MergeOutputCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // A private copy of the models: a failure here must not delete the ones
    // other tests share. The recipe sits in a directory of its own.
    fs::copy(testing::tiny_family(), models(), fs::copy_options::recursive);
    moebench::testing::write_text(recipe_path(), kRecipe);
    fs::create_directory_symlink(models(), scratch.path() / "link");
    before = snapshot(scratch.path());
  }
  fs::path models() const { return scratch.path() / "models"; }
  fs::path recipe_path() const { return scratch.path() / "recipes" / "r.yml"; }
  moebench::testing::CommandResult run(const std::string& command, const fs::path& out,
                                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {command, recipe_path().string(), "--models-dir", models().string(),
                                     "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_moebench(args);
  }

  ScratchDir scratch;
  std::map<std::string, uintmax_t> before;
};

TEST_F(MergeOutputCli, OverwriteOntoTheRecipeTheBaseOrAnExpertIsRefusedBeforeAnyWork) {
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {scratch.path() / "recipes", "contains the recipe"},
      {models() / "base", "the same path as base_model 'base'"},
      {models() / "expert-1", "the same path as experts[1].source_model 'expert-1'"},
      {models(), "contains base_model 'base'"},
      {models() / "expert-0" / "merged", "inside experts[0].source_model 'expert-0'"},
      {scratch.path() / "link" / "expert-1", "experts[1].source_model"},  // the same place through a symlink
  };
  for (const auto& [out, message] : cases) {
    auto r = run("merge", out, {"--overwrite"});
    EXPECT_EQ(r.exit_code, 2) << out;
    EXPECT_THAT(r.err, HasSubstr("--out: '" + out.string() + "'")) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto r = run("merge", scratch.path() / "g", {"--overwrite", "--gates", (scratch.path() / "g" / "g.safetensors").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("contains the --gates file"));
  EXPECT_EQ(snapshot(scratch.path()), before);  // sources intact, nothing created
  r = run("merge", scratch.path() / "out");  // the same recipe merges elsewhere
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(MergeOutputCli, GatesOutMustNotClobberAnInputOrBeADirectory) {
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {recipe_path(), "the same path as the recipe"},
      {models() / "base" / "model.safetensors", "inside base_model 'base'"},
      {models() / "expert-0" / "model.safetensors", "inside experts[0].source_model 'expert-0'"},
      {scratch.path() / "recipes", "is an existing directory"},
      {recipe_path() / "g.safetensors", "is not a directory"},
  };
  for (const auto& [out, message] : cases) {
    auto r = run("gates", out);
    EXPECT_EQ(r.exit_code, 2) << out;
    EXPECT_THAT(r.err, HasSubstr("--out")) << r.err;
    EXPECT_THAT(r.err, HasSubstr(out.string())) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << r.err;
  }
  EXPECT_EQ(snapshot(scratch.path()), before);
  auto r = run("gates", scratch.path() / "new" / "g.safetensors");  // missing parents are made
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(scratch.path() / "new"), std::vector<std::string>{"g.safetensors"});
}

TEST_F(MergeOutputCli, AnOutThatCannotBeCreatedIsRefusedBeforeAnyWork) {
  auto r = run("merge", recipe_path() / "out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--out: '" + (recipe_path() / "out").string() + "'"));
  EXPECT_THAT(r.err, HasSubstr(recipe_path().string() + " is not a directory"));
  EXPECT_EQ(snapshot(scratch.path()), before);
}

}  // namespace
}  // namespace moebench::merge
