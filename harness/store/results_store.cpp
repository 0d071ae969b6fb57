// ResultsStore: opening, and the identity rows (runs, models, tasks).
// Sample and score writes are in sample_writer.cpp, reads in store_reads.cpp.
#include "harness/store/results_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "harness/store/run_shards.h"
#include "harness/store/schema.h"

namespace moebench::store {

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::Running: return "running";
    case RunStatus::Complete: return "complete";
    case RunStatus::Failed: return "failed";
    case RunStatus::Interrupted: return "interrupted";
  }
  return "running";
}

namespace {

// Text columns hold JSON that exports and reports re-read; invalid UTF-8 in
// prompts (model output is untrusted) becomes U+FFFD instead of an exception.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void set_pragma(Database& db, const char* sql) {
  auto q = db.prepare(sql);
  while (q.step()) {
  }
}

// WAL mode: readers never block the writer and a killed writer loses at most
// its open transaction. Switching needs an exclusive lock, and SQLite answers
// "database is locked" at once, without its busy handler, when another
// connection holds one (several processes opening a new file together): so
// retry here, for as long as the busy timeout.
void enable_wal(Database& db, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string mode;
  for (int attempt = 0;; ++attempt) {
    try {
      auto q = db.prepare("PRAGMA journal_mode = WAL");
      mode = q.step() ? q.text(0) : "";
      if (mode == "wal") return;
    } catch (const StoreError& e) {
      if ((e.code() & 0xFF) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) throw;
      mode = "locked";
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 + 5 * attempt, 100)));
  }
  throw StoreError(db.file() + ": cannot switch to WAL journal mode (still '" + mode +
                       "'; the file system may not support shared memory)",
                   0);
}

}  // namespace

ResultsStore::ResultsStore(std::unique_ptr<Database> db, StoreOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

ResultsStore ResultsStore::open(const std::filesystem::path& path, StoreOptions options) {
  if (options.database.read_only && !std::filesystem::exists(path))
    throw StoreError(path.string() + ": no such results database", 0);
  auto db = std::make_unique<Database>(path.string(), options.database);
  set_pragma(*db, "PRAGMA foreign_keys = ON");
  if (options.database.read_only) {
    require_current_schema(*db);
  } else {
    // Page size first (only an empty file takes one), then WAL, then the schema.
    if (schema_version(*db) == 0) set_pragma(*db, "PRAGMA page_size = 8192");
    static_assert(kPageSize == 8192);
    enable_wal(*db, options.database.busy_timeout_ms);
    // synchronous=NORMAL is crash-safe in WAL (only a power cut can lose the
    // last commits, never corrupt the file).
    set_pragma(*db, "PRAGMA synchronous = NORMAL");
    migrate(*db);  // creates the schema, or checks it is not from a newer moebench
  }
  return ResultsStore(std::move(db), std::move(options));
}

ResultsStore ResultsStore::open_in_memory(StoreOptions options) {
  auto db = std::make_unique<Database>(":memory:", options.database);
  set_pragma(*db, "PRAGMA foreign_keys = ON");
  migrate(*db);
  return ResultsStore(std::move(db), std::move(options));
}

int64_t ResultsStore::begin_run(const RunInfo& info) {
  if (info.run_key.empty()) throw StoreError(file() + ": begin_run: empty run_key", 0);
  const std::string started = now();
  Transaction tx(*db_);
  // The summary columns (status, times, hosts) are summarise_run's to set.
  auto q = db_->prepare(
      "INSERT INTO runs (run_key, plan, plan_hash, status, started_at, git_revision, host,"
      " device, dtype, shard, settings) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)"
      " ON CONFLICT (run_key) DO UPDATE SET status = 'running' RETURNING run_id");
  q.bind_all(info.run_key, info.plan, info.plan_hash, started, info.git_revision, info.host,
             info.device, info.dtype, info.shard, dump(info.settings));
  if (!q.step()) throw StoreError(file() + ": begin_run returned no run id", 0);
  const int64_t id = q.int64(0);
  while (q.step()) {
  }
  if (!resume_run_shard(*db_, id, info.shard, info.host, info.device, started))
    put_run_shard(*db_, id, {info.shard, info.host, info.device, "running", started, "", started});
  summarise_run(*db_, id);
  tx.commit();
  shards_[id] = info.shard;
  return id;
}

void ResultsStore::finish_run(int64_t run_id, RunStatus status) {
  auto begun = shards_.find(run_id);
  const std::string shard = begun == shards_.end() ? "" : begun->second;
  Transaction tx(*db_);
  if (!finish_run_shard(*db_, run_id, shard, run_status_name(status), now()))
    throw StoreError(file() + ": finish_run: no run with id " + std::to_string(run_id) +
                         " and shard '" + shard + "'",
                     0);
  summarise_run(*db_, run_id);
  tx.commit();
}

int64_t ResultsStore::upsert_model(const ModelInfo& m) {
  if (m.name.empty()) throw StoreError(file() + ": upsert_model: empty model name", 0);
  Transaction tx(*db_);
  auto q = db_->prepare(
      "INSERT INTO models (name, content_hash, gate_variant, path, architecture, num_layers,"
      " num_experts, experts_per_token, recipe_path, recipe, base_model, max_length,"
      " num_parameters, special_tokens, gate_stats, gate_mode, gates_file, gates_hash, ablation)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      " ON CONFLICT (name, content_hash, gate_variant) DO UPDATE SET path = excluded.path,"
      " architecture = excluded.architecture, num_layers = excluded.num_layers,"
      " num_experts = excluded.num_experts, experts_per_token = excluded.experts_per_token,"
      " recipe_path = excluded.recipe_path, recipe = excluded.recipe,"
      " base_model = excluded.base_model, max_length = excluded.max_length,"
      " num_parameters = excluded.num_parameters, special_tokens = excluded.special_tokens,"
      " gate_stats = excluded.gate_stats, gate_mode = excluded.gate_mode, gates_file = excluded.gates_file,"
      " gates_hash = excluded.gates_hash, ablation = excluded.ablation RETURNING model_id");
  // NaN and infinite numbers (a singular router's condition number) dump as null.
  q.bind_all(m.name, m.content_hash, m.gate_variant, m.path, m.architecture, m.num_layers,
             m.num_experts, m.experts_per_token, m.recipe_path, m.recipe, m.base_model,
             m.max_length, m.num_parameters,
             m.special_tokens.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
             m.gate_stats.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), m.gate_mode,
             m.gates_file, m.gates_hash, m.ablation);
  if (!q.step()) throw StoreError(file() + ": upsert_model returned no id", 0);
  const int64_t id = q.int64(0);
  while (q.step()) {
  }
  auto clear = db_->prepare("DELETE FROM model_experts WHERE model_id = ?");
  clear.bind(1, id);
  clear.run();
  for (size_t e = 0; e < m.experts.size(); ++e) {
    const ExpertInfo& x = m.experts[e];
    auto ins = db_->prepare(
        "INSERT INTO model_experts (model_id, expert, source_model, label, positive_prompts,"
        " negative_prompts) VALUES (?, ?, ?, ?, ?, ?)");
    ins.bind_all(id, static_cast<int64_t>(e), x.source_model, x.label,
                 dump(nlohmann::json(x.positive_prompts)), dump(nlohmann::json(x.negative_prompts)));
    ins.run();
  }
  tx.commit();
  return id;
}

