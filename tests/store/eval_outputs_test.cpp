// One path from plan to stored rows: `eval` is a one-model plan, so its
// terminal table, --out, the database's `db export --json` and the stored
// suite scores are the same numbers; and `run` stopped by SIGINT marks the run
// interrupted, loses nothing, and the command it prints resumes it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "harness/store/results_store.h"
#include "harness/util/atomic_path.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using ::testing::HasSubstr;

const char* moebench_bin() {
  const char* env = std::getenv("MOEBENCH_BIN");
  return env && *env ? env : MOEBENCH_TEST_BIN;
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(moebench::read_file(p)); }

class EvalOutputs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_moebench({"make-tiny", "--out", model_.string(), "--context", "1024"}).exit_code, 0);
  }
  ScratchDir dir_;
  fs::path model_ = dir_.path() / "tiny-mixtral";
};

TEST_F(EvalOutputs, OutExportAndStoredSuiteScoresAgree) {
  const fs::path db = dir_.path() / "eval.sqlite", out = dir_.path() / "results.json";
  auto r = run_moebench({"eval", model_.string(), "--tasks", "math,truthfulness", "--limit", "6", "--db",
                         db.string(), "--out", out.string(), "--output_path", (dir_.path() / "lm").string(),
                         "--log_samples"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json results = read_json(out);  // not const: [] on a missing key adds null
  // db export --json: the same document, byte for byte once parsed.
  r = run_moebench({"db", "export", "--db", db.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json exported = nlohmann::json::parse(r.out);
  ASSERT_EQ(exported.size(), 1u);
  EXPECT_EQ(exported[0], results);
  // The stored suite scores are the groups' numbers.
  auto store = ResultsStore::open(db);
  const auto suites = store.suite_scores();
  ASSERT_FALSE(suites.empty());
  std::set<std::string> seen;
  for (const SuiteScoreRow& row : suites) {
    seen.insert(row.suite);
    ASSERT_TRUE(results["groups"][row.suite].contains(row.metric)) << row.suite << " " << row.metric;
    EXPECT_EQ(results["groups"][row.suite][row.metric].get<double>(), row.value) << row.suite << " " << row.metric;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"math", "truthfulness"}));
  // Without --db the run is the same, in memory: the same scores.
  const fs::path out2 = dir_.path() / "memory.json";
  r = run_moebench({"eval", "--model", model_.string(), "--tasks", "math,truthfulness", "--limit", "6", "--out",
                    out2.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json memory = read_json(out2);
  EXPECT_EQ(memory["results"], results["results"]);
  EXPECT_EQ(memory["groups"], results["groups"]);
  EXPECT_EQ(memory["task_hashes"], results["task_hashes"]);
  // Its terminal table prints the same values.
  for (const auto& [name, entry] : results["results"].items()) {
    for (const auto& [key, value] : entry.items())
      if (value.is_number() && key.find("_stderr") == std::string::npos)
        EXPECT_THAT(r.out, HasSubstr(fmt::format("{:.4f}", value.get<double>()))) << name << " " << key;
  }
  // A task's config carries what lm-eval's TaskConfig always writes.
  for (const auto& [task, config] : results["configs"].items())
    for (const char* key : {"task", "doc_to_text", "doc_to_target", "unsafe_code", "description", "target_delimiter",
                            "fewshot_delimiter", "num_fewshot", "metric_list", "output_type", "repeats",
                            "should_decontaminate", "metadata"})
      EXPECT_TRUE(config.contains(key)) << task << " " << key;
  // lm-eval's files: DIR/<model>/results_<date>.json and a samples file per task.
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path() / "lm")) files.push_back(e.path());
  size_t samples_files = 0;
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    if (name.rfind("results_", 0) == 0) {
      EXPECT_EQ(read_json(p), results);
      EXPECT_EQ(p.parent_path().filename(), results["model_name_sanitized"].get<std::string>());
    }
    if (name.rfind("samples_", 0) != 0) continue;
    ++samples_files;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) {
      auto s = nlohmann::json::parse(line);
      for (const char* key : {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
                              "doc_hash", "prompt_hash", "target_hash"})
        ASSERT_TRUE(s.contains(key)) << name << " " << key;
      EXPECT_EQ(s["doc_hash"].get<std::string>().size(), 64u);
    }
  }
  EXPECT_EQ(samples_files, results["configs"].size());
}

