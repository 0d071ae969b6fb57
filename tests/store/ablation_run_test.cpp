// `moebench ablate` end to end on tiny models: six variants of one recipe
// read the experts' weights no more often than the recipe alone does; every
// variant's stored lineage (prompts, gate mode, top-k, gates hash) is what it
// ran with, checked against gates computed here without the runner, and
// against the top-k of its own routing logs; the report puts the variants
// beside the recipe as written; the table reports each variant's overhead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "harness/io/tensor_store.h"
#include "harness/jobs/ablate_job.h"
#include "harness/jobs/ablation_variants.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/merge_inputs.h"
#include "harness/store/results_store.h"
#include "harness/util/atomic_path.h"
#include "tests/testing/test_env.h"

namespace moebench::jobs {
namespace {

namespace fs = std::filesystem;
using moebench::testing::run_moebench;
using moebench::testing::ScratchDir;
using ::testing::HasSubstr;

class Ablation : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [name, seed] : {std::pair{"base", "1"}, {"math-expert", "2"}, {"fact-expert", "3"},
                                     {"story-expert", "4"}})
      ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--out", (dir_.path() / name).string(), "--seed",
                              seed, "--context", "512"}).exit_code, 0);
    moebench::testing::write_text(dir_.path() / "recipe.yml", R"(base_model: base
gate_mode: hidden
dtype: float32
experts_per_token: 2
experts:
  - source_model: math-expert
    positive_prompts: ["What is 7 plus 5?", "Count the apples."]
    negative_prompts: ["Once upon a time"]
  - source_model: fact-expert
    positive_prompts: ["The capital of France is", "Water boils at"]
  - source_model: story-expert
    positive_prompts: ["Once upon a time", "The dragon said"]
)");
    fs::create_directories(dir_.path() / "tasks" / "abl");
    moebench::testing::write_text(dir_.path() / "tasks" / "abl" / "abl.yaml", R"(group: abl
task: [abl_mc]
aggregate_metric_list:
  - metric: acc
    aggregation: mean
    weight_by_size: true
expected_expert: "math: sums"
)");
    moebench::testing::write_text(dir_.path() / "tasks" / "abl" / "abl_mc.yaml", R"(task: abl_mc
dataset_path: abl_mc.jsonl
output_type: multiple_choice
doc_to_text: "Q: {{question}}\nA:"
doc_to_target: "{{gold}}"
doc_to_choice: "{{choices}}"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
)");
    std::string docs;
    for (int i = 0; i < 4; ++i)
      docs += fmt::format(R"({{"question": "What is {} plus {}?", "choices": ["{}", "{}"], "gold": {}}})", i, i + 1,
                          2 * i + 1, 2 * i + 2, i % 2) + "\n";
    moebench::testing::write_text(dir_.path() / "tasks" / "abl" / "abl_mc.jsonl", docs);
  }

  AblateJob job(const std::vector<std::string>& variants) const {
    AblateJob job;
    job.recipe = (dir_.path() / "recipe.yml").string();
    job.variants = variants;
    job.plan.file = "ablate";
    job.plan.tasks.suites = {"abl"};
    job.plan.tasks.tasks_dir = dir_.path() / "tasks";
    job.plan.hash = fingerprint(fmt::format("{}", fmt::join(variants, ",")));
    job.plan.routing.mode = store::RoutingMode::Tokens;
    job.run.progress.mode = PlanProgressOptions::Mode::Off;
    return job;
  }

  int64_t expert_reads() const {
    int64_t n = 0;
    for (const char* e : {"math-expert", "fact-expert", "story-expert"}) n += io::TensorStore::reads_of(dir_.path() / e);
    return n;
  }

  ScratchDir dir_;
};

