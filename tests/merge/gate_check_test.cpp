// `moebench gates --check SUITE` (jobs/gate_check.h) on a tiny merged Mixtral:
// its agreement against router choices worked out by hand from the states the
// routers read, against a model forced to one expert, and its errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/jobs/gate_check.h"
#include "harness/merge/moe_assembly.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::jobs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using moebench::testing::write_text;

const std::vector<std::string> kMath = {"What is 2 plus 3?", "Take 7 away from 10.", "How much is 4 times 6?",
                                        "Add 12 and 30.", "Is 9 more than 5?"};
const std::vector<std::string> kCoding = {"def add(a, b): return a + b", "for i in range(3): print(i)",
                                          "x = [n * n for n in xs]", "while True: break"};

// A suite of one generate_until task whose prompt is "Q: <question>\nA:".
void write_suite(const fs::path& tasks, const std::string& name, const std::string& expected,
                 const std::vector<std::string>& questions) {
  std::string items;
  for (const std::string& q : questions) items += nlohmann::json({{"question", q}, {"answer", "0"}}).dump() + "\n";
  write_text(tasks / name / (name + "_items.jsonl"), items);
  write_text(tasks / name / (name + "_items.yaml"), fmt::format(R"(task: {0}_items
dataset_path: {0}_items.jsonl
output_type: generate_until
doc_to_text: "Q: {{{{question}}}}\nA:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs: {{until: ["\n"], max_gen_toks: 4}}
metric_list: [{{metric: exact_match}}]
)", name));
  write_text(tasks / name / (name + ".yaml"),
             fmt::format("group: {0}\ntask: [{0}_items]\n{1}", name,
                         expected.empty() ? "" : "expected_expert: \"" + expected + "\"\n"));
}

class GateCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path family = merge::testing::tiny_family(3);
    recipe_path_ = (scratch_.path() / "recipe.yml").string();
    // Experts are named by their prompts: the scratch paths say neither "math" nor "coding".
    write_text(recipe_path_, fmt::format(R"(base_model: {0}/base
gate_mode: hidden
experts:
  - {{source_model: {0}/expert-0, positive_prompts: ["Story time: once upon a time"]}}
  - {{source_model: {0}/expert-1, positive_prompts: ["Math: how many apples are left?"]}}
  - {{source_model: {0}/expert-2, positive_prompts: ["Coding: def main():"]}}
)", family.string()));
    tasks_ = scratch_.path() / "tasks";
    write_suite(tasks_, "s_math", "math: sums", kMath);
    write_suite(tasks_, "s_coding", "coding: small programs", kCoding);
    write_suite(tasks_, "s_plain", "", kMath);
    write_suite(tasks_, "s_cooking", "cooking: recipes", kMath);
    options_.progress = false;
    recipe_ = merge::MergeRecipe::load(recipe_path_);
  }

  GateCheckOptions check(std::vector<std::string> suites) const {
    GateCheckOptions c;
    c.suites = std::move(suites);
    c.tasks_dir = tasks_;
    c.progress = false;
    c.batch_size = 3;  // several batches of unequal lengths: padding is not counted
    return c;
  }

  moebench::testing::ScratchDir scratch_;
  std::string recipe_path_;
  fs::path tasks_;
  merge::MergeOptions options_;
  merge::MergeRecipe recipe_;
};

