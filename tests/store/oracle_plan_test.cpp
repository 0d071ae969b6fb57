// Oracle routing end to end: a plan model with `force_experts: true` and
// `eval --force-expert LABEL` store their rows under their own gate_variant
// ("oracle", "forced:LABEL"), with every first choice on the expected expert
// (agreement 1.0); a suite without an expected expert is skipped with a note,
// and an unknown label is one error line listing the recipe's experts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/store/results_store.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using ::testing::HasSubstr;

class OraclePlan : public ::testing::Test {
 protected:
  void SetUp() override {
    // Llama sources of one shape with different MLPs (seeds); the merge's
    // attention, embeddings and tokenizer come from the base.
    for (const auto& [name, seed] : {std::pair{"base", "1"}, {"math-expert", "2"}, {"fact-expert", "3"}})
      ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--out", (dir_.path() / name).string(), "--seed",
                              seed, "--context", "1024"}).exit_code, 0);
    moebench::testing::write_text(dir_.path() / "recipe.yml", R"(base_model: base
gate_mode: random
experts:
  - source_model: math-expert
  - source_model: fact-expert
)");
    recipe_ = (dir_.path() / "recipe.yml").string();
  }

  // (gate_variant, suite) -> (min, max) agreement over layers.
  static std::map<std::pair<std::string, std::string>, std::pair<double, double>> agreement(const fs::path& db) {
    ResultsStore store = ResultsStore::open(db);
    auto q = store.database().prepare(
        "SELECT m.gate_variant, a.suite, MIN(a.agreement), MAX(a.agreement) FROM suite_routing_agreement a"
        " JOIN models m USING (model_id) GROUP BY m.gate_variant, a.suite");
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> out;
    while (q.step()) out[{q.text(0), q.text(1)}] = {q.real(2), q.real(3)};
    return out;
  }
  // gate_variant -> suites with stored scores.
  static std::map<std::string, std::set<std::string>> scored_suites(const fs::path& db) {
    std::map<std::string, std::set<std::string>> out;
    for (const ScoreRow& r : ResultsStore::open(db).scores()) out[r.gate_variant].insert(r.suite);
    return out;
  }

  ScratchDir dir_;
  std::string recipe_;
};

TEST_F(OraclePlan, ForceExpertsRoutesEachSuiteToItsExpectedExpert) {
  // math expects "math: ..." -> the expert labelled math-expert; no expert
  // mentions truthfulness, so the oracle skips that suite. The routed merge
  // beside it runs both.
  moebench::testing::write_text(dir_.path() / "plan.yml", R"(plan: oracle
suites: [math, truthfulness]
settings:
  limit: 2
  routing: tokens
models:
  - name: merge-oracle
    recipe: recipe.yml
    evaluate_sources: false
    force_experts: true
  - name: merge
    recipe: recipe.yml
    evaluate_sources: false
)");
  const fs::path db = dir_.path() / "r.sqlite";
  const auto r = run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", db.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("merge-oracle: suite 'truthfulness' expects no expert of the recipe"));

  const auto scored = scored_suites(db);
  EXPECT_EQ(scored.at("oracle"), (std::set<std::string>{"math"}));
  EXPECT_EQ(scored.at("random"), (std::set<std::string>{"math", "truthfulness"}));
  const auto a = agreement(db);
  ASSERT_TRUE(a.count({"oracle", "math"}));
  EXPECT_EQ(a.at({"oracle", "math"}), std::make_pair(1.0, 1.0));
  ASSERT_TRUE(a.count({"random", "math"}));
  EXPECT_LT(a.at({"random", "math"}).first, 1.0);  // the router alone does not agree everywhere
}

