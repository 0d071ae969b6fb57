// Tasks built in code: prompts, requests, scoring and aggregation for each output
// type, with hand-computed expectations.
#include "harness/eval/task.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "harness/util/error.h"

namespace moebench::eval {
namespace {

using nlohmann::json;

MetricSpec metric(const std::string& name) {
  MetricSpec m;
  m.metric = name;
  m.higher_is_better = name.find("perplexity") == std::string::npos && name != "bits_per_byte";
  return m;
}

Task choice_task() {
  TaskSpec spec;
  spec.task = "capitals";
  spec.source = "capitals.yaml";
  spec.output_type = OutputType::MultipleChoice;
  spec.description = "Answer the question.\n\n";
  spec.doc_to_text = "Q: {{question}}\nA:";
  spec.doc_to_target = "{{label}}";
  spec.doc_to_choice = "{{targets.choices}}";
  spec.metric_list = {metric("acc"), metric("acc_norm"), metric("mc1"), metric("mc2")};
  finalize_task_spec(spec);
  std::vector<Doc> docs = {json::parse(R"({"question": "Capital of France?", "label": 0,
                      "targets": {"choices": ["Paris", "Lyon", "Nice"], "labels": [1, 0, 1]}})"),
                           json::parse(R"({"question": "Capital of Italy?", "label": 1,
                      "targets": {"choices": ["Milan", "Rome"], "labels": [0, 1]}})")};
  return Task(spec, docs, {});
}

TEST(Task, MultipleChoicePromptAndRequests) {
  Task task = choice_task();
  EXPECT_EQ(task.prompt(0), "Answer the question.\n\nQ: Capital of France?\nA:");
  auto reqs = task.requests(0, task.prompt(0));
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].kind, Request::Kind::Loglikelihood);
  EXPECT_EQ(reqs[0].context, task.prompt(0));
  EXPECT_EQ(reqs[0].continuation, " Paris");
  EXPECT_EQ(reqs[2].continuation, " Nice");
  // Under a chat template lm-eval drops target_delimiter.
  EXPECT_EQ(task.requests(0, "x", true)[1].continuation, "Lyon");
  auto chat = task.chat_messages(0);
  ASSERT_EQ(chat.size(), 2u);
  EXPECT_EQ(chat[0].role, "system");
  EXPECT_EQ(chat[0].content, "Answer the question.\n\n");
  EXPECT_EQ(chat[1].content, "Q: Capital of France?\nA:");
  EXPECT_EQ(task.context(1, ChatFormat::ChatML),
            "<|im_start|>system\nAnswer the question.\n\n<|im_end|>\n"
            "<|im_start|>user\nQ: Capital of Italy?\nA:<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(task.context(1, ChatFormat::None), task.prompt(1));
}

TEST(Task, MultipleChoiceScoresAndAggregates) {
  Task task = choice_task();
  // Doc 0: lls favour "Nice" (-1.0) by raw ll, "Paris" by ll / characters.
  std::vector<Response> r0 = {{-1.2}, {-4.0}, {-1.0}};
  // Doc 1: gold "Rome" has the best ll.
  std::vector<Response> r1 = {{-3.0}, {-0.5}};
  auto scores = task.score({0, 1}, {r0, r1}, nullptr);
  EXPECT_EQ(scores[0].metrics.at("acc,none"), 0.0);
  EXPECT_EQ(scores[0].metrics.at("acc_norm,none"), 1.0);  // -1.2/5 > -1.0/4
  EXPECT_EQ(scores[0].metrics.at("mc1,none"), 0.0);
  const double z0 = std::exp(-1.2) + std::exp(-4.0) + std::exp(-1.0);
  EXPECT_NEAR(scores[0].metrics.at("mc2,none"), (std::exp(-1.2) + std::exp(-1.0)) / z0, 1e-12);
  EXPECT_EQ(scores[0].target, "Paris");
  EXPECT_EQ(scores[1].metrics.at("acc,none"), 1.0);
  auto agg = task.aggregate(scores);
  EXPECT_DOUBLE_EQ(agg.at("acc,none").value, 0.5);
  EXPECT_DOUBLE_EQ(agg.at("acc,none").stderr_value, std::sqrt(0.5) / std::sqrt(2.0));
  EXPECT_EQ(agg.at("acc,none").n, 2);
  EXPECT_TRUE(agg.at("acc,none").higher_is_better);
  // The engine must answer every request.
  EXPECT_THROW(task.score({0}, {r1}, nullptr), std::invalid_argument);
}