// Per layer: the tokens of `prompts` and those whose router logits (the
// state the router reads times the gates' rows, computed here) are highest
// for `expert`.
struct HandCount {
  int64_t tokens = 0;
  std::vector<int64_t> hits;
};
HandCount count_by_hand(const model::LanguageModel& lm, const merge::GateSet& gates,
                        const std::vector<std::string>& prompts, int expert) {
  c10::InferenceMode guard;
  HandCount out{0, std::vector<int64_t>(gates.layers, 0)};
  for (const std::string& p : prompts) {
    const std::vector<int32_t> ids = lm.tokenizer().encode(p, false);
    out.tokens += static_cast<int64_t>(ids.size());
    std::vector<at::Tensor> states;
    model::ForwardTaps taps;
    taps.router_inputs = &states;
    lm.runtime().transformer().forward(model::make_batch({&ids}, {0}, 0), nullptr, taps);
    for (int64_t l = 0; l < gates.layers; ++l) {
      const at::Tensor w =
          at::from_blob(const_cast<float*>(gates.row(l, 0)), {gates.experts, gates.hidden}, at::kFloat);
      const at::Tensor logits = at::matmul(states[l][0].to(at::kCPU, at::kFloat), w.t());  // [T, E]
      out.hits[l] += (logits.argmax(-1) == expert).sum().item<int64_t>();
    }
  }
  return out;
}

std::vector<std::string> prompts_of(const std::vector<std::string>& questions) {
  std::vector<std::string> out;
  for (const std::string& q : questions) out.push_back("Q: " + q + "\nA:");
  return out;
}

TEST_F(GateCheck, AgreementIsTheShareOfPromptTokensRoutedFirstToTheSuitesExpert) {
  const GateCheckPlan plan = plan_gate_check(recipe_path_, check({"s_math", "s_coding"}));
  ASSERT_EQ(plan.suites.size(), 2u);
  EXPECT_EQ(plan.suites[0].expert, 1);  // "math" is in expert-1's prompt
  EXPECT_EQ(plan.suites[1].expert, 2);

  const merge::GatesSummary gates = recipe_gates_summary(recipe_, options_, "");
  const auto lm = merge::load_merged_model(recipe_, gates.gates, recipe_path_, plan.options.load, options_);
  const std::vector<SuiteAgreement> got = routing_agreement(*lm, plan);
  ASSERT_EQ(got.size(), 2u);
  const std::vector<std::vector<std::string>> questions = {kMath, kCoding};
  int64_t hits = 0, tokens = 0;
  for (size_t s = 0; s < 2; ++s) {
    const HandCount want = count_by_hand(*lm, gates.gates, prompts_of(questions[s]), plan.suites[s].expert);
    EXPECT_EQ(got[s].suite, s == 0 ? "s_math" : "s_coding");
    EXPECT_EQ(got[s].prompts, static_cast<int64_t>(questions[s].size()));
    EXPECT_EQ(got[s].tokens, want.tokens);
    EXPECT_EQ(got[s].expected_first, want.hits) << got[s].suite;
    ASSERT_EQ(got[s].agreement.size(), 2u);
    double mean = 0;
    for (size_t l = 0; l < 2; ++l) {
      EXPECT_DOUBLE_EQ(got[s].agreement[l], static_cast<double>(want.hits[l]) / static_cast<double>(want.tokens));
      mean += got[s].agreement[l] / 2;
      hits += want.hits[l], tokens += want.tokens;
    }
    EXPECT_DOUBLE_EQ(got[s].mean, mean);
  }
  // Not a degenerate case where every answer would be 0 or 1 whatever was counted.
  EXPECT_GT(hits, 0);
  EXPECT_LT(hits, tokens);

  // --check-limit: the first N documents of each task.
  GateCheckOptions limited = check({"s_math"});
  limited.limit = 2;
  const std::vector<SuiteAgreement> two = routing_agreement(*lm, plan_gate_check(recipe_path_, limited));
  const HandCount want = count_by_hand(*lm, gates.gates, prompts_of({kMath[0], kMath[1]}), 1);
  EXPECT_EQ(two[0].prompts, 2);
  EXPECT_EQ(two[0].tokens, want.tokens);
  EXPECT_EQ(two[0].expected_first, want.hits);
}

