// `moebench eval` checks --out and --samples before any work and writes
// neither unless it can write both: a bad one exits 2 with one line naming
// the flag and the path, and leaves no file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "harness/util/atomic_path.h"
#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::run_moebench;
using testing::ScratchDir;

fs::path tasks_dir() { return fs::path(MOEBENCH_TEST_SOURCE_DIR) / "tasks"; }

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class EvalOutputs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream problems(tasks_dir() / "math/math_word_problems.jsonl");
    std::string gens;
    int doc = 0;
    for (std::string line; std::getline(problems, line); ++doc)
      gens += nlohmann::json{{"task", "math_word_problems"}, {"doc_id", doc},
                             {"response", " " + nlohmann::json::parse(line)["answer"].get<std::string>()}}.dump() + "\n";
    testing::write_text(generations(), gens);
  }
  fs::path generations() const { return dir.path() / "gens.jsonl"; }
  testing::CommandResult eval(const std::vector<std::string>& outputs) {
    std::vector<std::string> args = {"eval", "--tasks", (tasks_dir() / "math/math_word_problems.yaml").string(),
                                     "--generations", generations().string()};
    args.insert(args.end(), outputs.begin(), outputs.end());
    return run_moebench(args);
  }
  ScratchDir dir;
};

TEST_F(EvalOutputs, ABadOutputPathLeavesNoFileBehind) {
  fs::create_directories(dir.path() / "adir");
  const std::string out = (dir.path() / "r.json").string(), adir = (dir.path() / "adir").string();
  const std::string gens = generations().string();
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--out", out, "--samples", adir}, {"--samples", adir, "is an existing directory"}},
      {{"--out", out, "--samples", gens + "/s.jsonl"}, {"--samples", gens + " is not a directory"}},
      {{"--out", adir, "--samples", (dir.path() / "s.jsonl").string()}, {"--out", adir}},
      {{"--out", out, "--samples", out}, {"--samples", out, "the same path as the --out file"}},
      {{"--out", gens}, {"--out", gens, "the same path as the --generations file"}},
  };
  const auto before = names_in(dir.path());
  for (const auto& [flags, fragments] : cases) {
    auto r = eval(flags);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << "work was done before the check: " << r.out;
    for (const auto& f : fragments) EXPECT_THAT(r.err, HasSubstr(f));
    EXPECT_EQ(names_in(dir.path()), before);
  }
  EXPECT_EQ(names_in(dir.path() / "adir"), std::vector<std::string>{});
}

TEST_F(EvalOutputs, BothOutputsAreWrittenWithMissingParentsMade) {
  const fs::path out = dir.path() / "a" / "r.json", samples = dir.path() / "b" / "c" / "s.jsonl";
  auto r = eval({"--out", out.string(), "--samples", samples.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(read_file(out)).contains("results"));
  EXPECT_FALSE(read_file(samples).empty());
  EXPECT_EQ(names_in(dir.path() / "a"), std::vector<std::string>{"r.json"});
  EXPECT_EQ(names_in(dir.path() / "b" / "c"), std::vector<std::string>{"s.jsonl"});
}

}  // namespace
}  // namespace moebench
