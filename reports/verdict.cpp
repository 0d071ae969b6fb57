#include "reports/verdict.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace moebench::reports {
namespace {

struct Entry {
  const ModelRef* model;
  std::string role, label, run_key;
  int64_t run_id;
  SuiteScore score;
};

// The model's suite score in the run, else in the baseline (experts are often
// evaluated once and merges nightly).
std::optional<Entry> find_entry(const ReportScope& scope, const ModelRef* m, const SuiteRef& suite,
                                std::string role, std::string label) {
  auto& db = scope.store->database();
  if (auto s = suite_score(db, scope.run.run_id, m->model_id, suite)) {
    return Entry{m, std::move(role), std::move(label), scope.run.run_key, scope.run.run_id, *s};
  }
  if (scope.baseline) {
    if (auto s = suite_score(db, scope.baseline->run_id, m->model_id, suite)) {
      return Entry{m, std::move(role), std::move(label), scope.baseline->run_key,
                   scope.baseline->run_id, *s};
    }
  }
  return std::nullopt;
}

nlohmann::ordered_json entry_json(const Entry& e) {
  return {{"model", e.model->name}, {"role", e.role},
          {"label", e.label},       {"value", e.score.value},
          {"stderr", e.score.stderr_value}, {"ci", ci95_half_width(e.score.stderr_value)},
          {"n", e.score.n},         {"run_key", e.run_key}};
}

}  // namespace

bool is_better(double diff, bool higher_is_better) {
  return higher_is_better ? diff > 0 : diff < 0;
}

nlohmann::ordered_json comparison_json(const PairedComparison& c) {
  nlohmann::ordered_json out = {{"test", c.test}, {"n", c.n},         {"diff", c.diff},
                                {"ci_low", c.ci_low}, {"ci_high", c.ci_high}, {"p", c.p}};
  if (c.test == "mcnemar") {
    out["a_only"] = c.a_only;
    out["b_only"] = c.b_only;
  }
  out["significant"] = !std::isnan(c.p) && c.p < kSignificance;
  return out;
}

nlohmann::ordered_json verdict_json(const ReportScope& scope, const std::vector<SuiteRef>& suites) {
  auto& db = scope.store->database();
  auto out = nlohmann::ordered_json::array();
  for (const ModelRef* merge : scope.merges()) {
    // The columns, the same in every row: the merge, its base, each evaluated expert once.
    struct Column { const ModelRef* model; std::string role, label; };
    std::vector<Column> columns{{merge, "merge", ""}};
    if (const ModelRef* base = scope.model(merge->base_id)) columns.push_back({base, "base", ""});
    for (const auto& x : merge->experts) {
      const ModelRef* m = scope.model(x.model_id);
      bool seen = false;
      for (const auto& c : columns) seen = seen || (m && c.model == m && c.role == "expert");
      if (m && !seen) columns.push_back({m, "expert", x.label});
    }
    int compared = 0, beats = 0, significant = 0, worse = 0;
    auto rows = nlohmann::ordered_json::array();
    for (const auto& suite : suites) {
      auto merge_entry = find_entry(scope, merge, suite, "merge", "");
      if (!merge_entry) continue;
      auto scores = nlohmann::ordered_json::array();
      std::vector<Entry> entries;
      std::optional<size_t> best;
      for (const auto& c : columns) {
        auto e = find_entry(scope, c.model, suite, c.role, c.label);
        if (!e) {  // not evaluated on this suite: an empty cell
          scores.push_back({{"model", c.model->name}, {"role", c.role}, {"label", c.label},
                            {"value", nullptr}, {"stderr", nullptr}, {"ci", nullptr},
                            {"n", 0}, {"run_key", nullptr}});
          continue;
        }
        scores.push_back(entry_json(*e));
        entries.push_back(*e);
        const double v = e->score.value;
        if (c.role == "expert" && !std::isnan(v) &&
            (!best || is_better(v - entries[*best].score.value, suite.higher_is_better))) {
          best = entries.size() - 1;
        }
      }
      nlohmann::ordered_json row = {{"suite", suite.name},
                                    {"metric", suite.metric},
                                    {"higher_is_better", suite.higher_is_better}};
      row["scores"] = scores;
      if (best) {
        const Entry& b = entries[*best];
        const double diff = merge_entry->score.value - b.score.value;
        const auto test = paired_compare_maps(
            scope.doc_scores(merge_entry->run_id, merge->model_id, suite),
            scope.doc_scores(b.run_id, b.model->model_id, suite), scope.options.seed);
        const bool better = is_better(diff, suite.higher_is_better);
        const auto test_json = comparison_json(test);
        ++compared;
        beats += better;
        significant += better && test_json["significant"].get<bool>();
        worse += !better && diff != 0 && test_json["significant"].get<bool>();
        row["best_expert"] = b.model->name;
        row["diff"] = diff;
        row["better"] = better;
        row["test"] = test_json;
      } else {
        row["best_expert"] = nullptr;
        row["diff"] = nullptr;
        row["better"] = nullptr;
        row["test"] = nullptr;
      }
      rows.push_back(std::move(row));
    }
    std::string sentence =
        compared == 0
            ? fmt::format("{}: none of its experts was evaluated on these suites, so there is "
                          "nothing to compare it with.", merge->name)
            : fmt::format("{} beats its best expert on {} of {} suite{}; significantly on {}.",
                          merge->name, beats, compared, compared == 1 ? "" : "s", significant);
    if (worse > 0) {
      sentence += fmt::format(" It is significantly worse on {}.", worse);
    }
    out.push_back({{"merge", merge->name},
                   {"sentence", sentence},
                   {"beats", beats},
                   {"significant", significant},
                   {"suites", compared},
                   {"significantly_worse", worse},
                   {"rows", rows}});
  }
  return out;
}

std::vector<std::string> verdict_lines(const nlohmann::ordered_json& verdict) {
  std::vector<std::string> out;
  for (const auto& v : verdict) out.push_back(v["sentence"].get<std::string>());
  return out;
}

}  // namespace moebench::reports
