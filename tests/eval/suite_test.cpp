// The suites under tasks/: all load, their documented worked examples score as
// tasks/README.md says, their references score perfectly, and group aggregation.
#include "harness/eval/suite.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "harness/eval/doc_files.h"
#include "harness/eval/sandbox.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

namespace fs = std::filesystem;

fs::path tasks_dir() {
  const char* env = std::getenv("MOEBENCH_SOURCE_DIR");
  const fs::path root =
      env && *env ? fs::path(env) : fs::path(__FILE__).parent_path() / ".." / "..";
  return (root / "tasks").lexically_normal();
}

std::vector<size_t> all_docs(const Task& task) {
  std::vector<size_t> out(task.docs().size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

const Task& find(const std::vector<Task>& tasks, const std::string& name) {
  for (const Task& t : tasks) {
    if (t.name() == name) return t;
  }
  throw std::runtime_error("no task " + name);
}

TEST(Suites, EveryBundledSuiteLoads) {
  const auto names = list_suites(tasks_dir());
  EXPECT_EQ(names, (std::vector<std::string>{"coding", "math", "roleplay", "truthfulness"}));
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const SuiteSpec suite = load_suite(name, tasks_dir());
    EXPECT_EQ(suite.group, name);
    EXPECT_FALSE(suite.aggregate_metric_list.empty());
    EXPECT_FALSE(suite.expected_expert.empty());
    for (const Task& task : load_suite_tasks(suite)) {
      EXPECT_GT(task.docs().size(), 0u);
      for (size_t i = 0; i < task.docs().size(); ++i) {
        const std::string prompt = task.prompt(i);
        EXPECT_EQ(
            task.requests(i, prompt).size(),
            task.spec().output_type == OutputType::MultipleChoice ? task.choices(i).size() : 1u);
      }
    }
  }
}

TEST(Suites, UnknownNamesSuggestTheClosest) {
  try {
    load_suite("maths", tasks_dir());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'math'"), std::string::npos) << e.what();
  }
  moebench::testing::ScratchDir dir;
  moebench::testing::write_text(dir.path() / "s" / "s.yaml", "group: s\ntask: [alpha]\n");
  moebench::testing::write_text(dir.path() / "s" / "alfa.yaml", "task: alfa\n");
  try {
    load_suite("s", dir.path());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'alfa'"), std::string::npos) << e.what();
  }
  moebench::testing::write_text(dir.path() / "s" / "s.yaml", "group: s\ntask: [alfa]\ntasks: []\n");
  EXPECT_THROW(load_suite(dir.path() / "s" / "s.yaml", dir.path()), InputError);
}

TEST(Suites, ReadmeWorkedExamples) {
  const auto math = load_suite_tasks(load_suite("math", tasks_dir()));
  // math_mc_019: lls -5.0 -6.0 -4.3 -5.6 -> acc 1, acc_norm 0.
  const Task& mc = find(math, "math_arithmetic_mc");
  ASSERT_EQ(mc.docs()[18]["id"], "math_mc_019");
  EXPECT_EQ(mc.prompt(18), "Question: What is 0.6 * 0.5?\nAnswer:");
  auto s = mc.score({18}, {{{-5.0}, {-6.0}, {-4.3}, {-5.6}}}, nullptr);
  EXPECT_EQ(s[0].metrics.at("acc,none"), 1.0);
  EXPECT_EQ(s[0].metrics.at("acc_norm,none"), 0.0);
  // math_word_problems item 0: shots are pool lines 7 0 6 5 4 2 3 1.
  const Task& words = find(math, "math_word_problems");
  const auto pool = read_jsonl(tasks_dir() / "math" / "math_word_problems_fewshot.jsonl");
  std::string expected;
  for (size_t line : {7, 0, 6, 5, 4, 2, 3, 1}) {
    expected += "Question: " + pool[line]["question"].get<std::string>() +
                "\nAnswer: " + pool[line]["answer"].get<std::string>() + "\n\n";
  }
  expected += "Question: " + words.docs()[0]["question"].get<std::string>() + "\nAnswer:";
  EXPECT_EQ(words.prompt(0), expected);
  // truthfulness_002: lls -10 -25 -9 -14 -20 over mc2's choices -> mc1 0, mc2 0.268.
  const auto truth = load_suite_tasks(load_suite("truthfulness", tasks_dir()));
  const Task& tq = find(truth, "truthfulness_mc");
  ASSERT_EQ(tq.docs()[1]["id"], "truthfulness_002");
  s = tq.score({1}, {{{-10.0}, {-25.0}, {-9.0}, {-14.0}, {-20.0}}}, nullptr);
  EXPECT_EQ(s[0].metrics.at("mc1,none"), 0.0);
  const double mc2 = (std::exp(-10) + std::exp(-25)) /
                     (std::exp(-10) + std::exp(-25) + std::exp(-9) + std::exp(-14) + std::exp(-20));
  EXPECT_NEAR(s[0].metrics.at("mc2,none"), mc2, 1e-12);
  EXPECT_NEAR(mc2, 0.268, 5e-4);
  // A second true answer (T2) scoring best does not make mc1 wrong: T2 is not an
  // mc1 choice. (README §8's parenthesis keeps F1 at -9 above T1, where mc1 stays 0.)
  s = tq.score({1}, {{{-9.0}, {-8.0}, {-10.0}, {-14.0}, {-20.0}}}, nullptr);
  EXPECT_EQ(s[0].metrics.at("mc1,none"), 1.0);
}

TEST(Suites, WordProblemReferencesScorePerfectly) {
  const auto math = load_suite_tasks(load_suite("math", tasks_dir()));
  const Task& words = find(math, "math_word_problems");
  std::vector<std::vector<Response>> responses;
  for (const auto& doc : words.docs()) {
    Response r;
    r.text = " " + doc["answer"].get<std::string>() + "\n\n";
    responses.push_back({r});
  }
  const auto agg = words.aggregate(words.score(all_docs(words), responses, nullptr));
  EXPECT_EQ(agg.at("exact_match,strict-match").value, 1.0);
  EXPECT_EQ(agg.at("exact_match,flexible-extract").value, 1.0);
}

TEST(Suites, CodingCanonicalSolutionsPassAndEmptyBodiesFail) {
  std::unique_ptr<Sandbox> sandbox;
  try {
    SandboxOptions options;
    options.workers = 2;
    sandbox = std::make_unique<Sandbox>(options);
  } catch (const InputError& e) {
    GTEST_SKIP() << "SKIPPED: no code sandbox: " << e.what();
  }
  const auto coding = load_suite_tasks(load_suite("coding", tasks_dir()));
  const Task& task = find(coding, "coding_completion");
  std::vector<std::vector<Response>> good, bad;
  for (const auto& doc : task.docs()) {
    Response r;
    r.text = doc["canonical_solution"].get<std::string>();
    good.push_back({r});
    r.text = "    return None\n";
    bad.push_back({r});
  }
  const auto scores = task.score(all_docs(task), good, sandbox.get());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(scores[i].metrics.at("pass@1,none"), 1.0)
        << task.docs()[i]["id"] << ": " << scores[i].program_results.at("none")[0];
  }
  EXPECT_EQ(task.aggregate(task.score(all_docs(task), bad, sandbox.get())).at("pass@1,none").value,
            0.0);
}

