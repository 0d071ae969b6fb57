#include "harness/store/schema.h"


#include "harness/store/store_clock.h"

namespace moebench::store {

namespace {

// Version 1. Every column is documented in SCHEMA.md; keep the two in step.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE runs (
  run_id       INTEGER PRIMARY KEY,
  run_key      TEXT NOT NULL UNIQUE,
  plan         TEXT NOT NULL DEFAULT '',
  plan_hash    TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL DEFAULT 'running'
               CHECK (status IN ('running', 'complete', 'failed')),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  git_revision TEXT NOT NULL DEFAULT '',
  host         TEXT NOT NULL DEFAULT '',
  device       TEXT NOT NULL DEFAULT '',
  dtype        TEXT NOT NULL DEFAULT '',
  shard        TEXT NOT NULL DEFAULT '',
  settings     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
);
CREATE TABLE run_shards (
  run_id      INTEGER NOT NULL REFERENCES runs (run_id),
  shard       TEXT NOT NULL,
  host        TEXT NOT NULL DEFAULT '',
  device      TEXT NOT NULL DEFAULT '',
  status      TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (run_id, shard)
) WITHOUT ROWID;
CREATE TABLE models (
  model_id          INTEGER PRIMARY KEY,
  name              TEXT NOT NULL,
  content_hash      TEXT NOT NULL,
  gate_variant      TEXT NOT NULL DEFAULT '',
  path              TEXT NOT NULL DEFAULT '',
  architecture      TEXT NOT NULL DEFAULT '',
  num_layers        INTEGER NOT NULL DEFAULT 0,
  num_experts       INTEGER NOT NULL DEFAULT 0,
  experts_per_token INTEGER NOT NULL DEFAULT 0,
  recipe_path       TEXT NOT NULL DEFAULT '',
  recipe            TEXT NOT NULL DEFAULT '',
  base_model        TEXT NOT NULL DEFAULT '',
  UNIQUE (name, content_hash, gate_variant)
);
CREATE TABLE model_experts (
  model_id         INTEGER NOT NULL REFERENCES models (model_id) ON DELETE CASCADE,
  expert           INTEGER NOT NULL,
  source_model     TEXT NOT NULL,
  label            TEXT NOT NULL DEFAULT '',
  positive_prompts TEXT NOT NULL DEFAULT '[]',
  negative_prompts TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (model_id, expert)
) WITHOUT ROWID;
CREATE TABLE tasks (
  task_id         INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  spec_hash       TEXT NOT NULL,
  suite           TEXT NOT NULL DEFAULT '',
  version         TEXT NOT NULL DEFAULT '',
  output_type     TEXT NOT NULL DEFAULT '',
  num_docs        INTEGER NOT NULL DEFAULT 0,
  expected_expert TEXT NOT NULL DEFAULT '',
  UNIQUE (name, spec_hash)
);
CREATE TABLE samples (
  sample_id        INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs (run_id),
  model_id         INTEGER NOT NULL REFERENCES models (model_id),
  task_id          INTEGER NOT NULL REFERENCES tasks (task_id),
  doc_id           INTEGER NOT NULL,
  prompt           TEXT NOT NULL DEFAULT '',
  target           TEXT NOT NULL DEFAULT '',
  responses        TEXT NOT NULL DEFAULT '[]',
  filtered         TEXT NOT NULL DEFAULT '{}',
  program_results  TEXT NOT NULL DEFAULT '{}',
  metrics          TEXT NOT NULL DEFAULT '{}',
  metric_weights   TEXT NOT NULL DEFAULT '{}',
  routing_tokens   INTEGER NOT NULL DEFAULT 0,
  routing_logged   INTEGER NOT NULL DEFAULT 0,
  routing_segments BLOB,
  written_at       TEXT NOT NULL,
  UNIQUE (run_id, model_id, task_id, doc_id)
);
CREATE TABLE scores (
  run_id           INTEGER NOT NULL REFERENCES runs (run_id),
  model_id         INTEGER NOT NULL REFERENCES models (model_id),
  task_id          INTEGER NOT NULL REFERENCES tasks (task_id),
  metric           TEXT NOT NULL,
  value            REAL,
  stderr           REAL,
  n                INTEGER NOT NULL,
  higher_is_better INTEGER NOT NULL DEFAULT 1,
  written_at       TEXT NOT NULL,
  PRIMARY KEY (run_id, model_id, task_id, metric)
) WITHOUT ROWID;
CREATE TABLE routing (
  sample_id   INTEGER NOT NULL REFERENCES samples (sample_id) ON DELETE CASCADE,
  layer       INTEGER NOT NULL,
  top_k       INTEGER NOT NULL,
  num_experts INTEGER NOT NULL,
  tokens      INTEGER NOT NULL,
  compression TEXT NOT NULL CHECK (compression IN ('none', 'zstd')),
  expert_ids  BLOB NOT NULL,
  weights     BLOB NOT NULL,
  PRIMARY KEY (sample_id, layer)
);
CREATE TABLE routing_expert_stats (
  run_id       INTEGER NOT NULL,
  model_id     INTEGER NOT NULL,
  task_id      INTEGER NOT NULL,
  layer        INTEGER NOT NULL,
  expert       INTEGER NOT NULL,
  tokens       INTEGER NOT NULL DEFAULT 0,
  first_choice INTEGER NOT NULL DEFAULT 0,
  weight_mass  REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, model_id, task_id, layer, expert)
) WITHOUT ROWID;
CREATE TABLE routing_layer_stats (
  run_id                INTEGER NOT NULL,
  model_id              INTEGER NOT NULL,
  task_id               INTEGER NOT NULL,
  layer                 INTEGER NOT NULL,
  top_k                 INTEGER NOT NULL,
  num_experts           INTEGER NOT NULL,
  tokens                INTEGER NOT NULL DEFAULT 0,
  pairs                 INTEGER NOT NULL DEFAULT 0,
  same_first            INTEGER NOT NULL DEFAULT 0,
  same_topk             INTEGER NOT NULL DEFAULT 0,
  entropy_bits          REAL NOT NULL DEFAULT 0,
  weighted_entropy_bits REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, model_id, task_id, layer)
) WITHOUT ROWID;

