// `moebench db runs|scores|export|merge` end to end on the built binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/store/results_store.h"
#include "harness/util/atomic_path.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

void write_db(const fs::path& path, const std::string& shard, const std::string& task) {
  auto store = ResultsStore::open(path);
  const int64_t run = store.begin_run(run_info("nightly", shard));
  const int64_t model = store.upsert_model(model_info("moe-4x"));
  const int64_t t = store.upsert_task(task_info(task));
  store.write_samples(run, model, t, {sample(0), sample(1), sample(2)});
  store.write_scores(run, model, t, {{"acc,none", {0.25, 0.125, 3, true}},
                                     {"acc_norm,none", {0.5, NAN, 1, true}}});
  store.finish_run(run, RunStatus::Complete);
}

class DbCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto probe = run_moebench({"db", "--help"});
    if (probe.exit_code != 0 || probe.out.find("merge") == std::string::npos)
      GTEST_SKIP() << "SKIPPED: the built moebench has no `db` command yet (rebuild it)";
  }
  ScratchDir dir;
};

TEST_F(DbCli, RunsScoresAndExports) {
  const auto db = (dir.path() / "r.sqlite").string();
  write_db(db, "", "arc");
  auto r = run_moebench({"db", "runs", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nightly"));
  EXPECT_THAT(r.out, HasSubstr("complete"));

  r = run_moebench({"db", "scores", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0.25 ± 0.125"));

  r = run_moebench({"db", "export", "--db", db, "--csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run_id,run_key,model,gate_variant,suite,task,metric,value,stderr,n"));
  EXPECT_THAT(r.out, HasSubstr("1,nightly,moe-4x,hidden,suite,arc,\"acc,none\",0.25,0.125,3,1"));

  const auto out = dir.path() / "results.json";
  r = run_moebench({"db", "export", "--db", db, "--json", "--run", "nightly", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(moebench::read_file(out));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["results"]["arc"]["acc,none"], 0.25);
  EXPECT_EQ(j[0]["results"]["arc"]["acc_stderr,none"], 0.125);
  EXPECT_EQ(j[0]["results"]["arc"]["acc_norm_stderr,none"], "N/A");
  EXPECT_EQ(j[0]["n-samples"]["arc"]["effective"], 3);
}

TEST_F(DbCli, MergeShardsThenReadTheUnion) {
  const auto a = (dir.path() / "a.sqlite").string(), b = (dir.path() / "b.sqlite").string();
  const auto merged = (dir.path() / "merged.sqlite").string();
  write_db(a, "0/2", "arc");
  write_db(b, "1/2", "gsm8k");
  auto r = run_moebench({"db", "merge", "--db", merged, a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("6 samples added"));
  r = run_moebench({"db", "merge", "--db", merged, a, b});
  EXPECT_THAT(r.out, HasSubstr("0 samples added, 6 already present"));
  r = run_moebench({"db", "runs", "--db", merged, "--json"});
  auto runs = nlohmann::json::parse(r.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["shard"], "0/2,1/2");
}

// A shard that no database given reports is refused in one line, before a
// target exists; --allow-incomplete merges what is there.
TEST_F(DbCli, MergeRefusesAMissingShardUnlessAllowed) {
  const auto a = (dir.path() / "a.sqlite").string(), merged = (dir.path() / "merged.sqlite").string();
  write_db(a, "0/2", "arc");
  moebench::testing::expect_one_line_error(
      run_moebench({"db", "merge", "--db", merged, a}),
      {"run 'nightly' shard 1/2 is in none of the databases given", "--allow-incomplete"});
  EXPECT_FALSE(fs::exists(merged));
  auto r = run_moebench({"db", "merge", "--db", merged, a, "--allow-incomplete"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 samples added"));
  EXPECT_THAT(run_moebench({"db", "merge", "--help"}).out, HasSubstr("--allow-incomplete"));
}

TEST_F(DbCli, BadInputNamesTheFileAndExitsWithTwo) {
  auto r = run_moebench({"db", "runs", "--db", (dir.path() / "missing.sqlite").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.sqlite: no such results database"));
  const auto db = (dir.path() / "r.sqlite").string();
  write_db(db, "", "arc");
  r = run_moebench({"db", "scores", "--db", db, "--run", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--run 'yesterday': no run with that id or run_key"));
  r = run_moebench({"db", "export", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("give --csv or --json"));
  const auto text = dir.path() / "notes.txt";
  moebench::testing::write_text(text, "not a database at all, but long enough to look like one");
  r = run_moebench({"db", "merge", "--db", db, text.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("notes.txt"));
}

}  // namespace
}  // namespace moebench::store
