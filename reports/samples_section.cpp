#include "reports/samples_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/store/stored_json.h"
#include "harness/util/text.h"

namespace moebench::reports {
namespace {

constexpr size_t kMaxText = 2000;
// Text of the whole section: keeps a report of long few-shot prompts under
// its 5 MB with the chart libraries and the token views.
constexpr size_t kTextBudget = 1500000;

// Cut at a character boundary, marking the cut.
std::string cut(const std::string& text) {
  if (text.size() <= kMaxText) return text;
  size_t end = kMaxText;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + fmt::format(" … [{} more bytes]", text.size() - end);
}

// A response's generated text; empty when it holds none (or not as a string).
std::string text_of(const nlohmann::json& response) {
  const auto it = response.find("text");
  return it != response.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string answer_text(const nlohmann::json& responses) {
  if (!responses.is_array() || responses.empty()) return "";
  if (responses.size() == 1 && responses[0].contains("text")) return text_of(responses[0]);
  int best = -1;
  double best_lp = 0;
  for (size_t i = 0; i < responses.size(); ++i) {
    const auto& r = responses[i];
    if (r.contains("text")) return text_of(r);
    if (!r.contains("logprob") || !r["logprob"].is_number()) continue;
    const double lp = r["logprob"].get<double>();
    if (best < 0 || lp > best_lp) {
      best = static_cast<int>(i);
      best_lp = lp;
    }
  }
  return best < 0 ? "" : fmt::format("choice {} (log-likelihood {:.3f})", best, best_lp);
}

nlohmann::ordered_json samples_json(const ReportScope& scope, const std::vector<SuiteRef>& suites) {
  auto& db = scope.store->database();
  const int64_t run = scope.run.run_id;
  auto documents = nlohmann::ordered_json::array();
  int64_t total = 0;
  size_t text_left = kTextBudget;
  for (const auto& suite : suites) {
    std::map<int64_t, const DocScores*> scores;  // model id -> its documents (the scope's cache)
    std::set<DocKey> keys;
    for (const auto& m : scope.models) {
      scores[m.model_id] = &scope.doc_scores(run, m.model_id, suite);
      for (const auto& [key, v] : *scores[m.model_id]) keys.insert(key);
    }
    total += static_cast<int64_t>(keys.size());
    // Flags per document: merges wrong where one of their experts was right, and the reverse.
    std::map<DocKey, std::pair<std::vector<std::string>, std::vector<std::string>>> flags;
    for (const ModelRef* merge : scope.merges()) {
      for (const auto& [key, merge_value] : *scores[merge->model_id]) {
        bool any_right = false, any_scored = false;
        for (const auto& e : merge->experts) {
          auto it = scores.find(e.model_id);
          if (!e.model_id || it == scores.end()) continue;
          auto d = it->second->find(key);
          if (d == it->second->end()) continue;
          any_scored = true;
          any_right = any_right || is_right(d->second);
        }
        if (!any_scored) continue;
        if (!is_right(merge_value) && any_right) flags[key].first.push_back(merge->name);
        if (is_right(merge_value) && !any_right) flags[key].second.push_back(merge->name);
      }
    }
    // Merge wrong where an expert was right, then the reverse, then the rest.
    std::vector<DocKey> order;
    for (const auto& [key, f] : flags) {
      if (!f.first.empty()) order.push_back(key);
    }
    for (const auto& [key, f] : flags) {
      if (f.first.empty()) order.push_back(key);
    }
    for (const auto& key : keys) {
      if (!flags.count(key)) order.push_back(key);
    }
    if (order.size() > static_cast<size_t>(scope.options.samples_per_suite)) {
      order.resize(scope.options.samples_per_suite);
    }
    // Each suite gets an equal share of what is left, so a long first suite
    // cannot crowd out the others.
    const size_t suite_budget = text_left / (suites.size() - (&suite - suites.data()));
    size_t suite_text = 0;
    for (const auto& key : order) {
      if (suite_text >= suite_budget) break;
      nlohmann::ordered_json doc = {{"suite", suite.name}, {"task", key.first}, {"doc_id", key.second}};
      auto answers = nlohmann::ordered_json::array();
      for (const auto& m : scope.models) {
        auto q = db.prepare(
            "SELECT x.prompt, x.target, x.responses FROM samples x JOIN tasks t USING (task_id)"
            " WHERE x.run_id = ? AND x.model_id = ? AND t.name = ? AND x.doc_id = ? LIMIT 1");
        q.bind_all(run, m.model_id, key.first, key.second);
        if (!q.step()) continue;
        if (!doc.contains("prompt")) {
          doc["prompt"] = cut(sanitize_utf8(q.text(0)));
          doc["target"] = cut(sanitize_utf8(q.text(1)));
        }
        const auto responses = store::parse_stored_json(
            q.text(2), fmt::format("{}: samples.responses of model '{}', task '{}', doc_id {}",
                                   db.file(), m.name, key.first, key.second));
        const DocScores& of_model = *scores[m.model_id];
        auto s = of_model.find(key);
        const bool scored = s != of_model.end();
        answers.push_back({{"model", m.name},
                           {"response", cut(sanitize_utf8(answer_text(responses)))},
                           {"score", scored ? nlohmann::ordered_json(s->second) : nullptr},
                           {"correct", scored ? nlohmann::ordered_json(is_right(s->second)) : nullptr}});
      }
      for (const auto& a : answers) suite_text += a["response"].get_ref<const std::string&>().size();
      suite_text += doc.value("prompt", std::string()).size() + doc.value("target", std::string()).size();
      doc["answers"] = answers;
      const auto f = flags.find(key);
      doc["merge_wrong_expert_right"] = f == flags.end() ? std::vector<std::string>{} : f->second.first;
      doc["merge_right_experts_wrong"] = f == flags.end() ? std::vector<std::string>{} : f->second.second;
      documents.push_back(std::move(doc));
    }
    text_left -= std::min(text_left, suite_text);
  }
  return {{"documents", documents}, {"shown", documents.size()}, {"total", total}};
}

}  // namespace moebench::reports
