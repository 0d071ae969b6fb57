#include "harness/store/db_merge.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "harness/store/routing_aggregates.h"
#include "harness/store/run_shards.h"
#include "harness/store/schema.h"
#include "harness/store/shard_check.h"
#include "harness/store/store_clock.h"
#include "harness/store/suite_scores.h"
#include "harness/util/atomic_path.h"
#include "harness/util/output_path.h"

namespace fs = std::filesystem;

namespace moebench::store {

namespace {

struct Merge {
  Database& src;
  Database& dst;
  MergeStats& stats;
  std::map<int64_t, int64_t> runs, models, tasks;  // source id -> target id
};

void merge_runs(Merge& m) {
  auto q = m.src.prepare(
      "SELECT run_id, run_key, plan, plan_hash, status, started_at, finished_at, git_revision,"
      " host, device, dtype, shard, settings FROM runs");
  while (q.step()) {
    // A new key copies the row; an existing one keeps its plan and settings
    // (first merged wins) and gains the source's shards below.
    int64_t id = 0;
    {
      auto find = m.dst.prepare("SELECT run_id FROM runs WHERE run_key = ?");
      find.bind(1, q.text(1));
      if (find.step()) id = find.int64(0);
    }
    if (id == 0) {
      auto ins = m.dst.prepare(
          "INSERT INTO runs (run_key, plan, plan_hash, status, started_at, finished_at,"
          " git_revision, host, device, dtype, shard, settings)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      ins.bind_all(q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6), q.text(7),
                   q.text(8), q.text(9), q.text(10), q.text(11), q.text(12));
      if (q.is_null(6)) ins.bind_null(6);
      ins.run();
      id = m.dst.last_insert_rowid();
      ++m.stats.runs_added;
    }
    m.runs[q.int64(0)] = id;
    auto shards = m.src.prepare(
        "SELECT shard, host, device, status, started_at, COALESCE(finished_at, ''), updated_at"
        " FROM run_shards WHERE run_id = ?");
    shards.bind(1, q.int64(0));
    while (shards.step()) {
      RunShard s{shards.text(0), shards.text(1), shards.text(2), shards.text(3),
                 shards.text(4), shards.text(5), shards.text(6)};
      // The newer report of a shard wins (a shard merged again after it went on).
      if (s.updated_at > run_shard_updated_at(m.dst, id, s.shard)) put_run_shard(m.dst, id, s);
    }
    summarise_run(m.dst, id);
  }
}

void merge_models(Merge& m) {
  auto q = m.src.prepare(
      "SELECT model_id, name, content_hash, gate_variant, path, architecture, num_layers,"
      " num_experts, experts_per_token, recipe_path, recipe, base_model, max_length,"
      " num_parameters, special_tokens, gate_stats, gate_mode, gates_file, gates_hash, ablation FROM models");
  while (q.step()) {
    {
      auto find = m.dst.prepare(
          "SELECT model_id FROM models WHERE name = ? AND content_hash = ? AND gate_variant = ?");
      find.bind_all(q.text(1), q.text(2), q.text(3));
      if (find.step()) {
        m.models[q.int64(0)] = find.int64(0);
        continue;
      }
    }
    auto ins = m.dst.prepare(
        "INSERT INTO models (name, content_hash, gate_variant, path, architecture, num_layers,"
        " num_experts, experts_per_token, recipe_path, recipe, base_model, max_length,"
        " num_parameters, special_tokens, gate_stats, gate_mode, gates_file, gates_hash, ablation)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.int64(6), q.int64(7),
                 q.int64(8), q.text(9), q.text(10), q.text(11), q.int64(12), q.int64(13), q.text(14),
                 q.text(15), q.text(16), q.text(17), q.text(18), q.text(19));
    ins.run();
    const int64_t id = m.dst.last_insert_rowid();
    m.models[q.int64(0)] = id;
    ++m.stats.models_added;
    auto experts = m.src.prepare(
        "SELECT expert, source_model, label, positive_prompts, negative_prompts"
        " FROM model_experts WHERE model_id = ?");
    experts.bind(1, q.int64(0));
    while (experts.step()) {
      auto e = m.dst.prepare(
          "INSERT INTO model_experts (model_id, expert, source_model, label, positive_prompts,"
          " negative_prompts) VALUES (?, ?, ?, ?, ?, ?)");
      e.bind_all(id, experts.int64(0), experts.text(1), experts.text(2), experts.text(3),
                 experts.text(4));
      e.run();
    }
  }
}

void merge_tasks(Merge& m) {
  auto q = m.src.prepare(
      "SELECT task_id, name, spec_hash, suite, version, output_type, num_docs, expected_expert,"
      " config FROM tasks");
  while (q.step()) {
    {
      auto find = m.dst.prepare("SELECT task_id FROM tasks WHERE name = ? AND spec_hash = ?");
      find.bind_all(q.text(1), q.text(2));
      if (find.step()) {
        m.tasks[q.int64(0)] = find.int64(0);
        continue;
      }
    }
    auto ins = m.dst.prepare(
        "INSERT INTO tasks (name, spec_hash, suite, version, output_type, num_docs,"
        " expected_expert, config) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.int64(6), q.text(7),
                 q.text(8));
    ins.run();
    m.tasks[q.int64(0)] = m.dst.last_insert_rowid();
    ++m.stats.tasks_added;
  }
}

// Suites by identity; then every (run, model, suite) the source has scores
// for is recomputed in the target from the (now merged) task scores: shards
// each hold part of a suite's tasks, so their suite scores are partial.
void merge_suites(Merge& m, const std::string& now) {
  std::map<int64_t, int64_t> suites;
  auto q = m.src.prepare("SELECT suite_id, name, spec_hash, alias, version, tasks, aggregate FROM suites");
  while (q.step())
    suites[q.int64(0)] = put_suite_row(m.dst, q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6));
  // A row whose run, model or suite the source lacks (written without foreign
  // keys) is a bad source, not a crash.
  const auto mapped = [&](const std::map<int64_t, int64_t>& ids, int64_t id, const char* what) {
    auto it = ids.find(id);
    if (it == ids.end())
      throw StoreError(m.src.file() + ": suite_scores row refers to a missing " + what + " " + std::to_string(id), 0);
    return it->second;
  };
  auto groups = m.src.prepare("SELECT DISTINCT run_id, model_id, suite_id FROM suite_scores");
  while (groups.step())
    recompute_suite_scores(m.dst, mapped(m.runs, groups.int64(0), "run"), mapped(m.models, groups.int64(1), "model"),
                           mapped(suites, groups.int64(2), "suite"), now);
}

std::vector<int64_t> doc_ids(Database& db, int64_t run, int64_t model, int64_t task) {
  auto q = db.prepare(
      "SELECT doc_id FROM samples WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id");
  q.bind_all(run, model, task);
  std::vector<int64_t> out;
  while (q.step()) out.push_back(q.int64(0));
  return out;
}

void copy_samples(Merge& m, int64_t run, int64_t model, int64_t task, int64_t to_run,
                  int64_t to_model, int64_t to_task, const std::set<int64_t>& present) {
  auto q = m.src.prepare(
      "SELECT sample_id, doc_id, prompt, target, responses, filtered, program_results, metrics,"
      " metric_weights, routing_tokens, routing_logged, routing_segments, written_at, doc_hash,"
      " prompt_hash, target_hash, routing_decode, routing_pieces FROM samples"
      " WHERE run_id = ? AND model_id = ? AND task_id = ?");
  q.bind_all(run, model, task);
  while (q.step()) {
    if (present.count(q.int64(1))) continue;
    auto ins = m.dst.prepare(
        "INSERT INTO samples (run_id, model_id, task_id, doc_id, prompt, target, responses,"
        " filtered, program_results, metrics, metric_weights, routing_tokens, routing_logged,"
        " routing_segments, written_at, doc_hash, prompt_hash, target_hash, routing_decode,"
        " routing_pieces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(to_run, to_model, to_task, q.int64(1), q.text(2), q.text(3), q.text(4),
                 q.text(5), q.text(6), q.text(7), q.text(8), q.int64(9), q.int64(10));
    if (q.is_null(11))
      ins.bind_null(14);
    else
      ins.bind_blob(14, q.blob(11));
    ins.bind(15, q.text(12)).bind(16, q.text(13)).bind(17, q.text(14)).bind(18, q.text(15));
    ins.bind(19, q.text(16)).bind(20, q.text(17));
    ins.run();
    const int64_t sample_id = m.dst.last_insert_rowid();
    ++m.stats.samples_added;
    auto rows = m.src.prepare(
        "SELECT layer, top_k, num_experts, tokens, compression, expert_ids, weights FROM routing"
        " WHERE sample_id = ?");
    rows.bind(1, q.int64(0));
    while (rows.step()) {
      auto r = m.dst.prepare(
          "INSERT INTO routing (sample_id, layer, top_k, num_experts, tokens, compression,"
          " expert_ids, weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      r.bind_all(sample_id, rows.int64(0), rows.int64(1), rows.int64(2), rows.int64(3),
                 rows.text(4));
      r.bind_blob(7, rows.blob(5)).bind_blob(8, rows.blob(6));
      r.run();
    }
  }
}

void copy_scores(Merge& m, int64_t run, int64_t model, int64_t task, int64_t to_run,
                 int64_t to_model, int64_t to_task) {
  auto clear = m.dst.prepare("DELETE FROM scores WHERE run_id = ? AND model_id = ? AND task_id = ?");
  clear.bind_all(to_run, to_model, to_task);
  clear.run();
  auto q = m.src.prepare(
      "SELECT metric, value, stderr, n, higher_is_better, written_at FROM scores"
      " WHERE run_id = ? AND model_id = ? AND task_id = ?");
  q.bind_all(run, model, task);
  while (q.step()) {
    auto ins = m.dst.prepare(
        "INSERT INTO scores (run_id, model_id, task_id, metric, value, stderr, n,"
        " higher_is_better, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(to_run, to_model, to_task, q.text(0), q.real(1), q.real(2), q.int64(3),
                 q.int64(4), q.text(5));
    ins.run();
  }
}

bool has_scores(Database& db, int64_t run, int64_t model, int64_t task) {
  auto q = db.prepare("SELECT 1 FROM scores WHERE run_id = ? AND model_id = ? AND task_id = ?");
  q.bind_all(run, model, task);
  return q.step();
}

void merge_groups(Merge& m, const std::string& source) {
  std::vector<std::array<int64_t, 3>> groups;
  auto q = m.src.prepare(
      "SELECT run_id, model_id, task_id FROM samples UNION SELECT run_id, model_id, task_id"
      " FROM scores UNION SELECT run_id, model_id, task_id FROM routing_layer_stats");
  while (q.step()) groups.push_back({q.int64(0), q.int64(1), q.int64(2)});
  for (auto [run, model, task] : groups) {
    const int64_t to_run = m.runs.at(run), to_model = m.models.at(model), to_task = m.tasks.at(task);
    const std::vector<int64_t> theirs = doc_ids(m.src, run, model, task);
    const std::vector<int64_t> ours = doc_ids(m.dst, to_run, to_model, to_task);
    if (std::includes(ours.begin(), ours.end(), theirs.begin(), theirs.end())) {
      m.stats.samples_present += static_cast<int64_t>(theirs.size());
      if (ours.size() == theirs.size() && !has_scores(m.dst, to_run, to_model, to_task))
        copy_scores(m, run, model, task, to_run, to_model, to_task);
      continue;
    }
    if (!std::includes(theirs.begin(), theirs.end(), ours.begin(), ours.end()))
      throw StoreError(source + ": run id " + std::to_string(run) + ", model id " +
                           std::to_string(model) + ", task id " + std::to_string(task) +
                           " holds documents that " + m.dst.file() +
                           " lacks and the other way round; merge databases whose shards split"
                           " the plan's (model, task) pairs",
                       0);
    m.stats.samples_present += static_cast<int64_t>(ours.size());
    copy_samples(m, run, model, task, to_run, to_model, to_task,
                 std::set<int64_t>(ours.begin(), ours.end()));
    replace_routing_aggregates(m.dst, to_run, to_model, to_task,
                               read_routing_aggregates(m.src, run, model, task));
    copy_scores(m, run, model, task, to_run, to_model, to_task);
    ++m.stats.groups_updated;
  }
}

// Opens `source` read-only after the checks that need no SQL.
Database open_source(const fs::path& source, const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(source, ec)) throw StoreError(source.string() + ": no such results database", 0);
  if (fs::is_directory(source, ec))
    throw StoreError(source.string() + ": is a directory, not a results database", 0);
  if (fs::equivalent(source, target, ec)) throw StoreError(source.string() + ": is the merge target itself", 0);
  DatabaseOptions options;
  options.read_only = true;
  return Database(source.string(), options);
}