TEST_F(GateCheck, AModelForcedToOneExpertAgreesWithItsSuiteOnlyAndCompletely) {
  const GateCheckPlan plan = plan_gate_check(recipe_path_, check({"s_math", "s_coding"}));
  const merge::GatesSummary gates = recipe_gates_summary(recipe_, options_, "");
  const auto forced = merge::load_merged_model(recipe_, gates.gates, recipe_path_, plan.options.load, options_)
                          ->with_forced_expert(2, "tiny");  // the coding expert
  const std::vector<SuiteAgreement> got = routing_agreement(*forced, plan);
  ASSERT_EQ(got.size(), 2u);
  int64_t math_tokens = 0;
  for (const std::string& p : prompts_of(kMath)) math_tokens += static_cast<int64_t>(forced->tokenizer().encode(p, false).size());
  EXPECT_EQ(got[0].tokens, math_tokens);
  EXPECT_EQ(got[0].expected_first, std::vector<int64_t>(2, 0));
  EXPECT_EQ(got[0].agreement, std::vector<double>(2, 0.0));
  EXPECT_EQ(got[0].mean, 0.0);
  EXPECT_EQ(got[1].expected_first, std::vector<int64_t>(2, got[1].tokens));
  EXPECT_EQ(got[1].agreement, std::vector<double>(2, 1.0));
  EXPECT_EQ(got[1].mean, 1.0);
}

TEST_F(GateCheck, ASuiteWithoutAnExpertToExpectIsRefusedBeforeAnyWork) {
  const std::string plain = (tasks_ / "s_plain" / "s_plain.yaml").string();
  moebench::testing::expect_input_error([&] { plan_gate_check(recipe_path_, check({"s_math", "s_plain"})); },
                                        {plain, "--check s_plain", "names no expected_expert",
                                         "add `expected_expert:", "expert-0"});
  const std::string cooking = (tasks_ / "s_cooking" / "s_cooking.yaml").string();
  moebench::testing::expect_input_error([&] { plan_gate_check(recipe_path_, check({"s_cooking"})); },
                                        {cooking, "--check s_cooking", "expected_expert 'cooking: recipes'",
                                         "keyword 'cooking' is in no expert of " + recipe_path_, "expert-2"});
  moebench::testing::expect_input_error([&] { plan_gate_check(recipe_path_, check({"s_maths"})); },
                                        {"--check: unknown suite 's_maths'", "did you mean 's_math'"});
}

TEST_F(GateCheck, GatesOfAnotherShapeAreRefusedNamingTheirOrigin) {
  const merge::GateSet wrong{2, 4, 64, std::vector<float>(2 * 4 * 64, 0.5f)};
  moebench::testing::expect_input_error(
      [&] { merge::load_merged_model(recipe_, wrong, "other.safetensors", {}, options_); },
      {"other.safetensors", "4 experts", "2 x 3 x 64"});
}

TEST_F(GateCheck, CommandLineChecksAGatesFileAndPrintsJson) {
  const fs::path gates = scratch_.path() / "g.safetensors";
  auto r = moebench::testing::run_moebench({"gates", recipe_path_, "--out", gates.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = moebench::testing::run_moebench({"gates", recipe_path_, "--gates", gates.string(), "--check", "s_math,s_coding",
                                       "--tasks-dir", tasks_.string(), "--check-limit", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["check"].size(), 2u);
  EXPECT_EQ(j["check"][0]["suite"], "s_math");
  EXPECT_EQ(j["check"][0]["expert"], 1);
  EXPECT_EQ(j["check"][0]["prompts"], 3);
  EXPECT_EQ(j["check"][1]["prompts"], 3);
  EXPECT_EQ(j["check"][1]["agreement"].size(), 2u);
  EXPECT_EQ(j["gates_file"], gates.string());
  EXPECT_TRUE(fs::exists(gates));

  moebench::testing::expect_one_line_error(moebench::testing::run_moebench({"gates", recipe_path_}),
                                           {"nothing to do", "--out", "--check"});
}

}  // namespace
}  // namespace moebench::jobs