CREATE VIEW score_rows AS
SELECT r.run_id, r.run_key, m.model_id, m.name AS model, m.gate_variant, t.task_id,
       t.name AS task, t.suite, t.num_docs, s.metric, s.value, s.stderr, s.n, s.higher_is_better
FROM scores s JOIN runs r USING (run_id) JOIN models m USING (model_id)
     JOIN tasks t USING (task_id);
CREATE VIEW routing_layer_summary AS
SELECT *, CAST(same_first AS REAL) / NULLIF(pairs, 0) AS same_first_rate,
       CAST(same_topk AS REAL) / NULLIF(pairs, 0) AS same_topk_rate
FROM routing_layer_stats;
CREATE VIEW routing_agreement AS
SELECT l.run_id, l.model_id, l.task_id, t.suite, l.layer, t.expected_expert, l.tokens,
       COALESCE((SELECT SUM(e.first_choice) FROM routing_expert_stats e
                 JOIN model_experts x ON x.model_id = e.model_id AND x.expert = e.expert
                 WHERE e.run_id = l.run_id AND e.model_id = l.model_id AND
                       e.task_id = l.task_id AND e.layer = l.layer AND
                       x.label = t.expected_expert), 0) AS expected_first
FROM routing_layer_stats l JOIN tasks t USING (task_id)
WHERE t.expected_expert <> '' AND EXISTS (
  SELECT 1 FROM model_experts x WHERE x.model_id = l.model_id AND x.label = t.expected_expert);
CREATE VIEW suite_routing_agreement AS
SELECT run_id, model_id, suite, layer, expected_expert, SUM(tokens) AS tokens,
       SUM(expected_first) AS expected_first,
       CAST(SUM(expected_first) AS REAL) / NULLIF(SUM(tokens), 0) AS agreement
