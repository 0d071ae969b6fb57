// Schema creation, versioning and the forward-migration mechanism.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "harness/store/results_store.h"
#include "harness/store/schema.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

int64_t count(Database& db, const char* sql) {
  auto q = db.prepare(sql);
  return q.step() ? q.int64(0) : -1;
}

TEST(Schema, FreshDatabaseIsAtTheCurrentVersionInWalMode) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Database& db = store.database();
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  EXPECT_EQ(count(db, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(count(db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(count(db, "PRAGMA page_size"), kPageSize);
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
  for (const char* table : {"runs", "models", "model_experts", "tasks", "samples", "scores",
                            "routing", "routing_expert_stats", "routing_layer_stats",
                            "schema_version"}) {
    auto q = db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = ?");
    q.bind(1, table);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), 1) << table;
  }
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM schema_version"), kSchemaVersion);
}

TEST(Schema, ReopeningDoesNotMigrateAgain) {
  ScratchDir dir;
  { ResultsStore::open(dir.path() / "r.sqlite"); }
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  EXPECT_EQ(count(store.database(), "SELECT COUNT(*) FROM schema_version"), kSchemaVersion);
}

// A version 1 database (as moebench 0.1 wrote it, with a finished run) opened
// by this build: migrated to version 2 in place, its rows kept, and runs may
// now end `interrupted`, which version 1's CHECK refused.
TEST(Schema, VersionOneIsMigratedKeepingItsRows) {
  ScratchDir dir;
  const auto path = dir.path() / "v1.sqlite";
  {
    Database db(path.string(), {});
    db.exec("PRAGMA journal_mode = WAL");
    migrate(db, {migrations().front()});
    db.exec("INSERT INTO runs (run_key, started_at) VALUES ('nightly', '2024-05-01T00:00:00.000Z')");
    db.exec("INSERT INTO run_shards (run_id, shard, status, started_at, updated_at)"
            " VALUES (1, '', 'complete', '2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z')");
    EXPECT_THROW(db.exec("UPDATE runs SET status = 'interrupted'"), StoreError);
  }
  auto store = ResultsStore::open(path);
  Database& db = store.database();
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs WHERE run_key = 'nightly'"), 1);
  store.finish_run(1, RunStatus::Interrupted);
  EXPECT_EQ(store.runs().at(0).status, "interrupted");
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM suite_scores"), 0);
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  EXPECT_THROW(db.exec("UPDATE runs SET status = 'paused'"), StoreError);  // still checked
}

// A version 2 database with a model and a logged sample, upgraded by `db
// migrate`: its rows kept, the new columns at their defaults (no gate
// statistics, no decode segments, no pieces), and the step recorded.
TEST(Schema, VersionTwoIsMigratedKeepingItsRows) {
  ScratchDir dir;
  const std::string path = (dir.path() / "v2.sqlite").string();
  {
    Database db(path, {});
    db.exec("PRAGMA journal_mode = WAL");
    migrate(db, {migrations()[0], migrations()[1]});
    db.exec("INSERT INTO runs (run_key, started_at) VALUES ('nightly', '2024-05-01T00:00:00.000Z')");
    db.exec("INSERT INTO models (name, content_hash, num_experts, special_tokens)"
            " VALUES ('moe', 'h', 4, '{\"bos\": [\"<s>\", 1]}')");
    db.exec("INSERT INTO tasks (name, spec_hash) VALUES ('t', 's')");
    db.exec("INSERT INTO samples (run_id, model_id, task_id, doc_id, prompt, routing_tokens, routing_logged,"
            " routing_segments, written_at) VALUES (1, 1, 1, 0, 'Q', 3, 1,"
            " X'000000000000000000000000000000000300000000000000', '2024-05-01T00:00:00.000Z')");
  }
  auto r = moebench::testing::run_moebench({"db", "migrate", "--db", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format("{}: schema version 2 -> {}\n", path, kSchemaVersion));
  auto store = ResultsStore::open(path);
  Database& db = store.database();
  EXPECT_EQ(schema_version(db), 4);
  auto step = db.prepare("SELECT description FROM schema_version WHERE version = 3");
  ASSERT_TRUE(step.step());
  EXPECT_EQ(step.text(0), migrations()[2].description);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM samples WHERE prompt = 'Q' AND routing_decode = '[]'"
                      " AND routing_pieces = '[]'"), 1);
  const ModelInfo model = store.stored_model(1);
  EXPECT_EQ(model.name, "moe");
  EXPECT_EQ(model.num_experts, 4);
  EXPECT_EQ(model.special_tokens["bos"][1], 1);
  EXPECT_EQ(model.gate_stats, nlohmann::json::object());
  EXPECT_EQ(model.gate_mode, "");
  EXPECT_EQ(model.gates_hash, "");
  EXPECT_EQ(model.ablation, "");
  // The stored routing of a version 2 sample reads back without decode segments or pieces.
  const SampleRouting routing = store.stored_routing(1, 1, 1, 0);
  EXPECT_EQ(routing.segments, (std::vector<RoutingSegment>{{0, 0, 3}}));
  EXPECT_TRUE(routing.decode_segments.empty());
  EXPECT_TRUE(routing.pieces.empty());
  EXPECT_THROW(db.exec("UPDATE models SET gate_stats = 'not json'"), StoreError);  // checked
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
}