TEST_F(Ablation, SixVariantsReadTheExpertsOnceAndStoreWhatTheyRanWith) {
  const std::vector<std::string> words = {"shuffle,no-negatives", "leave-out=fact-expert",
                                          "gate-mode=router_state,gate-mode=fitted", "top-k=1"};
  // The recipe alone: how often evaluating it reads the experts.
  const int64_t before = expert_reads();
  AblateJob alone = job({"top-k=1"});
  alone.db = dir_.path() / "alone.sqlite";
  run_ablation(alone);  // the recipe and one variant that shares its gates
  const int64_t one_model = expert_reads() - before;
  ASSERT_GT(one_model, 0);

  AblateJob six = job(words);
  six.db = dir_.path() / "six.sqlite";
  const int64_t start = expert_reads();
  const AblateOutcome out = run_ablation(six);
  EXPECT_EQ(expert_reads() - start, one_model) << "the variants read the experts again";

  // The recipe as written, then the six variants; only the first loaded weights.
  ASSERT_EQ(out.models.size(), 7u);
  EXPECT_EQ(out.models[0].ablation, "");
  EXPECT_GT(out.models[0].timing.load_seconds, 0);
  const std::vector<std::string> names = {"shuffle", "no-negatives", "leave-out=fact-expert",
                                          "gate-mode=router_state", "gate-mode=fitted", "top-k=1"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(out.models[i + 1].ablation, names[i]);
    EXPECT_EQ(out.models[i + 1].name, "recipe/" + names[i]);
    EXPECT_EQ(out.models[i + 1].timing.load_seconds, 0) << names[i];
  }
  const std::vector<std::string> table = ablation_table(out);
  EXPECT_THAT(table.back(), HasSubstr("overhead per variant besides evaluation"));
  EXPECT_EQ(out.family.value("kind", ""), "ablation");
  EXPECT_EQ(out.family.value("reference", ""), "recipe");
  EXPECT_EQ(out.family["variants"].size(), 7u);

  // What each variant ran with, built here from the recipe by the rules of the variants.
  const merge::MergeRecipe written = merge::MergeRecipe::load(dir_.path() / "recipe.yml");
  std::map<std::string, merge::MergeRecipe> expected;
  expected["recipe"] = written;
  merge::MergeRecipe r = written;
  for (size_t e = 0; e < 3; ++e) {
    r.experts[e].positive_prompts = written.experts[(e + 1) % 3].positive_prompts;
    r.experts[e].negative_prompts = written.experts[(e + 1) % 3].negative_prompts;
  }
  expected["recipe/shuffle"] = r;
  r = written;
  r.experts[0].negative_prompts.clear();
  expected["recipe/no-negatives"] = r;
  r = written;
  r.experts[1].positive_prompts.clear();
  expected["recipe/leave-out=fact-expert"] = r;
  r = written;
  r.gate_mode = merge::GateMode::RouterState;
  expected["recipe/gate-mode=router_state"] = r;
  r.gate_mode = merge::GateMode::Fitted;
  expected["recipe/gate-mode=fitted"] = r;
  r = written;
  r.experts_per_token = 1;
  expected["recipe/top-k=1"] = r;

  store::ResultsStore store = store::ResultsStore::open(six.db);
  auto q = store.database().prepare("SELECT model_id, name FROM models ORDER BY model_id");
  std::map<std::string, int64_t> ids;
  while (q.step()) ids[q.text(1)] = q.int64(0);
  ASSERT_EQ(ids.size(), 7u);
  merge::MergeOptions options;
  options.device = "cpu";
  for (const auto& [name, recipe] : expected) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(ids.count(name));
    const store::ModelInfo m = store.stored_model(ids[name]);
    EXPECT_EQ(m.gate_mode, merge::gate_mode_name(recipe.gate_mode));
    EXPECT_EQ(m.experts_per_token, recipe.experts_per_token);
    EXPECT_EQ(m.ablation, name == "recipe" ? "" : name.substr(7));
    ASSERT_EQ(m.experts.size(), 3u);
    for (size_t e = 0; e < 3; ++e) {
      EXPECT_EQ(m.experts[e].source_model, written.experts[e].source_model);
      EXPECT_EQ(m.experts[e].positive_prompts, recipe.experts[e].positive_prompts) << "expert " << e;
      EXPECT_EQ(m.experts[e].negative_prompts, recipe.experts[e].negative_prompts) << "expert " << e;
    }
    // The gates, computed without the runner from the variant's recipe.
    merge::MergeInputs in = merge::open_merge_inputs(written, options, merge::InputScope::Full);
    in.recipe = recipe;
    EXPECT_EQ(m.gates_hash, merge::gates_hash(merge::compute_gates(in, options)));
    // The routing it logged picked as many experts per token as its lineage says.
    auto k = store.database().prepare(
        "SELECT DISTINCT top_k FROM routing JOIN samples USING (sample_id) WHERE model_id = ?");
    k.bind(1, ids[name]);
    ASSERT_TRUE(k.step());
    EXPECT_EQ(k.int64(0), recipe.experts_per_token);
    EXPECT_FALSE(k.step());
  }
  // Different prompts or modes give different gates; top-k alone does not.
  EXPECT_NE(store.stored_model(ids["recipe/shuffle"]).gates_hash, store.stored_model(ids["recipe"]).gates_hash);
  EXPECT_EQ(store.stored_model(ids["recipe/top-k=1"]).gates_hash, store.stored_model(ids["recipe"]).gates_hash);
}

