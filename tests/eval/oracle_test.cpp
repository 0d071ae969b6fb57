// Acceptance 1: oracle checks on the real datasets. Gold answers fed back as model
// output must score perfectly; reference solutions must pass their own tests.
#include <gtest/gtest.h>

#include <iostream>

#include "harness/eval/datasets.h"
#include "harness/eval/sandbox.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

namespace fs = std::filesystem;

fs::path data(const std::string& sub) { return moebench::testing::shared_dir() / "data" / sub; }

std::vector<size_t> all_docs(const Task& task) {
  std::vector<size_t> out(task.docs().size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

TEST(Oracle, Gsm8kGoldAnswersScoreOneOnBothFilters) {
  MOEBENCH_REQUIRE_SHARED();
  const Task task = gsm8k_task(data("gsm8k"));
  std::vector<std::vector<Response>> responses;
  for (const auto& doc : task.docs()) {
    Response r;
    r.text = doc["answer"].get<std::string>();
    responses.push_back({r});
  }
  const auto scores = task.score(all_docs(task), responses, nullptr);
  for (size_t i = 0; i < scores.size(); ++i) {
    ASSERT_EQ(scores[i].metrics.at("exact_match,strict-match"), 1.0)
        << i << ": " << scores[i].filtered.at("strict-match")[0];
    ASSERT_EQ(scores[i].metrics.at("exact_match,flexible-extract"), 1.0)
        << i << ": " << scores[i].filtered.at("flexible-extract")[0];
  }
  const auto agg = task.aggregate(scores);
  EXPECT_EQ(agg.at("exact_match,strict-match").value, 1.0);
  EXPECT_EQ(agg.at("exact_match,flexible-extract").value, 1.0);
  EXPECT_EQ(agg.at("exact_match,strict-match").n, 1319);
  EXPECT_EQ(agg.at("exact_match,strict-match").stderr_value, 0.0);
}

// A fake model that gives every true answer log-likelihood `true_ll` and every
// false one `false_ll`; -2000 underflows exp() to exactly 0 beside -1.
double truthfulqa_score(bool mc2, double true_ll, double false_ll) {
  const Task task = truthfulqa_task(data("truthfulqa/mc_task.json"), mc2);
  const char* targets = mc2 ? "mc2_targets" : "mc1_targets";
  std::vector<std::vector<Response>> responses;
  for (const auto& doc : task.docs()) {
    std::vector<Response> per_choice;
    for (const auto& label : doc[targets]["labels"]) {
      Response r;
      r.logprob = label == 1 ? true_ll : false_ll;
      per_choice.push_back(r);
    }
    responses.push_back(per_choice);
  }
  const auto agg = task.aggregate(task.score(all_docs(task), responses, nullptr));
  EXPECT_EQ(agg.at("acc,none").n, 817);
  return agg.at("acc,none").value;
}

TEST(Oracle, TruthfulQaScorerPreferringTrueAnswers) {
  MOEBENCH_REQUIRE_SHARED();
  EXPECT_EQ(truthfulqa_score(false, -1.0, -2000.0), 1.0);  // mc1
  EXPECT_EQ(truthfulqa_score(true, -1.0, -2000.0), 1.0);   // mc2
  EXPECT_EQ(truthfulqa_score(false, -2000.0, -1.0), 0.0);
  EXPECT_EQ(truthfulqa_score(true, -2000.0, -1.0), 0.0);
}

// The sandbox, or a skip naming why it cannot run here.
std::unique_ptr<Sandbox> make_sandbox() {
  SandboxOptions options;
  options.workers = 2;
  // Reference solutions are checked, not time limits: MBPP 123 (amicable numbers
  // up to 9999) alone takes several seconds, over 10 s on a loaded machine.
  options.limits.wall_seconds = options.limits.cpu_seconds = 120;
  try {
    return std::make_unique<Sandbox>(options);
  } catch (const InputError& e) {
    std::cout << "SKIPPED: no code sandbox: " << e.what() << "\n";
    return nullptr;
  }
}

TEST(Oracle, HumanEvalCanonicalSolutionsPassAll) {
  MOEBENCH_REQUIRE_SHARED();
  auto sandbox = make_sandbox();
  if (!sandbox) GTEST_SKIP() << "no code sandbox";
  const Task task = humaneval_task(data("humaneval/HumanEval.jsonl.gz"));
  std::vector<std::vector<Response>> responses;
  for (const auto& doc : task.docs()) {
    Response r;
    r.text = doc["canonical_solution"].get<std::string>();
    responses.push_back({r});
  }
  const auto scores = task.score(all_docs(task), responses, sandbox.get());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(scores[i].metrics.at("pass@1,create_test"), 1.0)
        << task.docs()[i]["task_id"] << ": " << scores[i].program_results.at("create_test")[0];
  }
  EXPECT_EQ(task.aggregate(scores).at("pass@1,create_test").value, 1.0);  // 164/164
}

TEST(Oracle, MbppReferenceCodeOnTheTestSplit) {
  MOEBENCH_REQUIRE_SHARED();
  auto sandbox = make_sandbox();
  if (!sandbox) GTEST_SKIP() << "no code sandbox";
  const Task task = mbpp_task(data("mbpp"));
  std::vector<std::vector<Response>> responses;
  for (const auto& doc : task.docs()) {
    Response r;
    r.text = doc["code"].get<std::string>();
    responses.push_back({r});
  }
  const auto scores = task.score(all_docs(task), responses, sandbox.get());
  int passed = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i].metrics.at("pass@1,none") == 1.0) {
      ++passed;
    } else {
      std::cout << "MBPP task " << task.docs()[i]["task_id"]
                << " reference fails: " << scores[i].program_results.at("none")[0] << "\n";
    }
  }
  std::cout << "MBPP reference code passes " << passed << " of " << scores.size()
            << " test-split tasks\n";
  RecordProperty("mbpp_reference_passed", passed);
  // Measured: 499. The one failure is task 367, whose asserts use a tree built by
  // its test_setup_code, which lm-eval's mbpp task does not run either.
  EXPECT_EQ(passed, 499);
}

}  // namespace
}  // namespace moebench::eval
