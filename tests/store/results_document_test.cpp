// lm-eval's results file from the database: the key structure of a file that
// lm-evaluation-harness v0.4.9 writes (tests/store/fixtures, written from its
// source: evaluator.py, evaluator_utils.py, loggers/evaluation_tracker.py),
// and the values of each entry.
#include "harness/store/results_document.h"
#include "harness/store/score_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "harness/util/sha256.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using json = nlohmann::ordered_json;
using moebench::testing::ScratchDir;
using namespace moebench::store::testing;

json fixture() {
  std::ifstream in(std::string(MOEBENCH_TEST_SOURCE_DIR) + "/tests/store/fixtures/lm_eval_0.4_results_structure.json");
  return json::parse(in);
}

std::string type_of(const json& j) {
  if (j.is_number()) return "number";
  return j.type_name();
}

// Every key lm-eval writes is in ours with a value of the same JSON type
// (null matches anything: lm-eval writes null for what a run did not set),
// recursively; `configs` is compared on the keys lm-eval always writes.
// Keys only we write are collected in `extra`.
void compare(const json& ours, const json& theirs, const std::string& path, std::vector<std::string>* missing,
             std::vector<std::string>* extra) {
  if (theirs.is_null() || ours.is_null()) return;
  // lm-eval writes a standard error that does not exist as "N/A" (one document, no stderr function).
  const bool na_stderr = ours == "N/A" && theirs.is_number() && path.find("_stderr,") != std::string::npos;
  if (type_of(ours) != type_of(theirs) && !na_stderr) {
    missing->push_back(path + " (type " + type_of(ours) + ", lm-eval: " + type_of(theirs) + ")");
    return;
  }
  if (theirs.is_array() && !theirs.empty() && !ours.empty()) compare(ours[0], theirs[0], path + "[0]", missing, extra);
  if (!theirs.is_object()) return;
  for (const auto& [key, value] : theirs.items()) {
    if (key == "_source") continue;
    if (!ours.contains(key)) {
      missing->push_back(path + "/" + key);
      continue;
    }
    if (path == "/configs") continue;  // a task's config: compared by the CLI test on real specs
    compare(ours[key], value, path + "/" + key, missing, extra);
  }
  for (const auto& [key, value] : ours.items())
    if (!theirs.contains(key)) extra->push_back(path + "/" + key);
}

// The fixture's run in a database: group mygroup of task_a (multiple choice,
// acc and acc_norm) and task_b (generation, exact_match under two filters).
struct FixtureRun {
  ScratchDir dir;
  ResultsStore store = ResultsStore::open(dir.path() / "r.sqlite");
  int64_t run = 0, model = 0;

  FixtureRun() {
    const json lm_eval = fixture();
    RunInfo info = run_info("nightly");
    info.settings = {{"batch_size", "auto"}, {"limit", nullptr}, {"gen_kwargs", nullptr}, {"random_seed", 0},
                     {"numpy_seed", 1234}, {"torch_seed", 1234}, {"fewshot_seed", 1234}};
    run = store.begin_run(info);
    ModelInfo m = model_info("moe-4x");
    m.max_length = 32768;
    m.num_parameters = 46702792704;
    m.special_tokens = {{"bos", {"<s>", 1}}, {"eos", {"</s>", 2}}, {"pad", {"<unk>", 0}}};
    model = store.upsert_model(m);
    SuiteInfo suite{"mygroup", "suite-sha", "", "1.0", {"task_a", "task_b"},
                    {{"acc", {"none"}, true}, {"exact_match", {"strict-match", "flexible-extract"}, false}}};
    const int64_t suite_id = store.upsert_suite(suite);
    const std::map<std::string, std::map<std::string, MetricScore>> scores = {
        {"task_a", {{"acc,none", {0.75, 0.25, 4, true}}, {"acc_norm,none", {0.5, 0.2886751, 4, true}}}},
        {"task_b", {{"exact_match,strict-match", {0.5, 0.5, 2, true}},
                    {"exact_match,flexible-extract", {1.0, NAN, 1, true}}}}};
    for (const auto& [name, metrics] : scores) {
      TaskInfo t = task_info(name, "mygroup");
      t.config = nlohmann::json(lm_eval.at("configs").at(name));
      t.num_docs = 10;
      t.version = name == "task_a" ? "1.0" : "3.0";
      const int64_t task = store.upsert_task(t);
      std::vector<SampleRecord> samples = {sample(0), sample(1)};
      samples[1].responses[0].logprob = NAN;  // a broken model's answer: stored as null
      for (auto& s : samples) {
        s.doc_hash = sha256_hex("doc" + std::to_string(s.doc_id));
        s.prompt_hash = sha256_hex("prompt");
        s.target_hash = sha256_hex("1");
      }
      store.write_samples(run, model, task, samples);
      store.write_scores(run, model, task, metrics);
      store.update_suite_scores(run, model, suite_id);
    }
    store.finish_run(run, RunStatus::Complete);
  }
};

