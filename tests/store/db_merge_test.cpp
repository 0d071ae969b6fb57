// `db merge`: four shard databases merged equal one database that did all the
// work; merging is idempotent; partial shards catch up; conflicts and other
// schema versions are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "harness/store/db_merge.h"
#include "harness/store/schema.h"
#include "tests/testing/canonical_rows.h"
#include "tests/testing/size_estimate.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

StoreOptions fixed_clock() {
  StoreOptions o;
  o.clock = [] { return TimePoint(std::chrono::seconds(1714529587)); };
  return o;
}

// One second later at every reading: shards reported later are newer.
StoreOptions ticking_clock() {
  StoreOptions o;
  o.clock = [t = std::make_shared<int64_t>(0)] {
    return TimePoint(std::chrono::seconds(1714529587 + (*t)++));
  };
  return o;
}

const std::vector<std::string> kModels = {"moe-a", "moe-b"};
const std::vector<std::string> kTasks = {"arc", "gsm8k", "humaneval", "truthfulqa"};

// The plan's work item `pair` (model x task), docs [from, to): samples with
// routing drawn from a seed that depends only on the item, in batches of 5,
// then the task's scores from every stored sample (as the runner does).
void do_work(ResultsStore& store, const std::string& shard, size_t pair, int64_t from,
             int64_t to, bool score = true) {
  const int64_t run = store.begin_run(run_info("nightly", shard));
  ModelInfo minfo = model_info(kModels[pair / kTasks.size()]);
  minfo.gate_stats = {{"layers", {{{"layer", 0}, {"condition_number", 1.5 + static_cast<double>(pair / kTasks.size())},
                                   {"cosine", {{1.0, 0.25}, {0.25, 1.0}}}}}}};
  const int64_t model = store.upsert_model(minfo);
  const int64_t task =
      store.upsert_task(task_info(kTasks[pair % kTasks.size()], "suite", "coding"));
  for (int64_t d = from; d < to; d += 5) {
    std::vector<SampleRecord> batch;
    for (int64_t doc = d; doc < std::min(to, d + 5); ++doc) {
      std::mt19937_64 rng(pair * 1000 + doc);
      batch.push_back(sample(doc));
      SampleRouting& routing = batch.back().routing = synthetic_routing({3, 4, 2}, 10 + doc % 7, rng);
      // A generation: its last three tokens decoded, each token with its text.
      const int64_t tokens = routing.tokens();
      routing.segments = {{0, 0, tokens - 3}, {0, tokens - 3, 3}};
      routing.decode_segments = {1};
      for (int64_t t = 0; t < tokens; ++t) routing.pieces.push_back(" t" + std::to_string(pair * 100 + t));
    }
    store.write_samples(run, model, task, batch);
  }
  if (!score) return;
  double sum = 0;
  auto all = store.sample_scores(run, model, task);
  for (const auto& [doc, s] : all) sum += s.metrics.at("acc,none");
  store.write_scores(run, model, task,
                     {{"acc,none", {sum / all.size(), 0.01, static_cast<int64_t>(all.size()), true}}});
  store.finish_run(run, RunStatus::Complete);
}

class DbMerge : public ::testing::Test {
 protected:
  fs::path shard(int i) { return dir.path() / ("shard-" + std::to_string(i) + ".sqlite"); }
  // What merging `sources` into `target` throws, or "<no error>".
  static std::string merge_error(const fs::path& target, const std::vector<fs::path>& sources) {
    try {
      merge_databases_into(target, sources);
    } catch (const StoreError& e) {
      return e.what();
    }
    return "<no error>";
  }
  // Shard i of 4 takes the work items whose index is i modulo 4.
  void write_shards() {
    for (int i = 0; i < 4; ++i) {
      auto store = ResultsStore::open(shard(i), fixed_clock());
      for (size_t pair = i; pair < kModels.size() * kTasks.size(); pair += 4)
        do_work(store, std::to_string(i) + "/4", pair, 0, 23);
    }
  }
  ScratchDir dir;
};

TEST_F(DbMerge, FourShardsMergedEqualOneUnshardedRun) {
  write_shards();
  auto single = ResultsStore::open(dir.path() / "single.sqlite", fixed_clock());
  for (size_t pair = 0; pair < kModels.size() * kTasks.size(); ++pair)
    do_work(single, "", pair, 0, 23);

  auto merged = ResultsStore::open(dir.path() / "merged.sqlite", fixed_clock());
  MergeStats stats = merge_databases(merged, {shard(0), shard(1), shard(2), shard(3)});
  EXPECT_EQ(stats.runs_added, 1);
  EXPECT_EQ(stats.models_added, 2);
  EXPECT_EQ(stats.samples_added, 8 * 23);
  EXPECT_EQ(stats.groups_updated, 8);

  const auto want = canonical_rows(single), got = canonical_rows(merged);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "row " << i;
  auto runs = merged.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].shard, "0/4,1/4,2/4,3/4");
  EXPECT_EQ(runs[0].host, "host-0,host-1,host-2,host-3");
  EXPECT_EQ(runs[0].status, "complete");
  EXPECT_EQ(merged.scores().size(), 8u);
}

