// The results store: one SQLite file, the source of truth for every report.
// WAL mode, a busy timeout (concurrent writers wait instead of failing),
// foreign keys on, prepared statements only, one transaction per batch.
//
// Resuming a plan (what `moebench run` does for each model x task):
//   auto store = ResultsStore::open("results.sqlite");
//   int64_t run = store.begin_run(info);            // same run_key: same run
//   int64_t model = store.upsert_model(m), task = store.upsert_task(t);
//   auto done = store.stored_doc_ids(run, model, task);   // skip these docs
//   ... for each batch: store.write_samples(run, model, task, batch, routing);
//   auto all = store.sample_scores(run, model, task);     // incl. earlier runs'
//   store.write_scores(run, model, task, task.aggregate(all ...));
//   store.finish_run(run, RunStatus::Complete);
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "harness/store/routing_stats.h"
#include "harness/store/sqlite_db.h"
#include "harness/store/store_clock.h"
#include "harness/store/store_records.h"
#include "harness/store/suite_scores.h"

namespace moebench::store {

struct StoreOptions {
  DatabaseOptions database;  // read_only, busy_timeout_ms, vfs (fault injection)
  Clock clock = system_now;  // timestamps (tests fix it)
};

class ResultsStore {
 public:
  // Opens or creates `path` and migrates it to kSchemaVersion (read-only:
  // requires that version). Throws StoreError naming the file.
  static ResultsStore open(const std::filesystem::path& path, StoreOptions options = {});
  // A private database that lives as long as this object (`eval` without --db).
  static ResultsStore open_in_memory(StoreOptions options = {});

  // Creates the run, or resumes the one with the same run_key; records this
  // process as shard info.shard of it (run_shards); returns the run's id.
  int64_t begin_run(const RunInfo& info);
  // Sets the status of the shard this store began (begin_run), or of the
  // unsharded part ('') of a run it did not begin; the run's status follows.
  void finish_run(int64_t run_id, RunStatus status);
  // Inserts or updates by identity (see ModelInfo / TaskInfo); returns the id.
  int64_t upsert_model(const ModelInfo& model);
  int64_t upsert_task(const TaskInfo& task);
  int64_t upsert_suite(const SuiteInfo& suite);

  // Doc ids already stored for (run, model, task), ascending.
  std::vector<int64_t> stored_doc_ids(int64_t run, int64_t model, int64_t task);
  // Writes a batch in ONE transaction: samples, their routing rows and the
  // aggregate increments. Samples already stored are skipped whole (a retried
  // batch never duplicates or double-counts). On any failure nothing of the
  // batch remains and StoreError is thrown.
  WriteResult write_samples(int64_t run, int64_t model, int64_t task,
                            const std::vector<SampleRecord>& samples,
                            const RoutingOptions& routing = {});
  // Replaces the task's scores (they are recomputed from all its samples).
  void write_scores(int64_t run, int64_t model, int64_t task,
                    const std::map<std::string, MetricScore>& metrics);
  // Recomputes the suite's headline scores of (run, model) from its tasks'
  // stored scores (suite_scores.h); call after write_scores of a member task.
  void update_suite_scores(int64_t run, int64_t model, int64_t suite);

  // ---- reads -----------------------------------------------------------------
  // Stored per-document scores in doc order: what aggregation needs after a resume.
  std::vector<std::pair<int64_t, SampleScore>> sample_scores(int64_t run, int64_t model,
                                                             int64_t task);
  // Every stored sample of (run, model, task) in doc order, without routing
  // (samples files, and the task_hashes of results files, are built from these).
  std::vector<SampleRecord> stored_samples(int64_t run, int64_t model, int64_t task);
  // Tokens of (run, model, task) stored token by token (counts against the cap).
  int64_t logged_routing_tokens(int64_t run, int64_t model, int64_t task);
  // A stored sample's decoded routing rows (empty when not logged).
  SampleRouting stored_routing(int64_t run, int64_t model, int64_t task, int64_t doc_id);
  // The aggregate tables of (run, model, task), one entry per layer.
  std::vector<RoutingStats> routing_aggregates(int64_t run, int64_t model, int64_t task);
  // The model stored as `model_id`, its experts included (gate_stats,
  // special_tokens parsed); StoreError naming the file when there is none.
  ModelInfo stored_model(int64_t model_id);
  std::vector<RunRow> runs();
  std::vector<ScoreRow> scores(std::optional<int64_t> run = std::nullopt);
  std::vector<SuiteScoreRow> suite_scores(std::optional<int64_t> run = std::nullopt) {
    return read_suite_scores(*db_, run);
  }

  Database& database() { return *db_; }
  const std::string& file() const { return db_->file(); }

 private:
  ResultsStore(std::unique_ptr<Database> db, StoreOptions options);
  std::string now() const { return iso_timestamp(options_.clock()); }

  std::unique_ptr<Database> db_;
  StoreOptions options_;
  std::map<int64_t, std::string> shards_;  // run id -> the shard begin_run recorded
};

}  // namespace moebench::store
