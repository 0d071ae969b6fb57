// The written demo suites run on the project's own loader and scorer: the
// headlines are what the demo reports, every item builds its requests, and
// gold answers score 1.
#include <gtest/gtest.h>

#include <memory>

#include "harness/eval/sandbox.h"
#include "harness/util/error.h"
#include "tests/world/world_fixture.h"

namespace moebench::world {
namespace {

using eval::Response;

const eval::Task& find_task(const std::string& name) {
  for (const auto& suite_tasks : world().tasks) {
    for (const auto& task : suite_tasks) {
      if (task.name() == name) return task;
    }
  }
  throw std::runtime_error("no task " + name);
}

std::vector<size_t> all_docs(const eval::Task& task) {
  std::vector<size_t> out(task.docs().size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

TEST(DemoSuites, HeadlinesAndExpectedExperts) {
  const auto& w = world();
  const std::vector<std::pair<std::string, std::string>> headline = {
      {"exact_match", "strict-match"}, {"pass@1", "none"}, {"mc1", "none"}, {"mc1", "none"}};
  for (size_t s = 0; s < w.suites.size(); ++s) {
    const auto& suite = w.suites[s];
    EXPECT_EQ(suite.group, "demo_" + domain_names()[s]);
    EXPECT_EQ(suite.expected_expert.substr(0, suite.expected_expert.find(':')), domain_names()[s]);
    ASSERT_FALSE(suite.aggregate_metric_list.empty());
    const auto& first = suite.aggregate_metric_list.front();
    EXPECT_EQ(first.metric, headline[s].first) << suite.group;
    EXPECT_EQ(first.filter_list.front(), headline[s].second) << suite.group;
    for (const auto& entry : suite.aggregate_metric_list) EXPECT_TRUE(entry.weight_by_size);
    EXPECT_EQ(suite.version(), 1);
  }
  EXPECT_EQ(w.suites[3].aggregate_metric_list[1].metric, "mc2");
  EXPECT_EQ(w.suites[3].aggregate_metric_list[2].metric, "rougeL");
}

TEST(DemoSuites, EveryItemBuildsItsRequests) {
  for (const auto& suite_tasks : world().tasks) {
    for (const auto& task : suite_tasks) {
      for (size_t i = 0; i < task.docs().size(); ++i) {
        const auto requests = task.requests(i, task.prompt(i));
        ASSERT_FALSE(requests.empty()) << task.name();
        if (task.spec().output_type == eval::OutputType::MultipleChoice) {
          EXPECT_EQ(requests.size(), 4u) << task.name();
        }
      }
    }
  }
}

TEST(DemoSuites, GoldAnswersScoreOne) {
  const eval::Task& math = find_task("demo_math_word_problems");
  std::vector<std::vector<Response>> answers;
  for (const auto& doc : math.docs()) {
    Response r;
    r.text = " " + doc["answer"].get<std::string>();
    answers.push_back({r});
  }
  const auto math_scores = math.aggregate(math.score(all_docs(math), answers, nullptr));
  EXPECT_EQ(math_scores.at("exact_match,strict-match").value, 1.0);
  EXPECT_EQ(math_scores.at("exact_match,flexible-extract").value, 1.0);

  const eval::Task& replies = find_task("demo_roleplay_replies");
  std::vector<std::vector<Response>> lines;
  for (size_t i = 0; i < replies.docs().size(); ++i) {
    Response r;
    r.text = " " + replies.references(i).front();
    lines.push_back({r});
  }
  EXPECT_EQ(replies.aggregate(replies.score(all_docs(replies), lines, nullptr)).at("rougeL,none").value,
            1.0);
}

TEST(DemoSuites, CanonicalFunctionsPassTheirTestsAndEmptyBodiesFail) {
  std::unique_ptr<eval::Sandbox> sandbox;
  try {
    eval::SandboxOptions options;
    options.workers = 2;
    sandbox = std::make_unique<eval::Sandbox>(options);
  } catch (const InputError& e) {
    GTEST_SKIP() << "SKIPPED: no code sandbox: " << e.what();
  }
  const eval::Task& task = find_task("demo_coding_functions");
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
  EXPECT_EQ(task.aggregate(task.score(all_docs(task), bad, sandbox.get())).at("pass@1,none").value, 0.0);
}

}  // namespace
}  // namespace moebench::world
