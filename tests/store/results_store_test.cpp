// ResultsStore: identity rows, idempotent batches, resume reads, scores,
// lineage, and what a failed batch leaves behind (fault injection).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/testing/fault_vfs.h"
#include "harness/store/results_store.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

int64_t count(ResultsStore& store, const char* sql) {
  auto q = store.database().prepare(sql);
  return q.step() ? q.int64(0) : -1;
}

StoreOptions fixed_clock() {
  StoreOptions o;
  o.clock = [] { return TimePoint(std::chrono::milliseconds(1714529587412)); };
  return o;
}

TEST(ResultsStore, RunsResumeByKeyAndFinish) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite", fixed_clock());
  const int64_t run = store.begin_run(run_info("nightly-2024-05-01"));
  EXPECT_EQ(store.begin_run(run_info("nightly-2024-05-02")), run + 1);
  store.finish_run(run, RunStatus::Failed);
  EXPECT_EQ(store.begin_run(run_info("nightly-2024-05-01")), run);  // resumed
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].status, "running");
  EXPECT_EQ(runs[0].finished_at, "");
  EXPECT_EQ(runs[0].started_at, "2024-05-01T02:13:07.412Z");
  EXPECT_EQ(runs[0].settings["batch_size"], 8);
  store.finish_run(run, RunStatus::Complete);
  EXPECT_EQ(store.runs()[0].status, "complete");
  EXPECT_EQ(store.runs()[0].finished_at, "2024-05-01T02:13:07.412Z");
  EXPECT_THROW(store.finish_run(999, RunStatus::Complete), StoreError);
}

TEST(ResultsStore, ModelsAndTasksUpsertByIdentityWithLineage) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t base = store.upsert_model(model_info("base", 0));
  const int64_t moe = store.upsert_model(model_info("moe-4x"));
  ModelInfo changed = model_info("moe-4x");
  changed.path = "/elsewhere/moe-4x";
  EXPECT_EQ(store.upsert_model(changed), moe);
  ModelInfo ablation = model_info("moe-4x");
  ablation.gate_variant = "random";
  EXPECT_NE(store.upsert_model(ablation), moe);  // a gate variant is another model
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM model_experts"), 8);
  // The lineage view resolves the recipe's base to the evaluated base model.
  auto q = store.database().prepare(
      "SELECT source_model_id FROM model_lineage WHERE model_id = ? AND role = 'base'");
  q.bind(1, moe);
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), base);

  const int64_t task = store.upsert_task(task_info("arc"));
  EXPECT_EQ(store.upsert_task(task_info("arc")), task);
  TaskInfo edited = task_info("arc");
  edited.spec_hash = "spec-arc-v2";
  EXPECT_NE(store.upsert_task(edited), task);
}

TEST(ResultsStore, RetriedBatchesNeverDuplicateAndResumeReadsWhatIsStored) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t run = store.begin_run(run_info("r")), model = store.upsert_model(model_info("m"));
  const int64_t task = store.upsert_task(task_info("t"));
  std::vector<SampleRecord> first = {sample(0), sample(1), sample(2)};
  WriteResult w = store.write_samples(run, model, task, first);
  EXPECT_EQ(w.inserted, 3);
  std::vector<SampleRecord> retry = {sample(1), sample(2), sample(3)};
  retry[0].prompt = "a different prompt that must not replace the stored one";
  w = store.write_samples(run, model, task, retry);
  EXPECT_EQ(w.inserted, 1);
  EXPECT_EQ(w.skipped, 2);
  EXPECT_EQ(store.stored_doc_ids(run, model, task), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM samples"), 4);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM samples WHERE prompt LIKE 'a different%'"), 0);

  auto scores = store.sample_scores(run, model, task);
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_EQ(scores[3].first, 3);
  EXPECT_EQ(scores[3].second.metrics, sample(3).score.metrics);
  EXPECT_EQ(scores[3].second.target, "answer 3");
}

TEST(ResultsStore, SampleScoresRoundTripEveryField) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t run = store.begin_run(run_info("r")), model = store.upsert_model(model_info("m"));
  const int64_t task = store.upsert_task(task_info("t"));
  SampleRecord s = sample(5);
  s.score.metrics["word_perplexity,none"] = -42.5;
  s.score.metrics["undefined,none"] = NAN;
  s.score.weights["word_perplexity,none"] = 17;
  s.score.filtered = {{"strict-match", {"42", "[invalid]"}}, {"flexible", {"4\xff" "2"}}};
  s.score.program_results = {{"none", {"passed", "exit code 1 (AssertionError)"}}};
  store.write_samples(run, model, task, {s});
  auto back = store.sample_scores(run, model, task).at(0).second;
  EXPECT_DOUBLE_EQ(back.metrics["word_perplexity,none"], -42.5);
  EXPECT_TRUE(std::isnan(back.metrics["undefined,none"]));
  EXPECT_EQ(back.weights, s.score.weights);
  EXPECT_EQ(back.filtered["strict-match"], s.score.filtered["strict-match"]);
  EXPECT_EQ(back.filtered["flexible"][0], "4\xEF\xBF\xBD" "2");  // invalid UTF-8 -> U+FFFD
  EXPECT_EQ(back.program_results, s.score.program_results);
}