FROM routing_agreement GROUP BY run_id, model_id, suite, layer, expected_expert;
CREATE VIEW model_lineage AS
SELECT m.model_id, 'base' AS role, NULL AS expert, m.base_model AS source_model,
       (SELECT s.model_id FROM models s WHERE s.name = m.base_model OR s.path = m.base_model
        ORDER BY s.model_id LIMIT 1) AS source_model_id
FROM models m WHERE m.base_model <> ''
UNION ALL
SELECT x.model_id, 'expert', x.expert, x.source_model,
       (SELECT s.model_id FROM models s WHERE s.name = x.source_model OR s.path = x.source_model
        ORDER BY s.model_id LIMIT 1)
FROM model_experts x;
)sql";

// Version 2: what a results file needs besides scores (task configs, suites
// and their headline scores), and runs that end `interrupted`.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE tasks ADD COLUMN config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config));
ALTER TABLE models ADD COLUMN max_length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE models ADD COLUMN num_parameters INTEGER NOT NULL DEFAULT 0;
ALTER TABLE models ADD COLUMN special_tokens TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(special_tokens));
ALTER TABLE samples ADD COLUMN doc_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE samples ADD COLUMN prompt_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE samples ADD COLUMN target_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE suites (
  suite_id  INTEGER PRIMARY KEY,
  name      TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  alias     TEXT NOT NULL DEFAULT '',
  version   TEXT NOT NULL DEFAULT '',
  tasks     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tasks)),
  aggregate TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(aggregate)),
  UNIQUE (name, spec_hash)
);
CREATE TABLE suite_scores (
  run_id           INTEGER NOT NULL REFERENCES runs (run_id),
  model_id         INTEGER NOT NULL REFERENCES models (model_id),
  suite_id         INTEGER NOT NULL REFERENCES suites (suite_id),
  metric           TEXT NOT NULL,
  value            REAL,
  stderr           REAL,
  n                INTEGER NOT NULL,
  higher_is_better INTEGER NOT NULL DEFAULT 1,
  tasks            INTEGER NOT NULL,
  written_at       TEXT NOT NULL,
  PRIMARY KEY (run_id, model_id, suite_id, metric)
) WITHOUT ROWID;
CREATE VIEW suite_score_rows AS
SELECT r.run_id, r.run_key, m.model_id, m.name AS model, m.gate_variant, u.suite_id,
       u.name AS suite, u.alias, s.metric, s.value, s.stderr, s.n, s.higher_is_better,
       s.tasks, json_array_length(u.tasks) AS suite_tasks
FROM suite_scores s JOIN runs r USING (run_id) JOIN models m USING (model_id)
     JOIN suites u USING (suite_id);
)sql";

// Version 3: what the HTML report shows beyond counts: which routed tokens
// were generated, the text of each logged token, and the routers' geometry.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE samples ADD COLUMN routing_decode TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(routing_decode));
ALTER TABLE samples ADD COLUMN routing_pieces TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(routing_pieces));
ALTER TABLE models ADD COLUMN gate_stats TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(gate_stats));
)sql";

// Version 4: the lineage of a model's routers, so that every variant of an
// ablation records what it was run with.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE models ADD COLUMN gate_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE models ADD COLUMN gates_file TEXT NOT NULL DEFAULT '';
ALTER TABLE models ADD COLUMN gates_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE models ADD COLUMN ablation TEXT NOT NULL DEFAULT '';
)sql";

// A CHECK constraint cannot be altered; SQLite documents editing the table's
// text in sqlite_schema for changes that leave the stored rows valid (a
// widened CHECK), with schema_version bumped so every connection re-reads it.
void widen_status_checks(Database& db) {
  const std::string before = "CHECK (status IN ('running', 'complete', 'failed'))";
  const std::string after = "CHECK (status IN ('running', 'complete', 'failed', 'interrupted'))";
  const int64_t version = [&] {
    auto q = db.prepare("PRAGMA schema_version");
    return q.step() ? q.int64(0) : 0;
  }();
  db.exec("PRAGMA writable_schema = ON");
  int64_t changed = 0;
  try {
    // Only a table whose text holds the old check (the WHERE, not replace(), decides what counts).
    auto q = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?1, ?2)"
                        " WHERE type = 'table' AND name IN ('runs', 'run_shards') AND instr(sql, ?1) > 0");
    q.bind_all(before, after);
    changed = q.run();
    db.exec(("PRAGMA schema_version = " + std::to_string(version + 1)).c_str());
  } catch (...) {
    db.exec("PRAGMA writable_schema = OFF");
    throw;
  }
  db.exec("PRAGMA writable_schema = OFF");
  if (changed != 2)
    throw StoreError(db.file() + ": the status checks of runs and run_shards are not version 1's; not migrated", 0);
}