TEST_F(Ablation, VariantsLeftOutOrUnknownAreSaid) {
  std::vector<std::string> notes;
  const merge::MergeRecipe recipe = merge::MergeRecipe::load(dir_.path() / "recipe.yml");
  const auto variants = expand_variants(recipe, split_variant_words({"gate-modes", "top-k=1,2,3"}), dir_.path(),
                                        "--variants", &notes);
  std::vector<std::string> names;
  for (const auto& v : variants) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"gate-mode=hidden_avg", "gate-mode=cheap_embed", "gate-mode=random",
                                             "gate-mode=uniform_random", "gate-mode=router_state",
                                             "gate-mode=fitted", "top-k=1", "top-k=3"}));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("gate-mode=hidden: left out; it is the recipe as written")));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("top-k=2: left out")));
  moebench::testing::expect_input_error(
      [&] { expand_variants(recipe, {"top-k=4"}, dir_.path(), "--variants", nullptr); },
      {"--variants", "top-k=4", "1 to 3"});
  moebench::testing::expect_input_error(
      [&] { expand_variants(recipe, {"leave-out=nobody"}, dir_.path(), "--variants", nullptr); },
      {"'nobody' is not an expert", "math-expert, fact-expert, story-expert"});
  moebench::testing::expect_input_error(
      [&] { expand_variants(recipe, {"suffle"}, dir_.path(), "--variants", nullptr); },
      {"unknown variant 'suffle'"});

  // prompts=FILE: the named experts' prompts replaced, the others kept.
  moebench::testing::write_text(dir_.path() / "short.yml", "fact-expert: [\"Facts:\"]\n"
                                                           "story-expert:\n  positive_prompts: [\"Tale:\"]\n");
  const auto custom = expand_variants(recipe, {"prompts=short.yml"}, dir_.path(), "--variants", nullptr);
  ASSERT_EQ(custom.size(), 1u);
  EXPECT_EQ(custom[0].name, "prompts=short");
  EXPECT_EQ(custom[0].recipe.experts[0].positive_prompts, recipe.experts[0].positive_prompts);
  EXPECT_EQ(custom[0].recipe.experts[1].positive_prompts, std::vector<std::string>{"Facts:"});
  EXPECT_EQ(custom[0].recipe.experts[2].positive_prompts, std::vector<std::string>{"Tale:"});
  moebench::testing::write_text(dir_.path() / "bad.yml", "nobody: [\"x\"]\n");
  moebench::testing::expect_input_error(
      [&] { expand_variants(recipe, {"prompts=bad.yml"}, dir_.path(), "--variants", nullptr); },
      {"bad.yml", "'nobody' is not an expert"});
}