TEST_F(DbMerge, MergingAgainChangesNothing) {
  write_shards();
  auto merged = ResultsStore::open(dir.path() / "merged.sqlite", fixed_clock());
  merge_databases(merged, {shard(0), shard(1)});
  const auto once = canonical_rows(merged);
  MergeStats again = merge_databases(merged, {shard(1), shard(0)});
  EXPECT_EQ(again.samples_added, 0);
  EXPECT_EQ(again.samples_present, 4 * 23);
  EXPECT_EQ(canonical_rows(merged), once);
}

TEST_F(DbMerge, AShardMergedWhileRunningCatchesUpOnTheNextMerge) {
  const auto path = shard(0);
  StoreOptions clock = ticking_clock();
  {
    auto s = ResultsStore::open(path, clock);
    do_work(s, "0/1", 0, 0, 10, /*score=*/false);  // interrupted after 10 documents
  }
  auto merged = ResultsStore::open(dir.path() / "merged.sqlite", clock);
  merge_databases(merged, {path});
  EXPECT_EQ(merged.runs().at(0).status, "running");
  {
    auto s = ResultsStore::open(path, clock);
    do_work(s, "0/1", 0, 10, 23);  // resumed and finished
  }
  MergeStats stats = merge_databases(merged, {path});
  EXPECT_EQ(stats.samples_added, 13);
  EXPECT_EQ(stats.samples_present, 10);
  auto reference = ResultsStore::open(path, clock);
  EXPECT_EQ(canonical_rows(merged), canonical_rows(reference));
  EXPECT_EQ(merged.runs().at(0).status, "complete");
}

TEST_F(DbMerge, ShardsThatOverlapBothWaysAreRefused) {
  {
    auto a = ResultsStore::open(shard(0), fixed_clock());
    do_work(a, "", 0, 0, 10);
    auto b = ResultsStore::open(shard(1), fixed_clock());
    do_work(b, "", 0, 5, 15);
  }
  auto merged = ResultsStore::open(dir.path() / "merged.sqlite", fixed_clock());
  merge_databases(merged, {shard(0)});
  const auto before = canonical_rows(merged);
  try {
    merge_databases(merged, {shard(1)});
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(shard(1).string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("and the other way round"), std::string::npos);
  }
  EXPECT_EQ(canonical_rows(merged), before);  // the failed source left nothing
}