TEST_F(EvalOutputs, LmEvalFlagSpellings) {
  auto r = run_moebench({"eval", "--model", model_.string(), "--tasks", "math_arithmetic_mc", "--limit", "0.1",
                         "--num_fewshot", "2", "--batch_size", "4", "--seed", "1,2,3,4", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto results = nlohmann::json::parse(r.out);
  const int64_t original = results["n-samples"]["math_arithmetic_mc"]["original"];
  EXPECT_EQ(results["n-samples"]["math_arithmetic_mc"]["effective"], (original + 9) / 10);  // ceil(10%)
  EXPECT_EQ(results["n-shot"]["math_arithmetic_mc"], 2);
  EXPECT_EQ(results["config"]["fewshot_seed"], 4);
  EXPECT_EQ(results["config"]["batch_size"], "4");
  r = run_moebench({"eval", "--tasks", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("math: math_word_problems"));
  r = run_moebench({"eval", "--model", model_.string(), "--tasks", "math", "--gen_kwargs", "do_sample=true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--gen_kwargs"));
  r = run_moebench({"eval", "--model", model_.string(), "--tasks", "math", "--seed", "1,2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--seed"));
}

TEST_F(EvalOutputs, PromptsCutToFitTheContextAreCountedOncePerTask) {
  const fs::path small = dir_.path() / "small";
  ASSERT_EQ(run_moebench({"make-tiny", "--out", small.string(), "--context", "48"}).exit_code, 0);
  auto r = run_moebench({"eval", small.string(), "--tasks", "math_arithmetic_mc", "--limit", "3", "--num_fewshot",
                         "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: math_arithmetic_mc: "));
  EXPECT_THAT(r.err, HasSubstr("context of 48 tokens and were cut from the left"));
  size_t warnings = 0;
  for (size_t at = r.err.find("warning: "); at != std::string::npos; at = r.err.find("warning: ", at + 1)) ++warnings;
  EXPECT_EQ(warnings, 1u) << r.err;
}

TEST_F(EvalOutputs, APlanIsCheckedWholeBeforeARunIsRecorded) {
  // The second model is missing and a recipe names an expert that is not
  // there: both are reported before any database exists.
  testing::write_text(dir_.path() / "recipe.yml", R"(base_model: tiny-mixtral
experts:
  - source_model: tiny-mixtral
    positive_prompts: ["math"]
  - source_model: tiny-mixtral
    positive_prompts: ["code"]
)");
  const fs::path db = dir_.path() / "r.sqlite";
  const auto run = [&](const std::string& models) {
    testing::write_text(dir_.path() / "plan.yml", "plan: checked\nsuites: [math]\nmodels:\n" + models);
    return run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", db.string()});
  };
  auto r = run("  - path: tiny-mixtral\n  - path: no-such-model\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("models[1]: model directory"));
  EXPECT_THAT(r.err, HasSubstr("no-such-model"));
  EXPECT_FALSE(fs::exists(db));
  r = run("  - recipe: recipe.yml\n    evaluate_sources: false\n    expected_experts: {math: tiny-mixtral-2}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("expected_experts.math: 'tiny-mixtral-2' is not one of the recipe's experts (tiny-mixtral, tiny-mixtral)"));
  EXPECT_FALSE(fs::exists(db));
  r = run("  - recipe: recipe.yml\n    evaluate_sources: false\n    expected_experts: {maths: tiny-mixtral}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("the plan runs no suite 'maths' (its suites: math)"));
  r = run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", db.string(), "--shard", "4/4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--shard"));
  EXPECT_FALSE(fs::exists(db));
}

TEST_F(EvalOutputs, SigintMarksTheRunInterruptedAndThePrintedCommandResumesIt) {
  testing::write_text(dir_.path() / "plan.yml", R"(plan: sigint
suites: [math, truthfulness]
settings:
  limit: 30
  batch_size: 2
  docs_per_transaction: 2
models:
  - name: tiny
    path: tiny-mixtral
)");
  const fs::path db = dir_.path() / "r.sqlite", err = dir_.path() / "stderr.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen(err.c_str(), "w", stderr);
    execl(moebench_bin(), moebench_bin(), "run", (dir_.path() / "plan.yml").c_str(), "--db", db.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Interrupt once some batches are stored, well before the end.
  int64_t stored = 0;
  for (int i = 0; i < 1200 && stored < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      StoreOptions ro;
      ro.database.read_only = true;
      auto store = ResultsStore::open(db, ro);
      auto q = store.database().prepare("SELECT COUNT(*) FROM samples");
      stored = q.step() ? q.int64(0) : 0;
    } catch (const StoreError&) {
    }
  }
  ASSERT_GE(stored, 4);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string message = moebench::read_file(err);
  ASSERT_TRUE(WIFEXITED(status)) << message;
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT) << message;
  {
    auto store = ResultsStore::open(db);
    ASSERT_EQ(store.runs().size(), 1u);
    EXPECT_EQ(store.runs()[0].status, "interrupted");
    auto q = store.database().prepare("SELECT COUNT(*) FROM samples");
    ASSERT_TRUE(q.step());
    EXPECT_GE(q.int64(0), stored);  // nothing stored before the signal was lost
    EXPECT_LT(q.int64(0), 90);      // and it did stop early (3 tasks x 30 documents)
  }
  const std::string marker = "resume it with: ";
  const size_t at = message.find(marker);
  ASSERT_NE(at, std::string::npos) << message;
  std::string command = message.substr(at + marker.size());
  command = command.substr(0, command.find('\n'));
  ASSERT_EQ(command.rfind("moebench ", 0), 0u) << command;
  EXPECT_THAT(command, HasSubstr("--run-name"));
  command = std::string("'") + moebench_bin() + "'" + command.substr(std::string("moebench").size());
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;

  // Resumed to complete: every document once, scores equal to an uninterrupted run's.
  const fs::path reference = dir_.path() / "reference.sqlite";
  ASSERT_EQ(run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", reference.string()}).exit_code, 0);
  auto resumed = ResultsStore::open(db);
  ASSERT_EQ(resumed.runs().size(), 1u);
  EXPECT_EQ(resumed.runs()[0].status, "complete");
  auto q = resumed.database().prepare("SELECT COUNT(*) FROM samples");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 90);
  std::map<std::string, double> want, got;
  for (const ScoreRow& row : ResultsStore::open(reference).scores()) want[row.task + row.metric] = row.value;
  for (const ScoreRow& row : resumed.scores()) got[row.task + row.metric] = row.value;
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace moebench::store
