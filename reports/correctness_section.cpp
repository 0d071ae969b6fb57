#include "reports/correctness_section.h"

#include <cmath>

namespace moebench::reports {
namespace {

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double rate(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : NAN; }

}  // namespace

nlohmann::ordered_json correctness_suite_json(const ReportScope& scope, const ModelRef& merge,
                                              const SuiteRef& suite, const LoggedRouting& logged,
                                              size_t max_documents) {
  auto& db = scope.store->database();
  const int64_t run = scope.run.run_id;
  const DocScores& merge_scores = scope.doc_scores(run, merge.model_id, suite);
  if (merge_scores.empty()) return nullptr;
  // Experts by index (an expert without an evaluated model has no scores).
  // Pointers into the scope's cache: these maps hold every document of the suite.
  static const DocScores kNone;
  std::vector<const DocScores*> expert_scores(merge.experts.size(), &kNone);
  std::vector<std::string> names{merge.name};
  for (size_t i = 0; i < merge.experts.size(); ++i) {
    const auto& e = merge.experts[i];
    if (!e.model_id) continue;
    expert_scores[i] = &scope.doc_scores(run, e.model_id, suite);
    if (expert_scores[i]->empty() && scope.baseline) {
      expert_scores[i] = &scope.doc_scores(scope.baseline->run_id, e.model_id, suite);
    }
    if (!expert_scores[i]->empty()) names.push_back(e.model);
  }

  // The oracle gap over every document the merge and all scored experts hold.
  int64_t documents = 0, gap = 0;
  for (const auto& [key, merge_value] : merge_scores) {
    bool all = true, some_right = false;
    for (const DocScores* s : expert_scores) {
      if (s->empty()) continue;
      auto it = s->find(key);
      if (it == s->end()) {
        all = false;
        break;
      }
      some_right = some_right || is_right(it->second);
    }
    if (!all) continue;
    ++documents;
    gap += some_right && !is_right(merge_value);
  }

  // The router's favourite against who was right, on the token-logged documents.
  int64_t logged_docs = 0, some_right = 0, favoured_right = 0, gap_logged = 0, favoured_in_gap = 0;
  auto listed = nlohmann::ordered_json::array();
  for (const auto& doc : logged.documents) {
    const DocKey key{doc.task, doc.doc_id};
    auto m = merge_scores.find(key);
    if (m == merge_scores.end()) continue;  // a task without the headline metric
    ++logged_docs;
    nlohmann::ordered_json correct = {{merge.name, is_right(m->second)}};
    bool any = false, favoured_ok = false;
    for (size_t i = 0; i < expert_scores.size(); ++i) {
      auto it = expert_scores[i]->find(key);
      if (it == expert_scores[i]->end()) continue;
      const bool right = is_right(it->second);
      correct[merge.experts[i].model] = right;
      any = any || right;
      if (static_cast<int>(i) == doc.favoured) favoured_ok = right;
    }
    some_right += any;
    favoured_right += any && favoured_ok;
    const bool in_gap = any && !is_right(m->second);
    gap_logged += in_gap;
    favoured_in_gap += in_gap && favoured_ok;
    if (listed.size() < max_documents) {
      auto share = nlohmann::ordered_json::array();
      for (double v : doc.share) share.push_back(round3(v));
      listed.push_back({{"task", doc.task},
                        {"doc_id", doc.doc_id},
                        {"favoured", doc.favoured},
                        {"favoured_share", round3(doc.share[doc.favoured])},
                        {"share", share},
                        {"favoured_by_layer", doc.favoured_by_layer},
                        {"correct", correct}});
    }
  }
  int64_t suite_docs = 0;
  auto n = db.prepare("SELECT MAX(MIN(TOTAL(num_docs), 9e18), -9e18) FROM tasks WHERE task_id IN"
                      " (SELECT DISTINCT task_id FROM samples WHERE run_id = ? AND model_id = ?)"
                      " AND suite = ?");
  n.bind_all(run, merge.model_id, suite.name);
  if (n.step()) suite_docs = static_cast<int64_t>(n.real(0));
  return {{"suite", suite.name},
          {"metric", suite.metric},
          {"models", names},
          {"documents", listed},
          {"logged_documents", logged_docs},
          {"documents_in_suite", suite_docs},
          {"oracle_gap",
           {{"documents", documents},
            {"merge_wrong_expert_right", gap},
            {"rate", rate(gap, documents)},
            {"some_expert_right", some_right},
            {"router_favoured_right_expert", favoured_right},
            {"router_favoured_right_rate", rate(favoured_right, some_right)},
            {"logged_gap_documents", gap_logged},
            {"favoured_right_in_gap", favoured_in_gap}}}};
}

}  // namespace moebench::reports