Task generate_task() {
  TaskSpec spec;
  spec.task = "sums";
  spec.source = "sums.yaml";
  spec.output_type = OutputType::GenerateUntil;
  spec.doc_to_text = "{{q}} =";
  spec.doc_to_target = "{{a}}";
  spec.num_fewshot = 1;
  spec.generation_kwargs.until = {"\n"};
  spec.generation_kwargs.max_gen_toks = 8;
  FilterStep number{"regex", "([0-9]+)", -1};
  spec.filter_list = {{"last-number", {number, FilterStep{"take_first"}}},
                      {"raw", {FilterStep{"strip"}, FilterStep{"take_first"}}}};
  spec.metric_list = {metric("exact_match"), metric("rougeL")};
  finalize_task_spec(spec);
  std::vector<Doc> docs = {json{{"q", "1+1"}, {"a", "2"}}, json{{"q", "2+2"}, {"a", "4"}},
                           json{{"q", "3+3"}, {"a", "6"}}};
  std::vector<Doc> shots = {json{{"q", "5+5"}, {"a", "10"}}};
  return Task(spec, docs, shots);
}

TEST(Task, GenerateFiltersAndMetrics) {
  Task task = generate_task();
  EXPECT_EQ(task.prompt(2), "5+5 = 10\n\n3+3 =");
  auto reqs = task.requests(2, "ctx");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, Request::Kind::GenerateUntil);
  EXPECT_EQ(reqs[0].until, std::vector<std::string>{"\n"});
  EXPECT_EQ(reqs[0].max_gen_toks, 8);
  Response a, b, c;
  a.text = " it is 2";
  b.text = "4 ";
  c.text = std::string("\xff seven");  // invalid UTF-8 is replaced, never fatal
  auto scores = task.score({0, 1, 2}, {{a}, {b}, {c}}, nullptr);
  EXPECT_EQ(scores[0].metrics.at("exact_match,last-number"), 1.0);
  EXPECT_EQ(scores[0].metrics.at("exact_match,raw"), 0.0);
  EXPECT_EQ(scores[1].metrics.at("exact_match,raw"), 1.0);
  EXPECT_EQ(scores[2].filtered.at("last-number"), std::vector<std::string>{"[invalid]"});
  EXPECT_EQ(scores[2].filtered.at("raw"), std::vector<std::string>{"\xEF\xBF\xBD seven"});
  EXPECT_NEAR(scores[0].metrics.at("rougeL,raw"), 2.0 / 4, 1e-12);  // "2" in [it, is, 2]: P 1/3 R 1
  auto agg = task.aggregate(scores);
  EXPECT_DOUBLE_EQ(agg.at("exact_match,last-number").value, 2.0 / 3);
  EXPECT_EQ(task.filter_names(), (std::vector<std::string>{"last-number", "raw"}));
}

TEST(Task, MegabyteResponseThroughGsm8kScoringIsQuick) {
  TaskSpec spec;
  spec.task = "gsm";
  spec.doc_to_text = "{{q}}";
  spec.doc_to_target = "{{a}}";
  spec.filter_list = {
      {"strict-match", {FilterStep{"regex", R"(#### (\-?[0-9\.\,]+))"}, FilterStep{"take_first"}}},
      {"flexible-extract",
       {FilterStep{"regex", R"((-?[$0-9.,]{2,})|(-?[0-9]+))", -1}, FilterStep{"take_first"}}}};
  MetricSpec em = metric("exact_match");
  em.ignore_case = true;
  em.regexes_to_ignore = {",", R"(\$)", "(?s).*#### ", R"(\.$)"};
  spec.metric_list = {em};
  finalize_task_spec(spec);
  Task task(spec, {json{{"q", "?"}, {"a", "so\n#### 7"}}}, {});
  Response r;
  while (r.text.size() < (1 << 20)) r.text += "#### 1,2.3 $$$ \xff\xfe ";
  r.text += "#### 7";
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = task.score({0}, {{r}}, nullptr);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_EQ(s[0].metrics.at("exact_match,strict-match"), 0.0);  // the first "#### " wins
  EXPECT_EQ(s[0].metrics.at("exact_match,flexible-extract"), 1.0);
}

