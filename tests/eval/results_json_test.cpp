// Results and sample records in lm-evaluation-harness's layout.
#include "harness/eval/results_json.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moebench::eval {
namespace {

using nlohmann::json;

Task gen_task(const std::string& name, int docs) {
  TaskSpec spec;
  spec.task = name;
  spec.doc_to_text = "{{q}}";
  spec.doc_to_target = "{{a}}";
  spec.generation_kwargs.until = {"\n"};
  FilterStep regex{"regex", "([0-9]+)"};
  spec.filter_list = {{"strict-match", {regex, FilterStep{"take_first"}}}};
  MetricSpec em;
  em.metric = "exact_match";
  spec.metric_list = {em};
  spec.metadata = json{{"version", 3.0}};
  finalize_task_spec(spec);
  std::vector<Doc> items;
  for (int i = 0; i < docs; ++i) items.push_back(json{{"q", "q" + std::to_string(i)}, {"a", "1"}});
  return Task(spec, items, {});
}

TEST(ResultsJson, LmEvalLayout) {
  const Task a = gen_task("task_a", 2), b = gen_task("task_b", 1);
  Response yes, no;
  yes.text = "1";
  no.text = "2";
  const auto sa = a.score({0, 1}, {{yes}, {no}}, nullptr);
  const auto sb = b.score({0}, {{yes}}, nullptr);
  TaskResult ra{&a, a.aggregate(sa), 2, 2}, rb{&b, b.aggregate(sb), 1, 1};
  SuiteSpec suite;
  suite.group = "grp";
  suite.tasks = {a.spec()};
  suite.metadata = json{{"version", 1.0}};
  suite.aggregate_metric_list = {AggregateMetric{"exact_match", "mean", true, {"strict-match"}}};
  GroupResult g{&suite, aggregate_group(suite, {{"task_a", ra.metrics}})};
  const json out = results_json({ra, rb}, {g}, json{{"model_name", "m"}});

  const json& task_a = out["results"]["task_a"];
  EXPECT_EQ(task_a["alias"], " - task_a");
  EXPECT_DOUBLE_EQ(task_a["exact_match,strict-match"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(task_a["exact_match_stderr,strict-match"].get<double>(), 0.5);
  EXPECT_EQ(out["results"]["task_b"]["alias"], "task_b");
  EXPECT_EQ(out["results"]["task_b"]["exact_match_stderr,strict-match"], "N/A");  // n = 1
  EXPECT_EQ(out["groups"]["grp"]["alias"], "grp");
  EXPECT_DOUBLE_EQ(out["groups"]["grp"]["exact_match,strict-match"].get<double>(), 0.5);
  EXPECT_EQ(out["group_subtasks"]["grp"], json::array({"task_a"}));
  EXPECT_EQ(out["group_subtasks"]["task_b"], json::array());
  EXPECT_EQ(out["versions"]["task_a"], 3.0);
  EXPECT_EQ(out["versions"]["grp"], 1.0);
  EXPECT_EQ(out["n-shot"]["task_a"], 0);
  EXPECT_EQ(out["higher_is_better"]["task_a"]["exact_match"], true);
  EXPECT_EQ(out["n-samples"]["task_a"], (json{{"original", 2}, {"effective", 2}}));
  EXPECT_EQ(out["configs"]["task_a"]["output_type"], "generate_until");
  EXPECT_EQ(out["configs"]["task_a"]["filter_list"][0]["name"], "strict-match");
  EXPECT_EQ(out["configs"]["task_a"]["generation_kwargs"]["until"], json::array({"\n"}));
  EXPECT_EQ(out["model_name"], "m");
  // The results object is valid JSON text.
  EXPECT_NO_THROW(json::parse(out.dump()));
}

TEST(ResultsJson, SampleRecord) {
  const Task a = gen_task("task_a", 1);
  Response r;
  r.text = "it is 1\xff";
  const auto reqs = a.requests(0, a.prompt(0));
  const auto scores = a.score({0}, {{r}}, nullptr);
  const json rec = sample_record(a, 0, reqs, {r}, scores[0], "strict-match");
  EXPECT_EQ(rec["doc_id"], 0);
  EXPECT_EQ(rec["doc"]["q"], "q0");
  EXPECT_EQ(rec["target"], "1");
  EXPECT_EQ(rec["arguments"]["gen_args_0"]["arg_0"], "q0");
  EXPECT_EQ(rec["arguments"]["gen_args_0"]["arg_1"]["until"], json::array({"\n"}));
  EXPECT_EQ(rec["resps"], json::array({json::array({"it is 1\xEF\xBF\xBD"})}));
  EXPECT_EQ(rec["filtered_resps"], json::array({"1"}));
  EXPECT_EQ(rec["filter"], "strict-match");
  EXPECT_EQ(rec["metrics"], json::array({"exact_match"}));
  EXPECT_EQ(rec["exact_match"], 1.0);
  EXPECT_NO_THROW(rec.dump());
}

}  // namespace
}  // namespace moebench::eval