// The readers do not migrate; `db migrate` does, and says from which version.
TEST(Schema, DbMigrateUpgradesWhatTheReadersRefuse) {
  ScratchDir dir;
  const std::string path = (dir.path() / "v1.sqlite").string();
  {
    Database db(path, {});
    migrate(db, {migrations().front()});
  }
  auto r = moebench::testing::run_moebench({"db", "runs", "--db", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("moebench db migrate --db FILE"), std::string::npos) << r.err;
  r = moebench::testing::run_moebench({"db", "migrate", "--db", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format("{}: schema version 1 -> {}\n", path, kSchemaVersion));
  EXPECT_EQ(moebench::testing::run_moebench({"db", "runs", "--db", path}).exit_code, 0);
  r = moebench::testing::run_moebench({"db", "migrate", "--db", (dir.path() / "none.sqlite").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "none.sqlite"));
}

// A later version's step, as a future moebench would ship it.
Migration add_notes_column() {
  return {kSchemaVersion + 1, "runs.notes",
          [](Database& db) { db.exec("ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''"); }};
}

TEST(Schema, ForwardMigrationAppliesNewStepsOnceAndKeepsData) {
  ScratchDir dir;
  const auto path = dir.path() / "r.sqlite";
  {
    auto store = ResultsStore::open(path);
    RunInfo run;
    run.run_key = "nightly";
    store.begin_run(run);
  }
  std::vector<Migration> steps = migrations();
  steps.push_back(add_notes_column());
  Database db(path.string(), {});
  EXPECT_EQ(migrate(db, steps), kSchemaVersion + 1);
  EXPECT_EQ(migrate(db, steps), kSchemaVersion + 1);  // nothing left to do
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM schema_version"), kSchemaVersion + 1);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM runs WHERE notes = ''"), 1);
}

TEST(Schema, MigratingAnEmptyDatabaseRunsEveryStepInOrder) {
  ScratchDir dir;
  Database db((dir.path() / "r.sqlite").string(), {});
  EXPECT_EQ(schema_version(db), 0);
  std::vector<Migration> steps = migrations();
  steps.push_back(add_notes_column());
  EXPECT_EQ(migrate(db, steps), kSchemaVersion + 1);
  auto q = db.prepare("SELECT version, description FROM schema_version ORDER BY version");
  for (const Migration& m : steps) {
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), m.version);
    EXPECT_EQ(q.text(1), m.description);
  }
}

TEST(Schema, AFailingStepLeavesTheOldVersionIntact) {
  ScratchDir dir;
  const auto path = dir.path() / "r.sqlite";
  { ResultsStore::open(path); }
  std::vector<Migration> steps = migrations();
  steps.push_back({kSchemaVersion + 1, "half done", [](Database& db) {
                     db.exec("ALTER TABLE runs ADD COLUMN notes TEXT");
                     db.exec("THIS IS NOT SQL");
                   }});
  Database db(path.string(), {});
  EXPECT_THROW(migrate(db, steps), StoreError);
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'notes'"), 0);
}

TEST(Schema, ANewerDatabaseIsRefusedNamingTheFileAndVersions) {
  ScratchDir dir;
  const auto path = dir.path() / "r.sqlite";
  {
    Database db(path.string(), {});
    std::vector<Migration> steps = migrations();
    steps.push_back(add_notes_column());
    migrate(db, steps);
  }
  const std::string msg = what_of([&] { ResultsStore::open(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("schema version {} is newer than this moebench understands ({})",
                                 kSchemaVersion + 1, kSchemaVersion)),
            std::string::npos)
      << msg;
  StoreOptions ro;
  ro.database.read_only = true;
  EXPECT_NE(what_of([&] { ResultsStore::open(path, ro); }).find("use a newer moebench"),
            std::string::npos);
}

TEST(Schema, ForeignFilesAreRefused) {
  ScratchDir dir;
  const auto other = dir.path() / "other.sqlite";
  {
    Database db(other.string(), {});
    db.exec("CREATE TABLE t (x)");
  }
  EXPECT_NE(what_of([&] { ResultsStore::open(other); }).find("not a moebench results database"),
            std::string::npos);
  const auto text = dir.path() / "notes.txt";
  std::ofstream(text) << "this is not a database, just some text that is long enough........";
  const std::string msg = what_of([&] { ResultsStore::open(text); });
  EXPECT_NE(msg.find(text.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;
  StoreOptions ro;
  ro.database.read_only = true;
  EXPECT_NE(what_of([&] { ResultsStore::open(dir.path() / "missing.sqlite", ro); })
                .find("missing.sqlite: no such results database"),
            std::string::npos);
}

}  // namespace
}  // namespace moebench::store
