// `moebench run` as a nightly job: SIGKILLed at random points and re-run, it
// ends with exactly the samples and scores of an uninterrupted run; shards run
// as concurrent processes on one database, or on their own databases merged,
// give the same scores too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "harness/store/results_store.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;

pid_t spawn_moebench(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    const char* env = std::getenv("MOEBENCH_BIN");
    const char* bin = env && *env ? env : MOEBENCH_TEST_BIN;
    std::vector<char*> argv{const_cast<char*>(bin)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(bin, argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// (model, task, metric) -> value
std::map<std::string, double> scores_of(const fs::path& db) {
  std::map<std::string, double> out;
  for (const ScoreRow& r : ResultsStore::open(db).scores()) {
    out[r.model + "|" + r.task + "|" + r.metric] = r.value;
  }
  return out;
}

class PlanRun : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_moebench({"make-tiny", "--out", (dir_.path() / "tiny-mixtral").string(),
                            "--context", "1024"}).exit_code, 0);
    moebench::testing::write_text(dir_.path() / "plan.yml", R"(plan: kill-test
suites: [math, truthfulness]
settings:
  limit: 8
  batch_size: 4
  routing: tokens
  docs_per_transaction: 2
models:
  - name: tiny-mixtral
    path: tiny-mixtral
)");
    plan_ = (dir_.path() / "plan.yml").string();
  }
  std::vector<std::string> run_args(const fs::path& db, const std::string& extra = "") {
    std::vector<std::string> a{"run", plan_, "--db", db.string(), "--run-name", "night"};
    if (!extra.empty()) {
      a.push_back("--shard");
      a.push_back(extra);
    }
    return a;
  }
  ScratchDir dir_;
  std::string plan_;
};

TEST_F(PlanRun, SurvivesTenKillsWithExactlyOneRowPerSample) {
  const fs::path reference = dir_.path() / "reference.sqlite";
  auto start = std::chrono::steady_clock::now();
  auto r = run_moebench(run_args(reference));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double full_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const auto expected = scores_of(reference);
  ASSERT_FALSE(expected.empty());

  const fs::path killed = dir_.path() / "killed.sqlite";
  std::mt19937 rng(2026);
  std::uniform_real_distribution<double> when(0.05 * full_ms, 0.9 * full_ms);
  int interrupted = 0;
  for (int i = 0; i < 10; ++i) {
    pid_t pid = spawn_moebench(run_args(killed));
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(when(rng))));
    if (kill(pid, SIGKILL) == 0) ++interrupted;
    wait_exit(pid);
  }
  r = run_moebench(run_args(killed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(interrupted, 5);

  // One sample row per (run, model, task, doc): 3 tasks x 8 documents.
  auto store = ResultsStore::open(killed);
  ASSERT_EQ(store.runs().size(), 1u);
  auto got = scores_of(killed);
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(got.count(key)) << key;
    EXPECT_NEAR(got[key], value, 1e-6) << key;
  }
  int64_t samples = 0;
  for (const auto& row : store.scores()) samples = std::max(samples, row.n);
  EXPECT_EQ(samples, 8);
}

TEST_F(PlanRun, ShardsOnOneDatabaseAndMergedDatabasesGiveTheSameScores) {
  const fs::path single = dir_.path() / "single.sqlite";
  ASSERT_EQ(run_moebench(run_args(single)).exit_code, 0);
  const auto expected = scores_of(single);

  // Four shard processes writing one database at once.
  const fs::path shared = dir_.path() / "shared.sqlite";
  std::vector<pid_t> pids;
  for (int i = 0; i < 4; ++i) pids.push_back(spawn_moebench(run_args(shared, std::to_string(i) + "/4")));
  for (pid_t p : pids) EXPECT_EQ(wait_exit(p), 0);
  // Four shard databases, merged.
  std::vector<std::string> merge{"db", "merge", "--db", (dir_.path() / "merged.sqlite").string()};
  for (int i = 0; i < 4; ++i) {
    const fs::path db = dir_.path() / ("shard" + std::to_string(i) + ".sqlite");
    ASSERT_EQ(run_moebench(run_args(db, std::to_string(i) + "/4")).exit_code, 0);
    merge.push_back(db.string());
  }
  auto r = run_moebench(merge);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const fs::path& db : {shared, dir_.path() / "merged.sqlite"}) {
    auto got = scores_of(db);
    ASSERT_EQ(got.size(), expected.size()) << db;
    for (const auto& [key, value] : expected) EXPECT_NEAR(got[key], value, 1e-6) << db << " " << key;
  }
  // Suite scores too: each shard stored a partial suite; the shared database
  // recomputes them as units land, the merge once every shard is in.
  const auto suite_scores = [](const fs::path& db) {
    std::map<std::string, std::pair<double, int64_t>> out;
    for (const SuiteScoreRow& r : ResultsStore::open(db).suite_scores()) out[r.suite + "|" + r.metric] = {r.value, r.tasks};
    return out;
  };
  const auto want = suite_scores(single);
  ASSERT_FALSE(want.empty());
  for (const fs::path& db : {shared, dir_.path() / "merged.sqlite"}) {
    const auto got = suite_scores(db);
    ASSERT_EQ(got.size(), want.size()) << db;
    for (const auto& [key, value] : want) {
      EXPECT_NEAR(got.at(key).first, value.first, 1e-9) << db << " " << key;
      EXPECT_EQ(got.at(key).second, value.second) << db << " " << key;
    }
  }
}

}  // namespace
}  // namespace moebench::store