TEST_F(Ablation, CommandPrintsTheTableAndAPlanRunsVariants) {
  const auto r = run_moebench({"ablate", (dir_.path() / "recipe.yml").string(), "--suite", "abl", "--tasks-dir",
                               (dir_.path() / "tasks").string(), "--variants", "shuffle,top-k=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("recipe (as written)"));
  EXPECT_THAT(r.out, HasSubstr("recipe/shuffle"));
  EXPECT_THAT(r.out, HasSubstr("overhead per variant besides evaluation"));
  const auto bad = run_moebench({"ablate", (dir_.path() / "recipe.yml").string(), "--suite", "abl", "--tasks-dir",
                                 (dir_.path() / "tasks").string(), "--variants", "top-k=2"});
  moebench::testing::expect_one_line_error(bad, {"--variants", "no variant is left", "top-k=2: left out"});

  moebench::testing::write_text(dir_.path() / "plan.yml", R"(plan: ablation
tasks_dir: tasks
suites: [abl]
models:
  - name: merge
    recipe: recipe.yml
    evaluate_sources: false
    variants: leave-one-out
)");
  const fs::path db = dir_.path() / "plan.sqlite";
  const auto run = run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> ablations;
  store::ResultsStore store = store::ResultsStore::open(db);
  auto q = store.database().prepare("SELECT ablation FROM models ORDER BY model_id");
  while (q.step()) ablations.push_back(q.text(0));
  EXPECT_EQ(ablations, (std::vector<std::string>{"", "leave-out=math-expert", "leave-out=fact-expert",
                                                 "leave-out=story-expert"}));
}

// `eval --gates FILE` and a plan's `gates:` record the file's prompts, mode and
// hash as the model's lineage; gates made for the experts in another order
// (same shape) are refused before anything runs.
TEST_F(Ablation, AGatesFileIsStoredWithItsPromptsAndRefusedForOtherExperts) {
  std::string text = read_file(dir_.path() / "recipe.yml");
  const std::string other = std::regex_replace(text, std::regex("Count the apples."), "Divide the pie.");
  moebench::testing::write_text(dir_.path() / "other-prompts.yml", other);
  const fs::path gates = dir_.path() / "other.safetensors";
  ASSERT_EQ(run_moebench({"gates", (dir_.path() / "other-prompts.yml").string(), "--out", gates.string()}).exit_code, 0);
  const fs::path db = dir_.path() / "eval.sqlite";
  const auto r = run_moebench({"eval", (dir_.path() / "recipe.yml").string(), "--gates", gates.string(), "--suite",
                               "abl", "--tasks-dir", (dir_.path() / "tasks").string(), "--db", db.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  store::ResultsStore store = store::ResultsStore::open(db);
  const store::ModelInfo m = store.stored_model(1);
  EXPECT_EQ(m.gates_file, gates.string());
  EXPECT_EQ(m.gate_mode, "hidden");
  EXPECT_EQ(m.experts.at(0).positive_prompts, (std::vector<std::string>{"What is 7 plus 5?", "Divide the pie."}));
  EXPECT_EQ(m.experts.at(0).negative_prompts, std::vector<std::string>{"Once upon a time"});
  EXPECT_EQ(m.gates_hash, merge::gates_hash(merge::read_gates_file(gates)));

  // The same experts listed in another order: same shape, rows for the wrong experts.
  const std::string swapped = std::regex_replace(
      std::regex_replace(std::regex_replace(text, std::regex("math-expert"), "TMP"), std::regex("fact-expert"),
                         "math-expert"),
      std::regex("TMP"), "fact-expert");
  moebench::testing::write_text(dir_.path() / "swapped.yml", swapped);
  const fs::path wrong = dir_.path() / "swapped.safetensors";
  ASSERT_EQ(run_moebench({"gates", (dir_.path() / "swapped.yml").string(), "--out", wrong.string()}).exit_code, 0);
  const auto refused = run_moebench({"eval", (dir_.path() / "recipe.yml").string(), "--gates", wrong.string(),
                                     "--suite", "abl", "--tasks-dir", (dir_.path() / "tasks").string()});
  moebench::testing::expect_one_line_error(
      refused, {"swapped.safetensors", "made for the experts [fact-expert, math-expert, story-expert]",
                "recipe.yml has [math-expert, fact-expert, story-expert]"});
  moebench::testing::write_text(dir_.path() / "gated.yml", fmt::format(R"(plan: gated
tasks_dir: tasks
suites: [abl]
models:
  - recipe: recipe.yml
    gates: {}
)", wrong.string()));
  const fs::path plan_db = dir_.path() / "gated.sqlite";
  const auto plan = run_moebench({"run", (dir_.path() / "gated.yml").string(), "--db", plan_db.string()});
  moebench::testing::expect_one_line_error(plan, {"swapped.safetensors", "made for the experts"});
  EXPECT_FALSE(fs::exists(plan_db)) << "a plan that cannot run wrote a database";
}

}  // namespace
}  // namespace moebench::jobs
