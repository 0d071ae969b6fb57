// Sample records in lm-evaluation-harness's layout (the results layout is
// tests/store/results_document_test.cpp).
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

TEST(ResultsJson, SampleRecord) {
  const Task a = gen_task("task_a", 1);
  Response r;
  r.text = "it is 1\xff";
  const auto reqs = a.requests(0, a.prompt(0));
  const auto scores = a.score({0}, {{r}}, nullptr);
  const json rec = json(sample_record(a, 0, reqs, {r}, scores[0], "strict-match"));
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
