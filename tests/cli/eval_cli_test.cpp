// `moebench eval` end to end: the four bundled suites on a tiny model (the
// plumbing: every item scored, stderr present, lm-eval's layout), and stored
// generations scored without a model (gold answers must score 1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::run_moebench;
using testing::ScratchDir;

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(std::ifstream(p)); }

std::vector<nlohmann::json> read_jsonl(const fs::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

fs::path tasks_dir() { return fs::path(MOEBENCH_TEST_SOURCE_DIR) / "tasks"; }

TEST(EvalCli, FourBundledSuitesOnATinyModel) {
  ScratchDir dir;
  const std::string model = (dir.path() / "m").string();
  ASSERT_EQ(run_moebench({"make-tiny", "--out", model, "--context", "2048"}).exit_code, 0);
  auto r = run_moebench({"eval", "--model", model, "--suite", "math,coding,truthfulness,roleplay",
                         "--out", (dir.path() / "results.json").string(), "--samples",
                         (dir.path() / "samples.jsonl").string(), "--batch-size", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("|Tasks|Version|Filter|n-shot|Metric|"));
  auto results = read_json(dir.path() / "results.json");
  for (const char* key : {"results", "groups", "configs", "versions", "n-shot", "higher_is_better",
                          "n-samples", "group_subtasks"}) {
    EXPECT_TRUE(results.contains(key)) << key;
  }
  size_t docs = 0;
  for (const auto& [task, n] : results["n-samples"].items()) {
    EXPECT_EQ(n["effective"], n["original"]) << task;
    EXPECT_GT(n["original"].get<int>(), 0) << task;
    docs += n["original"].get<size_t>();
    const auto& entry = results["results"][task];
    int metrics = 0;
    for (const auto& [key, value] : entry.items()) {
      const size_t comma = key.find(',');
      if (comma == std::string::npos || key.find("_stderr,") != std::string::npos) continue;
      ++metrics;
      ASSERT_TRUE(value.is_number()) << task << " " << key;
      EXPECT_GE(value.get<double>(), 0.0);
      EXPECT_LE(value.get<double>(), 1.0);
      const std::string stderr_key = key.substr(0, comma) + "_stderr" + key.substr(comma);
      ASSERT_TRUE(entry.contains(stderr_key)) << task << " " << stderr_key;
      EXPECT_TRUE(entry[stderr_key].is_number()) << task << " " << stderr_key;
    }
    EXPECT_GT(metrics, 0) << task;
  }
  EXPECT_EQ(results["n-samples"].size(), 7u);
  EXPECT_GE(docs, 4u * 60u);
  for (const char* group : {"math", "coding", "truthfulness", "roleplay"}) {
    EXPECT_TRUE(results["groups"].contains(group)) << group;
  }
  // One sample line per document and filter pipeline, each with its metrics.
  auto samples = read_jsonl(dir.path() / "samples.jsonl");
  std::set<std::pair<std::string, int>> seen;
  for (const auto& s : samples) {
    seen.insert({s["task"].get<std::string>(), s["doc_id"].get<int>()});
    ASSERT_TRUE(s.contains("resps") && s.contains("filtered_resps") && s.contains("metrics"));
  }
  EXPECT_EQ(seen.size(), docs);
}

TEST(EvalCli, StoredGoldGenerationsScoreOne) {
  ScratchDir dir;
  std::ostringstream gens;
  std::ifstream problems(tasks_dir() / "math/math_word_problems.jsonl");
  int doc = 0;
  for (std::string line; std::getline(problems, line); ++doc) {
    auto item = nlohmann::json::parse(line);
    gens << nlohmann::json{{"task", "math_word_problems"}, {"doc_id", doc},
                           {"response", " " + item["answer"].get<std::string>()}}.dump() << "\n";
  }
  std::ifstream code(tasks_dir() / "coding/coding_completion.jsonl");
  doc = 0;
  for (std::string line; std::getline(code, line); ++doc) {
    auto item = nlohmann::json::parse(line);
    gens << nlohmann::json{{"task", "coding_completion"}, {"doc_id", doc},
                           {"response", item["canonical_solution"]}}.dump() << "\n";
  }
  testing::write_text(dir.path() / "gens.jsonl", gens.str());
  for (const char* task : {"math/math_word_problems.yaml", "coding_completion"}) {
    auto out = dir.path() / "r.json";
    std::string selected = std::string(task).find('/') == std::string::npos
                               ? std::string(task) : (tasks_dir() / task).string();
    auto r = run_moebench({"eval", "--tasks", selected, "--generations",
                           (dir.path() / "gens.jsonl").string(), "--out", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto results = read_json(out)["results"];
    for (const auto& [task, entry] : results.items()) {
      for (const auto& [key, value] : entry.items()) {
        if (key.find(',') == std::string::npos || key.find("_stderr") != std::string::npos) continue;
        EXPECT_DOUBLE_EQ(value.get<double>(), 1.0) << task << " " << key;
      }
    }
  }
}

TEST(EvalCli, BadSelectionsAreClearErrors) {
  auto r = run_moebench({"eval", "--generations", "/nonexistent.jsonl", "--suite", "math"});
  EXPECT_EQ(r.exit_code, 2);
  r = run_moebench({"eval", "--suite", "maths", "--generations", "/dev/null"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("math"));  // did you mean
  r = run_moebench({"eval", "--data", "gsm9k=/tmp/x", "--generations", "/dev/null"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("gsm8k"));
}

}  // namespace
}  // namespace moebench
