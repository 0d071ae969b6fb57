// The nightly job on a real single-node Slurm (slurm_cluster.h): the one
// command models/moebench-nightly.sh submits the shipped array template over a
// tiny plan in 3 shards, each writing its own database, and a job that runs
// `db merge` and `moebench report` once every shard has succeeded
// (--dependency=afterok). The merged database equals one local run of the plan
// (samples, routing rows and aggregates, scores, suite scores). A shard
// cancelled mid-run cancels the merge job waiting on it; `db merge` refuses its
// database, naming it; resubmitted, it resumes, and loses and duplicates
// nothing.
//
// One process, one cluster: this binary exits 77 (skipped, with the reason)
// where the daemons cannot start.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/store/results_store.h"
#include "tests/slurm/slurm_cluster.h"
#include "tests/testing/canonical_rows.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::CommandResult;
using moebench::testing::run_command;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using moebench::testing::SlurmCluster;

SlurmCluster* cluster = nullptr;

// Three (model, task) units: one per shard. math_word_problems generates, a
// few seconds on one thread: long enough to be cancelled in the middle.
constexpr const char* kPlan = R"(plan: slurm-nightly
suites: [math, truthfulness]
settings:
  limit: 16
  batch_size: 4
  threads: 1
  routing: tokens
  docs_per_transaction: 2
models:
  - name: tiny-mixtral
    path: tiny-mixtral
)";
constexpr int kDocs = 16;
// Sbatch options of a cluster without GPUs, overriding the template's.
const std::vector<std::string> kCpuOnly = {"--gres=none", "--cpus-per-task=1", "--mem=1G"};

// The state of `task` ("" for a job that is not an array), or "<no such job>".
std::string state(const std::map<std::string, std::string>& states, const std::string& task = "") {
  auto it = states.find(task);
  return it == states.end() ? "<no such job>" : it->second;
}

