#include "harness/jobs/gate_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "harness/eval/evaluator.h"
#include "harness/jobs/plan_check.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/moe_assembly.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "harness/util/progress.h"

namespace moebench::jobs {
namespace {

// Per MoE layer: the real tokens seen, and those whose first choice (the
// highest router probability; expert_ids are in descending order) is `expert`.
class AgreementCounter : public model::RoutingSink {
 public:
  AgreementCounter(int expert, int64_t layers) : expert_(expert), tokens_(layers), hits_(layers) {}

  void on_routing(const model::RoutingEvent& e) override {
    for (int64_t i = 0; i < e.batch * e.seq; ++i) {
      if (!e.valid[i]) continue;  // padding
      ++tokens_[e.layer];
      if (e.expert_ids[i * e.top_k] == expert_) ++hits_[e.layer];
    }
  }
  const std::vector<int64_t>& tokens() const { return tokens_; }
  const std::vector<int64_t>& hits() const { return hits_; }

 private:
  int expert_;
  std::vector<int64_t> tokens_, hits_;
};

// The distinct token sequences a suite's documents prompt the model with.
std::vector<std::vector<int32_t>> suite_prompts(const GateCheckPlan& plan, const GateCheckSuite& suite,
                                                const io::Tokenizer& tokenizer) {
  eval::EvalConfig config;
  config.limit = plan.options.limit > 0 ? static_cast<double>(plan.options.limit) : -1;
  std::set<std::vector<int32_t>> seen;
  std::vector<std::vector<int32_t>> prompts;
  for (size_t t : suite.tasks) {
    const eval::PreparedTask prepared = eval::prepare_task(plan.tasks.tasks[t], config);
    for (size_t k = 0; k < prepared.docs.size(); ++k) {
      std::string text = prepared.contexts[k];
      // A rolling task (perplexity) has no context: the model reads its text.
      if (text.empty() && !prepared.requests[k].empty()) text = prepared.requests[k][0].continuation;
      std::vector<int32_t> ids = tokenizer.encode(text, plan.options.add_bos_token);
      if (!ids.empty() && seen.insert(ids).second) prompts.push_back(std::move(ids));
    }
  }
  // Longest first: similar lengths share a forward pass (little padding).
  std::stable_sort(prompts.begin(), prompts.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return prompts;
}

}  // namespace

GateCheckPlan plan_gate_check(const std::string& recipe_path, const GateCheckOptions& options) {
  if (options.suites.empty()) fail_input("--check", "no suite to check");
  GateCheckPlan plan;
  plan.options = options;
  eval::TaskSelection selection;
  selection.suites = options.suites;
  selection.tasks_dir = options.tasks_dir.empty() ? eval::default_tasks_dir() : options.tasks_dir;
  try {
    plan.tasks = eval::load_tasks(selection);
  } catch (const InputError& e) {
    // The eval layer names its own flag; here the suites came from --check.
    const std::string text = e.what(), flag = "--suite: ";
    if (text.rfind(flag, 0) != 0) throw;
    throw InputError("--check: " + text.substr(flag.size()));
  }
  // The recipe's experts as a run records them, so that a suite expects the
  // same expert here as in a run's report.
  PlanModel recipe_model;
  recipe_model.name = recipe_model.path = recipe_path;
  const store::ModelInfo info = plan_model_info(recipe_model, nullptr);
  std::vector<std::string> labels;
  for (const auto& e : info.experts) labels.push_back(e.label);
  for (size_t s = 0; s < plan.tasks.suites.size(); ++s) {
    const eval::SuiteSpec& spec = plan.tasks.suites[s];
    GateCheckSuite suite{spec.group, spec.source, spec.expected_expert, "", -1, {}};
    if (spec.expected_expert.empty())
      fail_input(spec.source, "--check {}: the suite names no expected_expert, so there is no expert to check its "
                 "routing against; add `expected_expert: \"<keyword>: <what it tests>\"` to it, the keyword being "
                 "part of one expert's source_model or positive prompts in {} ({})", spec.group, recipe_path,
                 fmt::join(labels, ", "));
    suite.expert_label = expected_expert_label(recipe_model, info, spec.group, spec.expected_expert);
    suite.expert = expert_index(info, suite.expert_label);
    if (suite.expert < 0)
      fail_input(spec.source, "--check {}: expected_expert '{}': the keyword '{}' is in no expert of {} (neither "
                 "a source_model nor a positive prompt; its experts: {}); name one of them before the ':'",
                 spec.group, spec.expected_expert, spec.expected_expert.substr(0, spec.expected_expert.find(':')),
                 recipe_path, fmt::join(labels, ", "));
    for (size_t t = 0; t < plan.tasks.tasks.size(); ++t)
      if (plan.tasks.suite_of_task[t] == static_cast<int>(s)) suite.tasks.push_back(t);
    plan.suites.push_back(std::move(suite));
  }
  return plan;
}

std::vector<SuiteAgreement> routing_agreement(const model::LanguageModel& model, const GateCheckPlan& plan) {
  const io::ModelConfig& config = model.config();
  if (!config.is_moe())
    fail_input("--check", "the model is a dense {} without routers; routing can only be checked on an MoE",
               config.architecture);
  std::vector<std::vector<std::vector<int32_t>>> prompts;
  int64_t total = 0;
  for (const GateCheckSuite& suite : plan.suites) {
    prompts.push_back(suite_prompts(plan, suite, model.tokenizer()));
    total += static_cast<int64_t>(prompts.back().size());
  }
  const int batch = std::max(1, plan.options.batch_size);
  std::optional<ProgressBar> bar;
  if (plan.options.progress) bar.emplace("routing check", total, "prompts");
  std::vector<SuiteAgreement> out;
  for (size_t s = 0; s < plan.suites.size(); ++s) {
    const GateCheckSuite& suite = plan.suites[s];
    AgreementCounter counter(suite.expert, config.num_layers);
    for (size_t begin = 0; begin < prompts[s].size(); begin += batch) {
      // Scoring one token after each prompt feeds the model exactly the
      // prompt; what it scores is not used.
      std::vector<model::LoglikelihoodRequest> requests;
      const size_t end = std::min(prompts[s].size(), begin + batch);
      for (size_t i = begin; i < end; ++i) requests.push_back({prompts[s][i], {prompts[s][i].back()}});
      model.loglikelihood(requests, batch, &counter);
      if (bar) bar->advance(static_cast<int64_t>(requests.size()));
    }
    SuiteAgreement a{suite.name, suite.expert_label, suite.expert, static_cast<int64_t>(prompts[s].size()),
                     counter.tokens().empty() ? 0 : counter.tokens()[0], counter.hits(), {}, 0};
    for (size_t l = 0; l < a.expected_first.size(); ++l) {
      const int64_t n = counter.tokens()[l];
      a.agreement.push_back(n > 0 ? static_cast<double>(a.expected_first[l]) / static_cast<double>(n) : 0.0);
      a.mean += a.agreement.back() / static_cast<double>(a.expected_first.size());
    }
    out.push_back(std::move(a));
  }
  if (bar) bar->finish();
  return out;
}

merge::GatesSummary recipe_gates_summary(const merge::MergeRecipe& recipe, const merge::MergeOptions& options,
                                         const std::filesystem::path& out) {
  merge::GatesSummary summary;
  if (options.gates_file.empty() && !out.empty()) {
    summary = merge::recipe_gates_to_file(recipe, out, options);
  } else {
    model::use_cpu_threads(options.threads);
    // A gates file needs only the merged model's shape; computed gates what their mode reads.
    const bool full = options.gates_file.empty() && merge::gate_mode_needs_experts(recipe.gate_mode);
    const merge::MergeInputs in =
        merge::open_merge_inputs(recipe, options, full ? merge::InputScope::Full : merge::InputScope::GatesOnly);
    const auto start = std::chrono::steady_clock::now();
    summary.gates = merge::recipe_gates(in, options);
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Read as the mode that made them reads them: a gates file's own, else the recipe's.
    merge::GateMode mode = recipe.gate_mode;
    if (!options.gates_file.empty())
      if (auto own = merge::parse_gate_mode(merge::read_gates_lineage(options.gates_file).gate_mode)) mode = *own;
    summary.diagnostics = merge::diagnose_gates(summary.gates, merge::gate_reading(mode));
  }
  return summary;
}

}  // namespace moebench::jobs