// `text` with every `from` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); !from.empty() && at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

void check_merge_sources(const fs::path& target, const std::vector<fs::path>& sources,
                         const MergeOptions& options) {
  ShardReports shards;
  for (const auto& source : sources) {
    Database src = open_source(source, target);
    require_current_schema(src);
    if (!options.allow_incomplete) shards.add(src, /*merging=*/true);
  }
  if (options.allow_incomplete) return;
  std::error_code ec;
  if (fs::is_regular_file(target, ec)) {  // its reports of the same shards count too
    DatabaseOptions read_only;
    read_only.read_only = true;
    Database existing(target.string(), read_only);
    // An older target has no shard reports to add; the merge migrates it.
    if (schema_version(existing) == kSchemaVersion) shards.add(existing, /*merging=*/false);
  }
  const std::vector<ShardGap> gaps = shards.gaps();
  if (!gaps.empty()) throw StoreError(describe_shard_gaps(gaps), 0);
}

MergeStats merge_databases_into(const fs::path& target, const std::vector<fs::path>& sources,
                                const MergeOptions& options) {
  check_merge_sources(target, sources, options);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    ResultsStore store = ResultsStore::open(target);
    return merge_databases(store, sources);
  }
  ParentDirectories parents(target);
  AtomicPath staged(target);
  MergeStats stats;
  try {
    ResultsStore store = ResultsStore::open(staged.temp());
    stats = merge_databases(store, sources);
  } catch (const StoreError& e) {  // messages name the target, not its temporary
    throw StoreError(replace_all(e.what(), staged.temp().string(), target.string()), e.code());
  }
  // The store is closed: SQLite has folded its -wal file into the database.
  staged.commit_without_replacing();
  parents.keep();
  return stats;
}

MergeStats merge_databases(ResultsStore& target, const std::vector<fs::path>& sources) {
  MergeStats stats;
  for (const auto& source : sources) {
    Database src = open_source(source, target.file());
    require_current_schema(src);
    Transaction tx(target.database());
    Merge m{src, target.database(), stats, {}, {}, {}};
    merge_runs(m);
    merge_models(m);
    merge_tasks(m);
    merge_groups(m, source.string());
    merge_suites(m, iso_timestamp(system_now()));
    tx.commit();
  }
  return stats;
}

}  // namespace moebench::store
