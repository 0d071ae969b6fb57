// `moebench report` against bad input through the built binary: databases
// that are not results databases (or are damaged inside), run and model
// names that match nothing, outputs that would land on the database or on
// something that is not a file, and an interrupt. Each ends with exit status
// 2 and one line naming the file and the field (or renders what it can),
// never a crash, a hang, an internal error or a half-written output.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness/store/sqlite_db.h"
#include "reports/report.h"
#include "tests/reports/report_db.h"
#include "tests/testing/test_env.h"

extern char** environ;

namespace moebench::reports {
namespace {

namespace fs = std::filesystem;
using ::moebench::testing::CommandResult;
using ::moebench::testing::run_moebench;
using ::moebench::testing::ScratchDir;
using ::moebench::testing::write_text;
using testing::Doc;
using testing::ReportDb;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// One error line, exit 2, no internal error: the contract for every bad input.
void expect_clear_error(const CommandResult& r, std::vector<std::string> fragments,
                        const std::string& what) {
  fragments.push_back("moebench: error: ");
  ::moebench::testing::expect_one_line_error(r, fragments, what);
}

// A database made through the store's API, `docs` documents per model: a
// merge of A, B and C over base with logged routing, one suite.
void make_database(const fs::path& path, int docs) {
  ReportDb db(path);
  const int64_t run = db.run("night-1");
  std::map<std::string, std::vector<Doc>> by_model;
  for (int d = 0; d < docs; ++d) {
    by_model["moe"].push_back({d % 2 == 0 ? 1.0 : 0.0, d % 3});
    by_model["A"].push_back({d % 3 == 0 ? 1.0 : 0.0});
    by_model["B"].push_back({d % 5 == 0 ? 1.0 : 0.0});
    by_model["C"].push_back({0.0});
    by_model["base"].push_back({d % 4 == 0 ? 1.0 : 0.0});
  }
  db.score_family(run, by_model);
}

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new ScratchDir;
    golden_ = scratch_->path() / "golden.sqlite";
    make_database(golden_, 10);  // closed again: a single file
  }
  static void TearDownTestSuite() { delete scratch_; }

  // A fresh copy of the database with `sql` applied (CHECK constraints off,
  // as a damaged or hand-edited file would have them).
  fs::path database(const std::string& sql = "") {
    const fs::path path = dir_.path() / ("db-" + std::to_string(copies_++) + ".sqlite");
    fs::copy_file(golden_, path);
    if (!sql.empty()) {
      store::Database db(path.string(), {});
      db.exec(("PRAGMA ignore_check_constraints = ON; " + sql).c_str());
    }
    return path;
  }