ResultsStore open_read_only(const fs::path& db) {
  StoreOptions options;
  options.database.read_only = true;
  return ResultsStore::open(db, options);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What moebench-nightly.sh printed: the run key and the two job ids.
struct Submission {
  std::string run_name, shards_job, merge_job;
};

class SlurmNightly : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    const auto r = run_moebench(
        {"make-tiny", "--out", (dir_->path() / "tiny-mixtral").string(), "--context", "1024"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    moebench::testing::write_text(dir_->path() / "slurm-nightly.yml", kPlan);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path plan() { return dir_->path() / "slurm-nightly.yml"; }

  // One local, unsharded run of the plan under `run_name`, made once per name
  // (both tests use the name of the day they were submitted on).
  static fs::path single_run(const std::string& run_name) {
    static std::map<std::string, fs::path> made;
    if (auto it = made.find(run_name); it != made.end()) return it->second;
    const fs::path db = dir_->path() / ("single-" + std::to_string(made.size()) + ".sqlite");
    const auto r =
        run_moebench({"run", plan().string(), "--db", db.string(), "--run-name", run_name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return made[run_name] = db;
  }

  // Runs the nightly command in `work` (a fresh directory), RUN_NAME set when given.
  Submission submit(const fs::path& work, const std::vector<std::string>& options,
                    const std::string& run_name = "") {
    fs::create_directories(work);
    std::vector<std::string> command{"env"};
    if (!run_name.empty()) command.push_back("RUN_NAME=" + run_name);
    command.push_back(std::string(MOEBENCH_TEST_SOURCE_DIR) + "/models/moebench-nightly.sh");
    command.push_back(plan().string());
    command.push_back("3");
    command.push_back("--chdir=" + work.string());
    command.insert(command.end(), options.begin(), options.end());
    const CommandResult r = run_command(command);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::smatch m;
    static const std::regex printed(
        R"(run '([^']+)': shards \S+ of 3 as job (\d+); merge and report as job (\d+))");
    EXPECT_TRUE(std::regex_search(r.out, m, printed)) << r.out;
    if (m.empty()) return {};
    return {m[1], m[2], m[3]};
  }

  // Everything a failed check should show: the jobs' logs and the daemons'.
  static std::string logs(const fs::path& work) {
    std::string text;
    for (const auto& entry : fs::directory_iterator(work))
      if (entry.path().extension() == ".log")
        text += "--- " + entry.path().string() + "\n" + read_text(entry.path());
    return text + cluster->daemon_logs();
  }

  static void expect_equal_rows(const fs::path& got_db, const fs::path& want_db) {
    auto got_store = open_read_only(got_db), want_store = open_read_only(want_db);
    const auto got = canonical_rows(got_store, Timestamps::Ignored);
    const auto want = canonical_rows(want_store, Timestamps::Ignored);
    ASSERT_GT(want.size(), 3u * kDocs) << want_db << " holds next to nothing";
    ASSERT_EQ(got.size(), want.size()) << got_db;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << got_db << " row " << i;
  }

  static ScratchDir* dir_;
};

ScratchDir* SlurmNightly::dir_ = nullptr;

TEST_F(SlurmNightly, ThreeShardsOnThreeGpusMergedEqualOneLocalRun) {
  const fs::path work = dir_->path() / "nightly";
  const Submission job = submit(work, {});  // the template as shipped: --gres=gpu:1 per shard
  ASSERT_FALSE(job.merge_job.empty());
  const auto shards = cluster->wait_until_ended(job.shards_job, 120);
  const std::map<std::string, std::string> done = {
      {"0", "COMPLETED"}, {"1", "COMPLETED"}, {"2", "COMPLETED"}};
  ASSERT_EQ(shards, done) << logs(work);
  ASSERT_EQ(state(cluster->wait_until_ended(job.merge_job, 120)), "COMPLETED") << logs(work);

  // One shard per GPU: each array task saw its own CUDA_VISIBLE_DEVICES.
  std::set<std::string> gpus;
  for (int i = 0; i < 3; ++i) {
    const std::string log =
        read_text(work / ("moebench-" + job.shards_job + "_" + std::to_string(i) + ".log"));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        log, m, std::regex("shard " + std::to_string(i) + "/3 on \\S+, GPU (\\d+),")))
        << log;
    gpus.insert(m[1]);
    auto shard = open_read_only(work / ("results-shard-" + std::to_string(i) + ".sqlite"));
    ASSERT_EQ(shard.runs().size(), 1u);
    EXPECT_EQ(shard.runs()[0].shard, std::to_string(i) + "/3");
  }
  EXPECT_EQ(gpus, (std::set<std::string>{"0", "1", "2"}));

  // The run key was fixed at submission: the plan's file name and the date.
  EXPECT_TRUE(std::regex_match(job.run_name, std::regex(R"(slurm-nightly@\d{4}-\d{2}-\d{2})")))
      << job.run_name;
  auto merged = open_read_only(work / "results.sqlite");
  ASSERT_EQ(merged.runs().size(), 1u);
  EXPECT_EQ(merged.runs()[0].run_key, job.run_name);
  EXPECT_EQ(merged.runs()[0].status, "complete");
  EXPECT_EQ(merged.runs()[0].shard, "0/3,1/3,2/3");
  EXPECT_EQ(merged.scores().size(), open_read_only(single_run(job.run_name)).scores().size());
  expect_equal_rows(work / "results.sqlite", single_run(job.run_name));

  EXPECT_NE(read_text(work / "report.html").find("<html"), std::string::npos);
  EXPECT_NE(read_text(work / "report.json").find(job.run_name), std::string::npos);
}

// Doc id -> when it was written, for every sample of a shard database.
std::map<int64_t, std::string> samples_of(const fs::path& db) {
  auto store = open_read_only(db);
  auto q = store.database().prepare("SELECT doc_id, written_at FROM samples");
  std::map<int64_t, std::string> out;
  while (q.step())
    EXPECT_TRUE(out.emplace(q.int64(0), q.text(1)).second) << "doc " << q.int64(0) << " twice";
  return out;
}

std::string status_of(const fs::path& db) { return open_read_only(db).runs().at(0).status; }

// Whether `db`'s shard is running and in the middle of a generation unit: the
// slow kind, seconds long here, while a multiple-choice unit of the tiny model
// is over in milliseconds and cannot be caught in the middle.
bool midway_through_generation(const fs::path& db) {
  auto store = open_read_only(db);
  if (store.runs().empty() || store.runs()[0].status != "running") return false;
  auto q = store.database().prepare(
      "SELECT COUNT(*) FROM samples JOIN tasks USING (task_id) WHERE output_type = "
      "'generate_until'");
  return q.step() && q.int64(0) > 0 && q.int64(0) < kDocs;
}

TEST_F(SlurmNightly, AShardCancelledMidRunAndResubmittedLosesAndDuplicatesNothing) {
  const fs::path work = dir_->path() / "cancelled";
  const Submission job = submit(work, kCpuOnly);
  ASSERT_FALSE(job.merge_job.empty());
  const auto shard_db = [&](int i) {
    return work / ("results-shard-" + std::to_string(i) + ".sqlite");
  };

  // The shard seen with part of its generation unit stored is cancelled, as a
  // user or a preemption would.
  int victim = -1;
  std::map<int64_t, std::string> before;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (victim < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int i = 0; i < 3 && victim < 0; ++i) {
      try {
        if (fs::exists(shard_db(i)) && midway_through_generation(shard_db(i))) victim = i;
      } catch (const StoreError&) {  // not a results database yet
      }
    }
  }
  ASSERT_GE(victim, 0) << "no shard seen in the middle of its unit\n" << logs(work);
  const std::string task = std::to_string(victim), shard = shard_db(victim).string();
  ASSERT_EQ(cluster->client({"scancel", job.shards_job + "_" + task}).exit_code, 0);
  ASSERT_EQ(state(cluster->wait_until_ended(job.shards_job + "_" + task, 60), task), "CANCELLED")
      << logs(work);
  for (int i = 0; i < 100 && status_of(shard) == "running"; ++i)
    std::this_thread::sleep_for(
        std::chrono::milliseconds(100));  // SIGTERM: marking itself interrupted
  EXPECT_EQ(status_of(shard), "interrupted");
  before = samples_of(shard);
  ASSERT_GT(before.size(), 0u);
  ASSERT_LT(before.size(), static_cast<size_t>(kDocs))
      << "shard " << task << " finished before it was cancelled";

  // The merge waited, and is cancelled with its dependency: it never ran.
  EXPECT_EQ(state(cluster->wait_until_ended(job.merge_job, 60)), "CANCELLED") << logs(work);
  EXPECT_EQ(cluster->job_field(job.merge_job, "Reason"), "DependencyNeverSatisfied");
  EXPECT_FALSE(fs::exists(work / "results.sqlite"));
  const auto states = cluster->wait_until_ended(job.shards_job, 120);
  for (int i = 0; i < 3; ++i)
    if (i != victim) EXPECT_EQ(state(states, std::to_string(i)), "COMPLETED") << logs(work);

  // Merged by hand now, the interrupted shard is refused, by name.
  std::vector<std::string> merge{"db", "merge", "--db", (work / "early.sqlite").string()};
  for (int i = 0; i < 3; ++i) merge.push_back(shard_db(i).string());
  CommandResult r = run_moebench(merge);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(shard + ": run '" + job.run_name + "' shard " + task +
                       "/3 is interrupted, not complete"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(work / "early.sqlite"));

  // Resubmitted as the nightly command says: that shard only, a new merge after it.
  std::vector<std::string> options = kCpuOnly;
  options.push_back("--array=" + task);
  const Submission again = submit(work, options, job.run_name);
  ASSERT_FALSE(again.merge_job.empty());
  EXPECT_EQ(again.run_name, job.run_name);
  EXPECT_EQ(state(cluster->wait_until_ended(again.shards_job, 120), task), "COMPLETED")
      << logs(work);
  ASSERT_EQ(state(cluster->wait_until_ended(again.merge_job, 120)), "COMPLETED") << logs(work);

  // It resumed: the samples stored before the cancel are the same rows, the
  // rest were added, each document once.
  const std::string log = read_text(work / ("moebench-" + again.shards_job + "_" + task + ".log"));
  EXPECT_NE(log.find(std::to_string(kDocs - before.size()) + " samples written, " +
                     std::to_string(before.size()) + " already stored"),
            std::string::npos)
      << log;
  const auto after = samples_of(shard);
  EXPECT_EQ(after.size(), static_cast<size_t>(kDocs));
  for (const auto& [doc, written_at] : before)
    EXPECT_EQ(after.at(doc), written_at) << "doc " << doc;

  EXPECT_EQ(status_of(work / "results.sqlite"), "complete");
  expect_equal_rows(work / "results.sqlite", single_run(job.run_name));
  EXPECT_TRUE(fs::exists(work / "report.html"));
}

}  // namespace
}  // namespace moebench::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  std::string why_not;
  std::unique_ptr<moebench::testing::SlurmCluster> cluster =
      moebench::testing::SlurmCluster::start(&why_not);
  if (!cluster) {
    std::cout << "SKIPPED: no single-node Slurm here: " << why_not << std::endl;
    return 77;
  }
  moebench::store::cluster = cluster.get();
  // The jobs run the moebench this test was built with, quietly.
  const char* bin = std::getenv("MOEBENCH_BIN");
  setenv("MOEBENCH", bin && *bin ? bin : MOEBENCH_TEST_BIN, 1);
  setenv("MOEBENCH_PROGRESS", "0", 1);
  const int status = RUN_ALL_TESTS();
  cluster.reset();
  return status;
}