int64_t ResultsStore::upsert_task(const TaskInfo& t) {
  if (t.name.empty()) throw StoreError(file() + ": upsert_task: empty task name", 0);
  Transaction tx(*db_);
  auto q = db_->prepare(
      "INSERT INTO tasks (name, spec_hash, suite, version, output_type, num_docs, expected_expert,"
      " config) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
      " ON CONFLICT (name, spec_hash) DO UPDATE SET suite = excluded.suite, config = excluded.config,"
      " version = excluded.version, output_type = excluded.output_type,"
      " num_docs = excluded.num_docs,"
      // Dense models (no experts to expect) must not erase what a merge set.
      " expected_expert = CASE WHEN excluded.expected_expert <> ''"
      "   THEN excluded.expected_expert ELSE tasks.expected_expert END"
      " RETURNING task_id");
  q.bind_all(t.name, t.spec_hash, t.suite, t.version, t.output_type, t.num_docs, t.expected_expert,
             t.config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!q.step()) throw StoreError(file() + ": upsert_task returned no id", 0);
  const int64_t id = q.int64(0);
  while (q.step()) {
  }
  tx.commit();
  return id;
}

int64_t ResultsStore::upsert_suite(const SuiteInfo& suite) {
  if (suite.name.empty()) throw StoreError(file() + ": upsert_suite: empty suite name", 0);
  Transaction tx(*db_);
  const int64_t id = put_suite(*db_, suite);
  tx.commit();
  return id;
}

void ResultsStore::update_suite_scores(int64_t run, int64_t model, int64_t suite) {
  Transaction tx(*db_);
  recompute_suite_scores(*db_, run, model, suite, now());
  tx.commit();
}

std::vector<int64_t> ResultsStore::stored_doc_ids(int64_t run, int64_t model, int64_t task) {
  auto q = db_->prepare(
      "SELECT doc_id FROM samples WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id");
  q.bind_all(run, model, task);
  std::vector<int64_t> out;
  while (q.step()) out.push_back(q.int64(0));
  return out;
}

}  // namespace moebench::store