  // Runs the report into this test's directory; returns the result.
  CommandResult report(const fs::path& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"report", "--db", db.string(), "--out",
                                     (dir_.path() / "r.html").string(), "--json",
                                     (dir_.path() / "r.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_moebench(args);
  }

  // The same through write_report in this process (a binary starts in about
  // a second; the damaged-database tables would take minutes): renders, or
  // throws the InputError that main() prints as one line with exit status 2.
  void report_in_process(const fs::path& db) {
    write_report(db.string(), {}, {(dir_.path() / "r.html").string(), (dir_.path() / "r.json").string()});
  }

  void expect_no_outputs(const std::string& what) {
    EXPECT_FALSE(fs::exists(dir_.path() / "r.html")) << what;
    EXPECT_FALSE(fs::exists(dir_.path() / "r.json")) << what;
  }

  static ScratchDir* scratch_;
  static fs::path golden_;
  ScratchDir dir_;
  int copies_ = 0;
};
ScratchDir* ReportCli::scratch_ = nullptr;
fs::path ReportCli::golden_;

TEST_F(ReportCli, TheUndamagedDatabaseReports) {
  const auto r = report(database());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_GT(fs::file_size(dir_.path() / "r.html"), 1000u);
  EXPECT_GT(fs::file_size(dir_.path() / "r.json"), 1000u);
}

TEST_F(ReportCli, DbThatIsNotAResultsDatabase) {
  const fs::path d = dir_.path();
  write_text(d / "empty.sqlite", "");
  write_text(d / "text.sqlite", "hello, not a database\n");
  {
    store::Database other((d / "other.sqlite").string(), {});
    other.exec("CREATE TABLE t (a); INSERT INTO t VALUES (1);");
  }
  const std::string whole = slurp(golden_);
  write_text(d / "half.sqlite", whole.substr(0, whole.size() / 2));
  fs::create_directory(d / "a-directory");
  const std::pair<std::string, std::string> cases[] = {
      {"missing.sqlite", "no such results database"},
      {"a-directory", "cannot open results database"},
      {"empty.sqlite", "schema version 0"},
      {"text.sqlite", "file is not a database"},
      {"other.sqlite", "not a moebench results database"},
      {"half.sqlite", "malformed"},
  };
  for (const auto& [name, message] : cases) {
    const auto r = report(d / name);
    expect_clear_error(r, {(d / name).string(), message}, name);
    expect_no_outputs(name);
  }
  expect_clear_error(run_moebench({"report", "--db", ""}), {"--db", "expected the path"}, "empty --db");
}

TEST_F(ReportCli, OlderSchemaSaysToMigrate) {
  for (int version : {1, 2}) {
    const fs::path db = database("DELETE FROM schema_version WHERE version > " + std::to_string(version));
    expect_clear_error(report(db), {db.string(), fmt::format("schema version {}", version),
                                    "moebench db migrate"},
                       fmt::format("version {}", version));
    expect_no_outputs("older schema");
  }
}

TEST_F(ReportCli, RunBaselineAndModelThatMatchNothing) {
  const fs::path db = database();
  expect_clear_error(report(db, {"--run", "nope"}), {db.string(), "--run 'nope'", "night-1"}, "--run");
  expect_clear_error(report(db, {"--baseline", "nope"}), {db.string(), "--baseline 'nope'", "night-1"},
                     "--baseline");
  expect_clear_error(report(db, {"--model", "nope"}), {db.string(), "--model 'nope'", "night-1"},
                     "--model");
  expect_no_outputs("unknown names");

  const fs::path empty = dir_.path() / "no-runs.sqlite";
  { store::ResultsStore::open(empty); }
  expect_clear_error(report(empty), {empty.string(), "--run latest", "no run yet"}, "no run");
  expect_clear_error(report(empty, {"--run", "k"}), {"--run 'k'", "latest runs: none"}, "no run, key");
}

TEST_F(ReportCli, SeedOutOfRange) {
  const fs::path db = database();
  for (const char* seed : {"-1", "99999999999999999999999"}) {  // once wrapped, saturated
    expect_clear_error(report(db, {"--seed", seed}), {"--seed", seed}, seed);
  }
  expect_no_outputs("bad options");
}

TEST_F(ReportCli, OutputsNeverLandOnTheDatabase) {
  const fs::path db = database();
  const std::string before = slurp(db);
  const fs::path link = dir_.path() / "link.html";
  fs::create_symlink(db, link);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--out", db.string()}, "the results database"},
      {{"--out", (dir_.path() / "." / db.filename()).string()}, "the results database"},
      {{"--out", link.string()}, "the results database"},
      {{"--json", db.string() + "-wal"}, "wal file"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> all = {"report", "--db", db.string()};
    all.insert(all.end(), args.begin(), args.end());
    expect_clear_error(run_moebench(all), {args[0], message, "refusing"}, args[1]);
    EXPECT_EQ(slurp(db), before) << args[1];
  }
  EXPECT_TRUE(fs::is_symlink(link));
  const fs::path same = dir_.path() / "same.out";
  expect_clear_error(run_moebench({"report", "--db", db.string(), "--out", same.string(), "--json",
                                   (dir_.path() / "." / "same.out").string()}),
                     {"--json", "same file as --out"}, "--out = --json");
  EXPECT_FALSE(fs::exists(same));
}

TEST_F(ReportCli, OutputsThatAreNotFiles) {
  const fs::path db = database();
  const fs::path fifo = dir_.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::pair<std::string, std::string> cases[] = {
      {dir_.path().string(), "is an existing directory"},
      {(dir_.path() / "new-dir/").string(), "names a directory"},
      {fifo.string(), "not a regular file"},
      {(db / "x.html").string(), "is not a directory"},
  };
  for (const auto& [out, message] : cases) {
    expect_clear_error(run_moebench({"report", "--db", db.string(), "--out", out}), {"--out", message}, out);
  }
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_FALSE(fs::exists(dir_.path() / "new-dir"));

  // An output that cannot be written: neither file appears, not even the good one.
  const fs::path json = dir_.path() / "ok.json";
  expect_clear_error(run_moebench({"report", "--db", db.string(), "--json", json.string(), "--out",
                                   "/proc/no-such-dir-for-a-report/x.html"}),
                     {"/proc/no-such-dir-for-a-report"}, "/proc");
  EXPECT_FALSE(fs::exists(json));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(ReportCli, MissingParentDirectoriesAreMade) {
  const fs::path out = dir_.path() / "a" / "b" / "r.html";
  const auto r = run_moebench({"report", "--db", database().string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(out));
}

// Stored JSON of the wrong shape renders what it can; JSON that does not
// parse fails naming the database and the field.
TEST_F(ReportCli, DamagedStoredJsonRendersOrFailsClearly) {
  const char* renders[] = {
      R"(UPDATE models SET gate_stats = '{"layers": 5}')",
      R"(UPDATE models SET gate_stats = '{"layers": [1, "x", null, []]}')",
      R"(UPDATE models SET gate_stats = '{"layers": [{"layer": "zero", "cosine": [[1, "a"], ["b", 1]]}]}')",
      R"(UPDATE models SET gate_stats = '{"layers": [{"layer": 1e300, "cosine": {"a": 1}}]}')",
      R"(UPDATE models SET gate_stats = '{"layers": [{"layer": 0, "cosine": [1, 2, 3]}]}')",
      R"(UPDATE models SET gate_stats = '{"layers": [{"layer": 0, "cosine": "abc", "condition_number": "NaN"}]}')",
      R"(UPDATE model_experts SET negative_prompts = '[1, null, {"a": 2}, "ok"]')",
      R"(UPDATE suites SET aggregate = '5')",
      R"(UPDATE suites SET aggregate = '{"a": 1}')",
      R"(UPDATE suites SET aggregate = '[1, 2]')",
      R"(UPDATE suites SET aggregate = '[{"metric": 5, "filter_list": ["none"]}]')",
      R"(UPDATE suites SET aggregate = '[{"metric": "acc", "filter_list": [5]}]')",
      R"(UPDATE suites SET aggregate = '[{"metric": "acc", "filter_list": "none"}]')",
      R"(UPDATE suites SET aggregate = '[{"metric": "a\"b", "filter_list": ["none"]}]')",
      R"(UPDATE samples SET metrics = '[1, 2]' WHERE doc_id = 1)",
      R"(UPDATE samples SET metrics = '{"acc,none": "abc"}' WHERE doc_id = 2)",
      R"(UPDATE samples SET metrics = '{"acc,none": {"a": 1}}' WHERE doc_id = 3)",
      R"(UPDATE samples SET metrics = '{"acc,none": 1e308}' WHERE doc_id = 4)",
      R"(UPDATE samples SET responses = '5')",
      R"(UPDATE samples SET responses = '[{"text": 5}]')",
      R"(UPDATE samples SET responses = '[{"logprob": 1}, {"text": [1]}]')",
      R"(UPDATE samples SET responses = '[{"logprob": "x"}, 1, [2]]')",
      R"(UPDATE samples SET prompt = x'00ff00fe', target = 5)",
      R"(UPDATE suite_scores SET value = NULL, stderr = 'x', n = -5)",
      R"(UPDATE scores SET value = 1e308, stderr = NULL, n = -3)",
      R"(UPDATE tasks SET num_docs = 9223372036854775807)",
      R"(UPDATE models SET num_experts = -1, experts_per_token = 1000000000000)",
      R"(UPDATE models SET recipe = '{{{{[[[: :')",
      R"(UPDATE routing_layer_stats SET top_k = 5000000000000000000)",  // once an endless loop
      R"(UPDATE routing_expert_stats SET expert = expert + 1000000, first_choice = 9223372036854775807)",
      R"(UPDATE samples SET routing_pieces = '["a"]')",
      R"(UPDATE samples SET routing_decode = '[0, 0]')",
      R"(DELETE FROM routing)",
  };
  for (const char* sql : renders) {
    EXPECT_NO_THROW(report_in_process(database(sql))) << sql;
    EXPECT_TRUE(fs::exists(dir_.path() / "r.html")) << sql;
    fs::remove(dir_.path() / "r.html");
    fs::remove(dir_.path() / "r.json");
  }
  const std::pair<std::string, std::vector<std::string>> fails[] = {
      {"UPDATE runs SET settings = '{bad'", {"run 'night-1'", "settings", "malformed JSON"}},
      {"UPDATE runs SET settings = '5'", {"run 'night-1'", "settings", "not an object"}},
      {"UPDATE models SET gate_stats = '{x'", {"gate_stats", "malformed JSON"}},
      {"UPDATE models SET gate_stats = '[]'", {"gate_stats is not an object"}},
      {"UPDATE model_experts SET positive_prompts = '[bad'", {"model_experts of moe", "malformed JSON"}},
      {"UPDATE model_experts SET positive_prompts = '5'", {"expert prompts are not a list"}},
      {"UPDATE suites SET aggregate = '[bad'", {"suite s", "malformed JSON"}},
      {"UPDATE samples SET metrics = '{bad' WHERE doc_id = 3",
       {"samples.metrics", "task 't', doc_id 3", "not valid JSON"}},
      {"UPDATE samples SET responses = '[bad'", {"samples.responses", "doc_id", "malformed JSON"}},
      {"UPDATE samples SET responses = '" + std::string(5000, '[') + "'",
       {"samples.responses", "nested deeper"}},
  };
  for (const auto& [sql, fragments] : fails) {
    const fs::path db = database(sql);
    std::vector<std::string> all = fragments;
    all.push_back(db.string());
    SCOPED_TRACE(sql.substr(0, 100));
    ::moebench::testing::expect_input_error([&] { report_in_process(db); }, all);
    expect_no_outputs(sql);
  }
  // Through the binary: one line, exit status 2.
  const fs::path db = database("UPDATE samples SET metrics = '{bad' WHERE doc_id = 3");
  expect_clear_error(report(db), {db.string(), "samples.metrics", "doc_id 3"}, "binary");
}

// Logged routing whose parts disagree (segments, layers, blobs) fails naming
// the sample instead of reading out of bounds or allocating without limit.
TEST_F(ReportCli, DamagedRoutingFailsClearly) {
  // One segment (request 0, first position 0) of `tokens` tokens, as routing_codec stores it.
  const auto segment = [](const char* tokens_le) {
    return std::string("x'") + std::string(32, '0') + tokens_le + "'";
  };
  const std::pair<std::string, std::vector<std::string>> cases[] = {
      {"UPDATE samples SET routing_segments = " + segment("0400000000000000") + " || " +
           segment("FFFFFFFFFFFFFFFF") + " WHERE doc_id = 0 AND routing_logged = 1",
       {"routing of model 'moe', task 't', doc_id 0", "segment 1 holds -1 tokens"}},
      {"UPDATE samples SET routing_segments = " + segment("0000000000000010") +
           " WHERE doc_id = 0 AND routing_logged = 1",
       {"doc_id 0", "segment 0 holds 1152921504606846976 tokens"}},
      {"UPDATE samples SET routing_segments = " + segment("0300000000000000") +
           " WHERE doc_id = 0 AND routing_logged = 1",
       {"doc_id 0", "routed 4 tokens, but routing_segments cover 3"}},
      {"UPDATE samples SET routing_segments = x'0102' WHERE doc_id = 0 AND routing_logged = 1",
       {"doc_id 0", "not a multiple of 24", "model 'moe', task 't'"}},
      {"UPDATE samples SET routing_decode = '[7]' WHERE doc_id = 0 AND routing_logged = 1",
       {"doc_id 0", "routing_decode entry 7"}},
      {"UPDATE routing SET tokens = 1000000000000", {"routing", "model 'moe'"}},
      {"UPDATE routing SET tokens = 100000000, compression = 'none'", {"routing blobs hold"}},
      {"UPDATE routing SET expert_ids = randomblob(50), compression = 'zstd'", {"corrupt zstd routing blob"}},
      {"UPDATE routing SET num_experts = 2 WHERE layer = 1", {"routing", "doc_id"}},
      {"UPDATE routing_layer_stats SET num_experts = 1000000000000",
       {"routing_layer_stats of model 'moe', suite 's'", "num_experts 1000000000000"}},
      {"UPDATE routing_layer_stats SET num_experts = -5", {"routing_layer_stats", "num_experts -5"}},
  };
  for (const auto& [sql, fragments] : cases) {
    const fs::path db = database(sql);
    std::vector<std::string> all = fragments;
    all.push_back(db.string());
    SCOPED_TRACE(sql);
    ::moebench::testing::expect_input_error([&] { report_in_process(db); }, all);
    expect_no_outputs(sql);
  }
  const fs::path db = database(cases[0].first);
  expect_clear_error(report(db), {db.string(), "segment 1 holds -1 tokens"}, "binary");
}

TEST_F(ReportCli, ReadsADatabaseBeingWritten) {
  const fs::path db = database();
  store::Database writer(db.string(), {});
  writer.exec("BEGIN IMMEDIATE; UPDATE runs SET plan = 'in flight';"
              "INSERT INTO runs (run_key, started_at) VALUES ('uncommitted', '2030-01-01T00:00:00Z');");
  const auto r = report(db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("run night-1"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(dir_.path() / "r.json").find("in flight"), std::string::npos);
  writer.exec("COMMIT");
}

// A directory the user may not write in: SQLite cannot make the WAL index
// beside the database, and the message says so (root writes anywhere).
TEST_F(ReportCli, ReadOnlyDirectoryIsExplained) {
  if (::geteuid() == 0) GTEST_SKIP() << "SKIPPED: running as root, who may write in any directory";
  const fs::path ro = dir_.path() / "ro";
  fs::create_directory(ro);
  fs::copy_file(golden_, ro / "db.sqlite");
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  const auto r = report(ro / "db.sqlite");
  fs::permissions(ro, fs::perms::owner_all);
  expect_clear_error(r, {(ro / "db.sqlite").string(), "cannot be read in place", "-shm"}, "read-only");
}

// Ctrl-C while the report is built: exit 128 + SIGINT, and neither output
// nor a temporary is left.
TEST_F(ReportCli, InterruptLeavesNoOutput) {
  const fs::path db = dir_.path() / "big.sqlite";
  make_database(db, 3000);
  const fs::path out = dir_.path() / "out";
  const std::string bin = MOEBENCH_TEST_BIN;
  std::vector<std::string> args = {bin, "report", "--db", db.string(), "--out",
                                   (out / "r.html").string(), "--json", (out / "r.json").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Once the report's handler is in place (SigCgt has SIGINT), one Ctrl-C.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool caught = false;
  while (!caught && std::chrono::steady_clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("SigCgt:", 0) == 0) caught = (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
    }
    if (!caught) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(caught);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
  EXPECT_FALSE(fs::exists(out));  // not even the directory made for the outputs
}

}  // namespace
}  // namespace moebench::reports