bool table_exists(Database& db, const char* name) {
  auto q = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
  q.bind(1, name);
  return q.step();
}

int64_t query_int(Database& db, const char* sql) {
  auto q = db.prepare(sql);
  return q.step() ? q.int64(0) : 0;
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> steps = {
      {1, "runs, models, tasks, samples, scores, routing logs and aggregates",
       [](Database& db) { db.exec(kSchemaV1); }},
      {2, "task configs, suites and suite scores; runs may end interrupted",
       [](Database& db) {
         db.exec(kSchemaV2);
         widen_status_checks(db);
       }},
      {3, "decode segments and token pieces of logged routing; router condition numbers and cosines",
       [](Database& db) { db.exec(kSchemaV3); }},
      {4, "router lineage of models: gate mode, gates file, gates hash, ablation variant",
       [](Database& db) { db.exec(kSchemaV4); }},
  };
  return steps;
}

int schema_version(Database& db) {
  ReadTransaction snapshot(db);  // all of the reads below see one state of the file
  const int64_t app_id = query_int(db, "PRAGMA application_id");
  if (table_exists(db, "schema_version") && app_id == kApplicationId) {
    auto q = db.prepare("SELECT MAX(version) FROM schema_version");
    return q.step() ? static_cast<int>(q.int64(0)) : 0;
  }
  if (query_int(db, "SELECT COUNT(*) FROM sqlite_schema") == 0 && app_id == 0) return 0;
  throw StoreError(db.file() + ": not a moebench results database (application_id " +
                       std::to_string(app_id) + ", expected " + std::to_string(kApplicationId) +
                       ", or no schema_version table)",
                   0);
}

int migrate(Database& db, const std::vector<Migration>& steps) {
  const int newest = steps.empty() ? 0 : steps.back().version;
  const int found = schema_version(db);
  if (found == newest) return newest;  // the common case, without the write lock
  // Only an empty file takes a page size, and only outside a transaction.
  if (found == 0) db.exec("PRAGMA page_size = 8192");
  static_assert(kPageSize == 8192);
  Transaction tx(db);
  int version = schema_version(db);  // again under the lock: another process may have migrated
  if (version > newest)
    throw StoreError(db.file() + ": schema version " + std::to_string(version) +
                         " is newer than this moebench understands (" + std::to_string(newest) +
                         "); use a newer moebench",
                     0);
  if (version == newest) return newest;
  if (version == 0) {
    db.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)");
    db.exec("PRAGMA application_id = 1299137858");  // kApplicationId; pragmas take no parameters
    static_assert(kApplicationId == 1299137858);
  }
  for (const Migration& step : steps) {
    if (step.version <= version) continue;
    if (step.version != version + 1)
      throw StoreError(db.file() + ": no migration from schema version " +
                           std::to_string(version) + " to " + std::to_string(step.version),
                       0);
    step.apply(db);
    auto q = db.prepare("INSERT INTO schema_version (version, description, applied_at)"
                        " VALUES (?, ?, ?)");
    q.bind_all(step.version, step.description, iso_timestamp(system_now()));
    q.run();
    version = step.version;
  }
  tx.commit();
  return version;
}

void require_current_schema(Database& db) {
  int version = schema_version(db);
  if (version != kSchemaVersion)
    throw StoreError(db.file() + ": schema version " + std::to_string(version) +
                         ", but this moebench reads version " + std::to_string(kSchemaVersion) +
                         (version < kSchemaVersion ? " (upgrade it in place with `moebench db migrate --db FILE`)"
                                                   : " (use a newer moebench)"),
                     0);
}

}  // namespace moebench::store