TEST_F(DbMerge, OtherSchemaVersionsMissingFilesAndTheTargetItselfAreRefused) {
  {
    Database db(shard(0).string(), {});
    std::vector<Migration> steps = migrations();
    steps.push_back({kSchemaVersion + 1, "future", [](Database& d) { d.exec("CREATE TABLE x (y)"); }});
    migrate(db, steps);
  }
  auto merged = ResultsStore::open(dir.path() / "merged.sqlite");
  auto message = [&](const fs::path& p) {
    try {
      merge_databases(merged, {p});
    } catch (const StoreError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_NE(message(shard(0)).find(fmt::format("schema version {}, but this moebench reads version {}",
                                               kSchemaVersion + 1, kSchemaVersion)),
            std::string::npos);
  EXPECT_NE(message(shard(3)).find("no such results database"), std::string::npos);
  EXPECT_NE(message(dir.path() / "merged.sqlite").find("is the merge target itself"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(shard(3)));  // looking did not create it
}

}  // namespace
}  // namespace moebench::store

namespace moebench::store {
namespace {

// A new target appears only when every source is in: a bad source (found
// before anything is created) or a conflict (found while merging) leaves no
// target and no temporary, and the message names the target, not a temporary.
TEST_F(DbMerge, ANewTargetAppearsOnlyWhenEverySourceIsIn) {
  {
    auto a = ResultsStore::open(shard(0), fixed_clock());
    do_work(a, "", 0, 0, 10);
    auto b = ResultsStore::open(shard(1), fixed_clock());
    do_work(b, "", 0, 5, 15);
  }
  moebench::testing::write_text(dir.path() / "not-a-db.sqlite", "hello");
  const fs::path target = dir.path() / "merged.sqlite";
  const auto files = names_in(dir.path());
  auto message = [&](const std::vector<fs::path>& sources) { return merge_error(target, sources); };
  EXPECT_NE(message({shard(0), shard(3)}).find(shard(3).string() + ": no such results database"),
            std::string::npos);
  EXPECT_NE(message({shard(0), dir.path() / "not-a-db.sqlite"}).find("not-a-db.sqlite"), std::string::npos);
  EXPECT_NE(message({shard(0), dir.path()}).find("is a directory"), std::string::npos);
  const std::string conflict = message({shard(0), shard(1)});
  EXPECT_NE(conflict.find("and the other way round"), std::string::npos) << conflict;
  EXPECT_NE(conflict.find(target.string() + " lacks"), std::string::npos) << conflict;
  EXPECT_EQ(conflict.find(".tmp-"), std::string::npos) << conflict;
  EXPECT_EQ(names_in(dir.path()), files);  // no target, no temporary, no -wal

  // The same sources merged into a new target equal those merged into an open store.
  MergeStats s = merge_databases_into(target, {shard(0)});
  EXPECT_EQ(s.samples_added, 10);
  auto merged = ResultsStore::open(target, fixed_clock());
  auto reference = ResultsStore::open(dir.path() / "reference.sqlite", fixed_clock());
  merge_databases(reference, {shard(0)});
  EXPECT_EQ(canonical_rows(merged), canonical_rows(reference));
  // An existing target is merged into in place; a failing source leaves it as it was.
  const auto before = canonical_rows(merged);
  EXPECT_NE(message({shard(1)}).find("and the other way round"), std::string::npos);
  EXPECT_EQ(canonical_rows(merged), before);
}

// A nightly merge refuses a run with a shard that is not complete (running or
// killed, interrupted, failed) or that no database reports, naming each; given
// --allow-incomplete it merges what is there, and a later merge of the rest
// completes the run, counting what the target already holds.
TEST_F(DbMerge, AnIncompleteOrMissingShardIsRefusedUnlessAllowed) {
  StoreOptions clock = ticking_clock();
  {
    auto a = ResultsStore::open(shard(0), clock);
    do_work(a, "0/3", 0, 0, 10);
    auto b = ResultsStore::open(shard(1), clock);
    do_work(b, "1/3", 1, 0, 4, /*score=*/false);  // still running, or killed
  }
  const fs::path target = dir.path() / "merged.sqlite";
  const auto files = names_in(dir.path());
  auto message = [&](const std::vector<fs::path>& sources) { return merge_error(target, sources); };
  std::string m = message({shard(0), shard(1)});
  EXPECT_NE(m.find(shard(1).string() + ": run 'nightly' shard 1/3 is still running"), std::string::npos) << m;
  EXPECT_NE(m.find("run 'nightly' shard 2/3 is in none of the databases given"), std::string::npos) << m;
  EXPECT_NE(m.find("--allow-incomplete"), std::string::npos) << m;
  EXPECT_EQ(m.find("shard 0/3"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  {
    auto b = ResultsStore::open(shard(1), clock);
    b.finish_run(b.begin_run(run_info("nightly", "1/3")), RunStatus::Interrupted);
  }
  m = message({shard(0), shard(1)});
  EXPECT_NE(m.find(shard(1).string() + ": run 'nightly' shard 1/3 is interrupted, not complete"), std::string::npos)
      << m;
  EXPECT_EQ(names_in(dir.path()), files);  // refused before anything was created

  MergeOptions partial;
  partial.allow_incomplete = true;
  EXPECT_EQ(merge_databases_into(target, {shard(0), shard(1)}, partial).samples_added, 14);
  EXPECT_EQ(ResultsStore::open(target, clock).runs().at(0).status, "interrupted");

  {  // shard 1 resumed to the end, shard 2 run: the rest merges without the flag
    auto b = ResultsStore::open(shard(1), clock);
    do_work(b, "1/3", 1, 4, 10);
    auto c = ResultsStore::open(shard(2), clock);
    do_work(c, "2/3", 2, 0, 10);
  }
  // The target's report of shard 1 is the newest one given: still interrupted.
  m = message({shard(2)});
  EXPECT_NE(m.find(target.string() + ": run 'nightly' shard 1/3 is interrupted"), std::string::npos) << m;
  MergeStats s = merge_databases_into(target, {shard(1), shard(2)});
  EXPECT_EQ(s.samples_added, 6 + 10);
  auto merged = ResultsStore::open(target, clock);
  EXPECT_EQ(merged.runs().at(0).status, "complete");
  EXPECT_EQ(merged.runs().at(0).shard, "0/3,1/3,2/3");
}

}  // namespace
}  // namespace moebench::store
