#include "harness/jobs/ablate_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/jobs/ablation_variants.h"
#include "harness/jobs/plan_check.h"
#include "harness/merge/merge_recipe.h"
#include "harness/util/error.h"
#include "reports/report.h"

namespace moebench::jobs {
namespace {

std::string cell(const nlohmann::ordered_json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace

AblateOutcome run_ablation(AblateJob job) {
  if (!merge::is_recipe_path(job.recipe))
    fail_input(job.recipe, "an ablation varies a recipe's gates: give a mergekit-moe recipe (.yml), not a model");
  PlanModel reference;
  reference.path = std::filesystem::absolute(job.recipe).string();
  reference.name = std::filesystem::path(job.recipe).stem().string();
  AblateOutcome out;
  std::vector<PlanModel> variants = ablation_models(reference, split_variant_words(job.variants),
                                                    std::filesystem::current_path(), "--variants", &out.notes);
  if (variants.empty())
    fail_input("--variants", "no variant is left to compare with the recipe as written ({})",
               out.notes.empty() ? "none given" : out.notes.front());
  job.plan.models = {reference};
  job.plan.models.insert(job.plan.models.end(), variants.begin(), variants.end());
  job.plan.name = "ablate";
  job.plan.notes = out.notes;
  const eval::LoadedTasks tasks = check_plan(job.plan);
  auto store = job.db.empty() ? store::ResultsStore::open_in_memory() : store::ResultsStore::open(job.db);
  const PlanRunSummary summary = run_plan(job.plan, tasks, job.run, store);
  out.run_key = summary.run_key;
  for (const ModelTiming& t : summary.timings)
    out.models.push_back({job.plan.models[t.model].name, job.plan.models[t.model].ablation, t});

  reports::ReportOptions options;
  options.run = summary.run_key;
  const nlohmann::ordered_json report = reports::build_report(store, options);
  for (const auto& family : report["ablations"])
    if (family.value("kind", "") == "ablation" && family.value("reference", "") == reference.name)
      out.family = family;
  return out;
}

std::vector<std::string> ablation_table(const AblateOutcome& outcome) {
  std::vector<std::string> lines;
  std::vector<std::string> suites;
  for (const auto& v : outcome.family.value("variants", nlohmann::ordered_json::array()))
    for (const auto& s : v["suites"])
      if (std::find(suites.begin(), suites.end(), cell(s, "suite")) == suites.end()) suites.push_back(cell(s, "suite"));
  size_t width = 5;
  for (const AblationModel& m : outcome.models)
    width = std::max(width, m.name.size() + (m.ablation.empty() ? 13 : 0));  // " (as written)"
  std::string head = fmt::format("{:<{}}  {:<14} {:>2}  {:<8}  {:>7}  {:>7}  {:>7}", "model", width, "gate mode", "k",
                                 "gates", "load s", "gates s", "eval s");
  for (const auto& s : suites) head += fmt::format("  {:>18}", s.substr(0, 18));
  lines.push_back(head);
  double overhead = 0;
  int variants = 0;
  for (const AblationModel& m : outcome.models) {
    nlohmann::ordered_json row;
    for (const auto& v : outcome.family.value("variants", nlohmann::ordered_json::array()))
      if (cell(v, "model") == m.name) row = v;
    std::string line = fmt::format("{:<{}}  {:<14} {:>2}  {:<8}  {:>7.2f}  {:>7.2f}  {:>7.2f}",
                                   m.ablation.empty() ? m.name + " (as written)" : m.name, width, cell(row, "gate_mode"),
                                   cell(row, "experts_per_token"), cell(row, "gates_hash").substr(0, 8),
                                   m.timing.load_seconds, m.timing.gate_seconds, m.timing.eval_seconds);
    for (const auto& suite : suites) {
      std::string text = "-";
      for (const auto& s : row.value("suites", nlohmann::ordered_json::array())) {
        if (cell(s, "suite") != suite || !s["value"].is_number()) continue;
        text = fmt::format("{:.3f}", s["value"].get<double>());
        const bool significant = s["test"].is_object() && s["test"].value("significant", false);
        if (!m.ablation.empty() && s["diff"].is_number())
          text += fmt::format(" ({:+.3f}{})", s["diff"].get<double>(), significant ? "*" : "");
      }
      line += fmt::format("  {:>18}", text);
    }
    lines.push_back(line);
    if (!m.ablation.empty()) {
      overhead += m.timing.load_seconds + m.timing.gate_seconds;
      ++variants;
    }
  }
  if (variants > 0)
    lines.push_back(fmt::format(
        "overhead per variant besides evaluation: {:.2f} s on average (its gates; the experts were read once, "
        "{:.2f} s); * = differs from the recipe as written in a paired test", overhead / variants,
        outcome.models.empty() ? 0.0 : outcome.models.front().timing.load_seconds));
  return lines;
}

}  // namespace moebench::jobs