TEST_F(OraclePlan, ForceExpertsIsRefusedWithGatesAndOnADirectory) {
  const auto run = [&](const std::string& model) {
    moebench::testing::write_text(dir_.path() / "plan.yml", "plan: bad\nsuites: [math]\nmodels:\n" + model);
    return run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", (dir_.path() / "r.sqlite").string()});
  };
  moebench::testing::expect_one_line_error(
      run("  - recipe: recipe.yml\n    force_experts: true\n    gate_variant: mine\n"),
      {"models[0]", "force_experts", "gate_variant"});
  moebench::testing::expect_one_line_error(run("  - path: base\n    force_experts: true\n"),
                                           {"models[0].force_experts", "only a recipe names experts"});
  EXPECT_FALSE(fs::exists(dir_.path() / "r.sqlite"));
}

TEST_F(OraclePlan, EvalForceExpertStoresAForcedVariant) {
  const fs::path db = dir_.path() / "e.sqlite";
  auto r = run_moebench({"eval", recipe_, "--suite", "math,truthfulness", "--limit", "2", "--force-expert",
                         "fact-expert", "--db", db.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto scored = scored_suites(db);
  EXPECT_EQ(scored.at("forced:fact-expert"), (std::set<std::string>{"math", "truthfulness"}));
  // Every first choice is fact-expert: agreement 0 for math, which expects math-expert.
  const auto a = agreement(db);
  ASSERT_TRUE(a.count({"forced:fact-expert", "math"}));
  EXPECT_EQ(a.at({"forced:fact-expert", "math"}), std::make_pair(0.0, 0.0));

  // A routed eval of the same recipe into the same database is another model row.
  r = run_moebench({"eval", recipe_, "--suite", "math", "--limit", "2", "--db", db.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scored_suites(db).size(), 2u);
}

TEST_F(OraclePlan, EvalForceExpertWithAnUnknownLabelListsTheLabels) {
  moebench::testing::expect_one_line_error(
      run_moebench({"eval", recipe_, "--suite", "math", "--limit", "2", "--force-expert", "code-expert"}),
      {"--force-expert", "'code-expert' is not an expert of", "recipe.yml", "(its experts: math-expert, fact-expert)"});
  moebench::testing::expect_one_line_error(
      run_moebench({"eval", (dir_.path() / "base").string(), "--suite", "math", "--force-expert", "x"}),
      {"--force-expert", "only a recipe names experts"});
}

// `eval --gates FILE` evaluates the model with those routers (as a plan's
// `gates:` key does) and stores it as the variant named by the file's stem.
TEST_F(OraclePlan, EvalGatesFileReplacesTheRouters) {
  moebench::testing::write_text(dir_.path() / "hidden.yml", R"(base_model: base
gate_mode: hidden
experts:
  - source_model: math-expert
    positive_prompts: ["Tom has 3 apples"]
  - source_model: fact-expert
    positive_prompts: ["Water freezes at"]
)");
  const fs::path gates = dir_.path() / "hidden-gates.safetensors";
  auto r = run_moebench({"gates", (dir_.path() / "hidden.yml").string(), "--out", gates.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path plain = dir_.path() / "plain.sqlite", swapped = dir_.path() / "swapped.sqlite";
  r = run_moebench({"eval", recipe_, "--tasks", "math_arithmetic_mc", "--limit", "3", "--db", plain.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_moebench({"eval", recipe_, "--gates", gates.string(), "--tasks", "math_arithmetic_mc", "--limit", "3",
                    "--db", swapped.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // First choices per (layer, expert): the random gates and the hidden ones route differently.
  auto first_choices = [](const fs::path& db) {
    ResultsStore store = ResultsStore::open(db);
    auto q = store.database().prepare(
        "SELECT m.gate_variant, e.layer, e.expert, e.first_choice FROM routing_expert_stats e"
        " JOIN models m USING (model_id) ORDER BY e.layer, e.expert");
    std::string variant;
    std::vector<int64_t> counts;
    while (q.step()) {
      variant = q.text(0);
      counts.push_back(q.int64(3));
    }
    return std::make_pair(variant, counts);
  };
  const auto a = first_choices(plain), b = first_choices(swapped);
  EXPECT_EQ(a.first, "random");
  EXPECT_EQ(b.first, "hidden-gates");
  EXPECT_NE(a.second, b.second);
}

}  // namespace
}  // namespace moebench::store