TEST(ResultsDocument, HasLmEvalsKeyStructure) {
  FixtureRun f;
  const json ours = results_document(f.store, f.run, f.model);
  std::vector<std::string> missing, extra;
  compare(ours, fixture(), "", &missing, &extra);
  EXPECT_TRUE(missing.empty()) << "missing or of another type: " << ::testing::PrintToString(missing);
  // What we add: our own record. (n-shot of a group whose tasks agree, as lm-eval
  // 0.4.12 writes it, is absent here: task_a is 0-shot, task_b 5-shot.)
  EXPECT_EQ(extra, (std::vector<std::string>{"/moebench"}));
  // Top-level keys in lm-eval's order.
  std::vector<std::string> theirs, mine;
  const json lm_eval = fixture();
  for (const auto& [key, value] : lm_eval.items())
    if (key != "_source") theirs.push_back(key);
  for (const auto& [key, value] : ours.items())
    if (key != "moebench") mine.push_back(key);
  EXPECT_EQ(mine, theirs);
}

TEST(ResultsDocument, EntriesAsLmEvalWritesThem) {
  FixtureRun f;
  json out = results_document(f.store, f.run, f.model);  // not const: [] on a missing key adds null
  const json& task_a = out["results"]["task_a"];
  EXPECT_EQ(task_a["alias"], " - task_a");
  EXPECT_DOUBLE_EQ(task_a["acc,none"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(task_a["acc_stderr,none"].get<double>(), 0.25);
  // lm-eval's order: alias, then per filter each metric and its stderr.
  std::vector<std::string> keys;
  for (const auto& [key, value] : out["results"]["task_b"].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"alias", "exact_match,strict-match", "exact_match_stderr,strict-match",
                                            "exact_match,flexible-extract", "exact_match_stderr,flexible-extract"}));
  EXPECT_EQ(out["results"]["task_b"]["exact_match_stderr,flexible-extract"], "N/A");  // n = 1
  // The group: acc over task_a only (weighted by size), exact_match over task_b.
  EXPECT_EQ(out["groups"]["mygroup"]["alias"], "mygroup");
  EXPECT_DOUBLE_EQ(out["groups"]["mygroup"]["acc,none"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(out["groups"]["mygroup"]["exact_match,strict-match"].get<double>(), 0.5);
  EXPECT_EQ(out["groups"]["mygroup"]["exact_match_stderr,flexible-extract"], "N/A");
  EXPECT_EQ(out["results"]["mygroup"], out["groups"]["mygroup"]);
  EXPECT_EQ(out["group_subtasks"]["mygroup"], json::array({"task_a", "task_b"}));
  EXPECT_EQ(out["versions"]["task_a"], 1.0);
  EXPECT_EQ(out["versions"]["mygroup"], 1.0);
  EXPECT_EQ(out["n-shot"]["task_b"], 5);
  EXPECT_FALSE(out["n-shot"].contains("mygroup"));  // its tasks disagree (0 and 5)
  EXPECT_EQ(out["higher_is_better"]["mygroup"],
            (json{{"acc", true}, {"acc_norm", true}, {"exact_match", true}}));
  EXPECT_EQ(out["n-samples"]["task_a"], (json{{"original", 10}, {"effective", 4}}));
  EXPECT_FALSE(out["n-samples"].contains("mygroup"));
  EXPECT_EQ(out["config"]["model_args"], "pretrained=/models/moe-4x,dtype=float32,gate_variant=hidden");
  EXPECT_EQ(out["config"]["batch_size"], "auto");
  EXPECT_EQ(out["tokenizer_eos_token"], json::array({"</s>", "2"}));
  EXPECT_EQ(out["eot_token_id"], 2);
  EXPECT_EQ(out["model_name_sanitized"], "__models__moe-4x");
  // task_hashes: sha256 over every sample's three hashes, once per filter.
  std::string a, b;
  for (int d = 0; d < 2; ++d) a += sha256_hex("doc" + std::to_string(d)) + sha256_hex("prompt") + sha256_hex("1");
  b = a + a;  // task_b has two filters
  EXPECT_EQ(out["task_hashes"]["task_a"], sha256_hex(a));
  EXPECT_EQ(out["task_hashes"]["task_b"], sha256_hex(b));
  EXPECT_EQ(out["moebench"]["status"], "complete");
  // One document per (run, model) for `db export --json`.
  EXPECT_EQ(results_documents(f.store).size(), 1u);
  EXPECT_EQ(results_documents(f.store)[0], out);
  EXPECT_NE(score_table(out).find("| - task_a|1.0|none|0|acc|↑|0.7500|±|0.2500|"), std::string::npos)
      << score_table(out);
}

TEST(ResultsDocument, SuiteScoresAreTheGroupMeanOfTheStoredTaskScores) {
  FixtureRun f;
  auto rows = f.store.suite_scores(f.run);
  std::map<std::string, SuiteScoreRow> by_metric;
  for (const auto& r : rows) by_metric[r.metric] = r;
  ASSERT_EQ(by_metric.size(), 3u);
  EXPECT_DOUBLE_EQ(by_metric["acc,none"].value, 0.75);
  EXPECT_EQ(by_metric["acc,none"].n, 4);
  EXPECT_EQ(by_metric["acc,none"].tasks, 1);
  EXPECT_EQ(by_metric["acc,none"].suite_tasks, 2);
  EXPECT_TRUE(std::isnan(by_metric["exact_match,flexible-extract"].stderr_value));
  EXPECT_EQ(by_metric["exact_match,strict-match"].suite, "mygroup");
}

TEST(ResultsDocument, StoredNaNsAndForeignJsonDoNotBreakTheReaders) {
  FixtureRun f;
  auto q = f.store.database().prepare("SELECT task_id FROM tasks WHERE name = 'task_a'");
  ASSERT_TRUE(q.step());
  const int64_t task = q.int64(0);
  const auto samples = f.store.stored_samples(f.run, f.model, task);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(std::isnan(samples[1].responses[0].logprob));
  EXPECT_NO_THROW(results_document(f.store, f.run, f.model));
  // A shard from elsewhere whose settings are not an object: a StoreError naming the column.
  f.store.database().exec("UPDATE runs SET settings = '[1]'");
  try {
    results_document(f.store, f.run, f.model);
    ADD_FAILURE() << "expected a StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("runs.settings"), std::string::npos) << e.what();
  }
  f.store.database().exec("UPDATE suites SET aggregate = '[{\"metric\": 3}]'");
  EXPECT_THROW(f.store.update_suite_scores(f.run, f.model, 1), StoreError);
}

TEST(ResultsDocument, SanitizedNamesAsLmEval) {
  EXPECT_EQ(sanitized_model_name("org/moe-model"), "org__moe-model");
  EXPECT_EQ(sanitized_model_name("a<>b"), "a__b");
  EXPECT_EQ(sanitized_model_name("plain"), "plain");
}

}  // namespace
}  // namespace moebench::store
