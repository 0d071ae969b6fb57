// Four processes writing one database at the same time (each its own run and
// model, as parallel `moebench run`s on one machine would): every one
// finishes, none sees "database is locked", and every row is there.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "harness/store/results_store.h"
#include "harness/store/schema.h"
#include "tests/testing/size_estimate.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

constexpr int kWriters = 4, kBatches = 30, kBatchSize = 8;

// The child's whole life: creates or opens the database (all four race on
// creating the schema too), writes its batches, then its scores.
int write_as_child(const std::filesystem::path& db, int writer, const std::filesystem::path& err) {
  try {
    auto store = ResultsStore::open(db);
    const int64_t run = store.begin_run(run_info("run-" + std::to_string(writer)));
    const int64_t model = store.upsert_model(model_info("model-" + std::to_string(writer)));
    const int64_t task = store.upsert_task(task_info("shared-task"));  // all four upsert it
    std::mt19937_64 rng(writer);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<SampleRecord> batch;
      for (int i = 0; i < kBatchSize; ++i) {
        batch.push_back(sample(b * kBatchSize + i));
        batch.back().routing = synthetic_routing({3, 4, 2}, 24, rng);
      }
      store.write_samples(run, model, task, batch);
    }
    store.write_scores(run, model, task, {{"acc,none", {0.5, 0.05, kBatches * kBatchSize, true}}});
    store.finish_run(run, RunStatus::Complete);
    return 0;
  } catch (const std::exception& e) {
    std::ofstream(err) << e.what();
    return 1;
  }
}

TEST(Concurrency, FourWritersOnOneDatabaseNeverSeeALockError) {
  ScratchDir dir;
  const auto db = dir.path() / "shared.sqlite";
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(write_as_child(db, w, dir.path() / ("err-" + std::to_string(w))));
    children.push_back(pid);
  }
  for (int w = 0; w < kWriters; ++w) {
    int status = 0;
    ASSERT_EQ(waitpid(children[w], &status, 0), children[w]);
    std::ifstream err(dir.path() / ("err-" + std::to_string(w)));
    std::stringstream message;
    message << err.rdbuf();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "writer " << w << ": " << message.str();
    EXPECT_EQ(message.str().find("locked"), std::string::npos) << message.str();
  }
  auto store = ResultsStore::open(db);
  auto count = [&](const char* sql) {
    auto q = store.database().prepare(sql);
    return q.step() ? q.int64(0) : -1;
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM samples"), kWriters * kBatches * kBatchSize);
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing"), kWriters * kBatches * kBatchSize * 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tasks"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE status = 'complete'"), kWriters);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT run_id || '/' || model_id) FROM samples"), kWriters);
  EXPECT_EQ(count("SELECT SUM(tokens) FROM routing_layer_stats WHERE layer = 0"),
            kWriters * kBatches * kBatchSize * 24);
  EXPECT_EQ(store.scores().size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_version"), kSchemaVersion);  // each step applied once
}

}  // namespace
}  // namespace moebench::store