TEST(ResultsStore, ScoresAreReplacedAndReadAsOneRowDefinition) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t run = store.begin_run(run_info("r")), model = store.upsert_model(model_info("m"));
  const int64_t task = store.upsert_task(task_info("t"));
  store.write_scores(run, model, task, {{"acc,none", {0.5, 0.1, 10, true}},
                                        {"stale,none", {1, 0, 1, true}}});
  store.write_scores(run, model, task, {{"acc,none", {0.75, NAN, 1, true}}});
  auto rows = store.scores();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].run_key, "r");
  EXPECT_EQ(rows[0].model, "m");
  EXPECT_EQ(rows[0].task, "t");
  EXPECT_EQ(rows[0].suite, "suite");
  EXPECT_EQ(rows[0].metric, "acc,none");
  EXPECT_DOUBLE_EQ(rows[0].value, 0.75);
  EXPECT_TRUE(std::isnan(rows[0].stderr_value));
  EXPECT_EQ(rows[0].num_docs, 100);
  EXPECT_TRUE(store.scores(run + 1).empty());
}

TEST(ResultsStore, SamplesOfAnUnknownRunViolateForeignKeys) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t model = store.upsert_model(model_info("m"));
  const int64_t task = store.upsert_task(task_info("t"));
  try {
    store.write_samples(42, model, task, {sample(0)});
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("FOREIGN KEY constraint failed"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("r.sqlite"), std::string::npos);
  }
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM samples"), 0);
}

// A batch whose writes start failing part-way (disk full, I/O error) must
// leave nothing behind, and the same batch must succeed afterwards.
class FaultInjection : public ::testing::TestWithParam<FaultVfs::Fault> {
 protected:
  void TearDown() override { FaultVfs::clear(); }
};

TEST_P(FaultInjection, AFailedBatchLeavesNoPartialRows) {
  ScratchDir dir;
  const auto path = dir.path() / "r.sqlite";
  StoreOptions options;
  options.database.vfs = FaultVfs::name();
  auto store = ResultsStore::open(path, options);
  const int64_t run = store.begin_run(run_info("r")), model = store.upsert_model(model_info("m"));
  const int64_t task = store.upsert_task(task_info("t"));
  store.write_samples(run, model, task, {sample(0), sample(1)});

  // A big batch, so its pages spill to the WAL before COMMIT and a failure can
  // hit the middle of the transaction as well as the commit itself.
  std::vector<SampleRecord> batch;
  for (int64_t d = 2; d < 400; ++d) {
    batch.push_back(sample(d));
    batch.back().prompt.append(2000, 'x');
  }
  // Find how many writes the batch needs, then fail it at several points.
  int64_t needed = 0;
  {
    ScratchDir probe_dir;
    auto probe = ResultsStore::open(probe_dir.path() / "p.sqlite", options);
    const int64_t r = probe.begin_run(run_info("r")), m = probe.upsert_model(model_info("m"));
    const int64_t t = probe.upsert_task(task_info("t"));
    probe.write_samples(r, m, t, {sample(0), sample(1)});
    const int64_t before = FaultVfs::writes();
    probe.write_samples(r, m, t, batch);
    needed = FaultVfs::writes() - before;
  }
  ASSERT_GT(needed, 10);
  for (int64_t after : {int64_t{0}, needed / 3, needed - 1}) {
    FaultVfs::fail_writes_after(after, GetParam());
    EXPECT_THROW(store.write_samples(run, model, task, batch), StoreError) << after;
    FaultVfs::clear();
    EXPECT_EQ(store.stored_doc_ids(run, model, task), (std::vector<int64_t>{0, 1})) << after;
  }
  // A fresh connection (the process restarted) sees the same.
  {
    auto reopened = ResultsStore::open(path);
    EXPECT_EQ(reopened.stored_doc_ids(run, model, task).size(), 2u);
  }
  EXPECT_EQ(store.write_samples(run, model, task, batch).inserted, 398);
  EXPECT_EQ(store.stored_doc_ids(run, model, task).size(), 400u);
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultInjection,
                         ::testing::Values(FaultVfs::Fault::IoError, FaultVfs::Fault::DiskFull));

TEST(ResultsStore, FailedWritesNameTheFileAndTheReason) {
  ScratchDir dir;
  const auto path = dir.path() / "named.sqlite";
  StoreOptions options;
  options.database.vfs = FaultVfs::name();
  auto store = ResultsStore::open(path, options);
  FaultVfs::fail_writes_after(0, FaultVfs::Fault::DiskFull);
  try {
    store.begin_run(run_info("r"));
    FaultVfs::clear();
    FAIL();
  } catch (const StoreError& e) {
    FaultVfs::clear();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("full"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace moebench::store
