// `moebench db merge|export` on the built binary: bad sources and bad output
// paths exit 2 with one line naming the path, and create nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/store/results_store.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using moebench::testing::expect_one_line_error;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

void write_db(const fs::path& path, const std::string& task) {
  auto store = ResultsStore::open(path);
  const int64_t run = store.begin_run(run_info("nightly"));
  const int64_t model = store.upsert_model(model_info("moe-4x"));
  const int64_t t = store.upsert_task(task_info(task));
  store.write_samples(run, model, t, {sample(0), sample(1)});
  store.finish_run(run, RunStatus::Complete);
}

TEST(DbOutputCli, MergeWithABadSourceCreatesNoTarget) {
  ScratchDir dir;
  const std::string good = (dir.path() / "good.sqlite").string(), target = (dir.path() / "merged.sqlite").string();
  write_db(good, "arc");
  moebench::testing::write_text(dir.path() / "junk.sqlite", "not a database");
  const auto files = names_in(dir.path());
  const std::string missing = (dir.path() / "missing.sqlite").string(), junk = (dir.path() / "junk.sqlite").string();
  expect_one_line_error(run_moebench({"db", "merge", "--db", target, good, missing}), {missing, "no such results database"});
  expect_one_line_error(run_moebench({"db", "merge", "--db", target, good, junk}), {junk});
  expect_one_line_error(run_moebench({"db", "merge", "--db", dir.path().string(), good}),
                        {"--db", dir.path().string(), "is an existing directory"});
  expect_one_line_error(run_moebench({"db", "merge", "--db", good + "/x.sqlite", good}),
                        {"--db", good + " is not a directory"});
  EXPECT_EQ(names_in(dir.path()), files);
  auto r = run_moebench({"db", "merge", "--db", target, good});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 samples added"));
}

TEST(DbOutputCli, ExportOutIsCheckedBeforeReading) {
  ScratchDir dir;
  const std::string db = (dir.path() / "r.sqlite").string();
  write_db(db, "arc");
  fs::create_directories(dir.path() / "d");
  const auto files = names_in(dir.path());
  expect_one_line_error(run_moebench({"db", "export", "--db", db, "--csv", "--out", (dir.path() / "d").string()}),
                        {"--out", (dir.path() / "d").string(), "is an existing directory"});
  expect_one_line_error(run_moebench({"db", "export", "--db", (dir.path() / "none.sqlite").string(), "--csv",
                                      "--out", db + "/x.csv"}),
                        {"--out", db + " is not a directory"});
  EXPECT_EQ(names_in(dir.path()), files);
  auto r = run_moebench({"db", "export", "--db", db, "--csv", "--out", (dir.path() / "new" / "x.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "new" / "x.csv"));
}

}  // namespace
}  // namespace moebench::store