TEST(Task, RollingPerplexitiesByHand) {
  TaskSpec spec;
  spec.task = "wiki";
  spec.output_type = OutputType::LoglikelihoodRolling;
  spec.doc_to_target = "{{text}}";
  spec.metric_list = {metric("word_perplexity"), metric("byte_perplexity"), metric("bits_per_byte"),
                      metric("perplexity")};
  finalize_task_spec(spec);
  Task task(spec, {json{{"text", "hello world  foo"}}, json{{"text", "caf\xC3\xA9"}}}, {});
  auto reqs = task.requests(0, "ignored");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].kind, Request::Kind::LoglikelihoodRolling);
  EXPECT_EQ(reqs[0].context, "");
  EXPECT_EQ(reqs[0].continuation, "hello world  foo");
  Response r0, r1;
  r0.logprob = -12.0;
  r0.tokens = 4;
  r1.logprob = -6.0;
  r1.tokens = 2;
  auto agg = task.aggregate(task.score({0, 1}, {{r0}, {r1}}, nullptr));
  // words: 3 + 1; bytes: 16 + 5; tokens: 4 + 2
  EXPECT_NEAR(agg.at("word_perplexity,none").value, std::exp(18.0 / 4), 1e-9);
  EXPECT_NEAR(agg.at("byte_perplexity,none").value, std::exp(18.0 / 21), 1e-12);
  EXPECT_NEAR(agg.at("bits_per_byte,none").value, 18.0 / 21 / std::log(2.0), 1e-12);
  EXPECT_NEAR(agg.at("perplexity,none").value, std::exp(18.0 / 6), 1e-9);
  EXPECT_TRUE(std::isnan(agg.at("bits_per_byte,none").stderr_value));
  EXPECT_FALSE(agg.at("bits_per_byte,none").higher_is_better);
}

TEST(Task, ReferencesListAndRepeats) {
  TaskSpec spec;
  spec.task = "roles";
  spec.doc_to_text = "{{question}}";
  spec.doc_to_target = "{{references}}";
  spec.repeats = 3;
  spec.metric_list = {metric("rougeL")};
  finalize_task_spec(spec);
  Task task(spec, {json{{"question", "q"}, {"references", {"the cat sat", "a dog ran"}}}}, {});
  EXPECT_EQ(task.references(0), (std::vector<std::string>{"the cat sat", "a dog ran"}));
  EXPECT_EQ(task.requests(0, "q").size(), 3u);
  Response a, b;
  a.text = "a dog ran";
  b.text = "nothing";
  auto s = task.score({0}, {{a, b, b}}, nullptr);
  EXPECT_EQ(s[0].metrics.at("rougeL,none"), 1.0);  // max over references of the first sample
}

TEST(Task, PassAtKNeedsTestsAndASandbox) {
  TaskSpec spec;
  spec.task = "code";
  spec.doc_to_text = "{{prompt}}";
  spec.metric_list = {metric("pass@1")};
  finalize_task_spec(spec);
  EXPECT_THROW(Task(spec, {json{{"prompt", "def f():"}}}, {}), InputError);
  Task task(spec,
            {json{{"prompt", "def f():\n"},
                  {"test", "def check(c): assert c() == 1"},
                  {"entry_point", "f"}}},
            {});
  Response r;
  r.text = "    return 1\n";
  EXPECT_THROW(task.score({0}, {{r}}, nullptr), InputError);
}

TEST(Task, FewshotFromOwnDocumentsNeverShowsTheDocumentItself) {
  TaskSpec spec;
  spec.task = "own";
  spec.doc_to_text = "{{q}}";
  spec.doc_to_target = "{{a}}";
  spec.num_fewshot = 3;
  finalize_task_spec(spec);
  std::vector<Doc> docs;
  for (int i = 0; i < 6; ++i) docs.push_back(json{{"q", "q" + std::to_string(i)}, {"a", "a"}});
  Task task(spec, docs, {});
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string p = task.prompt(i);
    const std::string own = "q" + std::to_string(i);
    EXPECT_EQ(p.find(own + " a"), std::string::npos) << p;
    EXPECT_EQ(p.substr(p.size() - own.size()), own);
    EXPECT_EQ(std::count(p.begin(), p.end(), '\n'), 6) << p;  // 3 examples, "\n\n" each
  }
}

}  // namespace
}  // namespace moebench::eval