TEST(Suites, GroupAggregationAsLmEval) {
  SuiteSpec suite;
  suite.group = "g";
  AggregateMetric weighted{"acc", "mean", true, {"none"}};
  AggregateMetric plain{"acc", "mean", false, {"none"}};
  suite.aggregate_metric_list = {weighted};
  MetricResult a{0.5, 0.1, 10, true}, b{0.9, 0.2, 30, true}, c{0.3, 0.05, 5, true};
  std::vector<std::pair<std::string, std::map<std::string, MetricResult>>> results = {
      {"t1", {{"acc,none", a}}}, {"t2", {{"acc,none", b}}}, {"t3", {{"exact_match,x", c}}}};
  auto g = aggregate_group(suite, results);
  ASSERT_EQ(g.size(), 1u);  // t3 does not report acc,none: left out
  EXPECT_NEAR(g.at("acc,none").value, (0.5 * 10 + 0.9 * 30) / 40, 1e-12);
  EXPECT_NEAR(g.at("acc,none").stderr_value,
              std::sqrt((9 * 0.01 * 10 + 29 * 0.04 * 30) / 38.0 / 40), 1e-12);
  EXPECT_EQ(g.at("acc,none").n, 40);
  suite.aggregate_metric_list = {plain};
  EXPECT_NEAR(aggregate_group(suite, results).at("acc,none").value, 0.7, 1e-12);
  results[0].second["acc,none"].stderr_value = NAN;  // one task without stderr -> N/A
  EXPECT_TRUE(std::isnan(aggregate_group(suite, results).at("acc,none").stderr_value));
}

}  // namespace
}  // namespace moebench::eval
