#include "harness/jobs/demo_summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

int role_rank(const DemoScores::Row& r) {
  if (r.role == "base") return 0;
  if (r.role == "expert") return 1;
  return r.gate_variant == "oracle" ? 3 : 2;
}

// "demo_math" -> "math": the table's column heads.
std::string short_suite(const std::string& suite) {
  return suite.rfind("demo_", 0) == 0 ? suite.substr(5) : suite;
}

std::string row_name(const DemoScores::Row& r) {
  if (r.role == "expert") return r.model + " (expert)";
  if (r.role == "base") return r.model + " (base)";
  if (r.gate_variant == "oracle") return r.model + " (oracle routing)";
  if (!r.ablation.empty()) return r.model + " (ablation)";
  return fmt::format("{} ({} gates)", r.model, r.gate_variant);
}

// Mean over layers of each suite's first-choice share on the suite's expert;
// `chance` = 1 / the merge's number of experts.
std::map<std::string, double> agreement(const nlohmann::json& report, const std::string& merge,
                                        double* chance) {
  std::map<std::string, double> out;
  for (const auto& m : report.at("routing")) {
    if (m.at("merge") != merge) continue;
    *chance = 1.0 / std::max(1, m.at("num_experts").get<int>());
    for (const auto& s : m.at("suites")) {
      double sum = 0;
      int n = 0;
      for (const auto& l : s.at("layers")) {
        if (l.at("agreement").is_number()) sum += l.at("agreement").get<double>(), ++n;
      }
      if (n) out[s.at("suite").get<std::string>()] = sum / n;
    }
  }
  return out;
}

}  // namespace

DemoScores demo_scores(const nlohmann::json& report) {
  DemoScores scores;
  for (const auto& s : report.at("suites")) scores.suites.push_back(s.at("name").get<std::string>());
  std::map<std::string, DemoScores::Row> rows;
  for (const auto& m : report.at("models")) {
    DemoScores::Row& r = rows[m.at("name").get<std::string>()];
    r.model = m.at("name").get<std::string>();
    r.role = m.at("role").get<std::string>();
    r.gate_variant = m.at("gate_variant").get<std::string>();
    r.label = m.at("label").get<std::string>();
    r.ablation = m.value("ablation", "");
  }
  for (const auto& v : report.at("verdict"))
    for (const auto& row : v.at("rows"))
      for (const auto& s : row.at("scores"))
        if (s.at("value").is_number() && rows.count(s.at("model").get<std::string>()))
          rows[s.at("model").get<std::string>()].value[row.at("suite").get<std::string>()] =
              s.at("value").get<double>();
  for (auto& [name, r] : rows) {
    if (r.role == "model") continue;
    double sum = 0;
    for (const std::string& suite : scores.suites) {
      auto it = r.value.find(suite);
      if (it == r.value.end()) throw InputError(fmt::format("demo: no {} score for {}", suite, name));
      sum += it->second;
    }
    r.mean = scores.suites.empty() ? 0 : sum / scores.suites.size();
    scores.rows.push_back(r);
  }
  std::stable_sort(scores.rows.begin(), scores.rows.end(),
                   [](const auto& a, const auto& b) { return role_rank(a) < role_rank(b); });
  return scores;
}

nlohmann::ordered_json scores_json(const DemoScores& scores) {
  nlohmann::ordered_json j = {{"suites", scores.suites}, {"models", nlohmann::ordered_json::object()}};
  for (const auto& r : scores.rows) {
    nlohmann::ordered_json m = {{"role", r.role}, {"gate_variant", r.gate_variant}};
    for (const std::string& s : scores.suites) m[s] = r.value.at(s);
    m["mean"] = r.mean;
    j["models"][r.model] = m;
  }
  return j;
}

std::vector<std::string> demo_summary(const DemoScores& scores, const nlohmann::json& report,
                                      const fs::path& html) {
  std::vector<std::string> lines = {"", "Scores (each suite's headline metric, 0-1; mean of the suites):"};
  size_t width = 10;
  for (const auto& r : scores.rows) width = std::max(width, row_name(r).size());
  std::string head = fmt::format("  {:<{}}", "", width);
  for (const auto& s : scores.suites) head += fmt::format(" {:>12}", short_suite(s));
  lines.push_back(head + fmt::format(" {:>8}", "mean"));
  for (const auto& r : scores.rows) {
    std::string line = fmt::format("  {:<{}}", row_name(r), width);
    for (const auto& s : scores.suites) line += fmt::format(" {:>12.3f}", r.value.at(s));
    lines.push_back(line + fmt::format(" {:>8.3f}", r.mean));
  }
  const DemoScores::Row* oracle = nullptr;
  const DemoScores::Row* best_expert = nullptr;
  for (const auto& r : scores.rows) {
    if (r.gate_variant == "oracle") oracle = &r;
    if (r.role == "expert" && (!best_expert || r.mean > best_expert->mean)) best_expert = &r;
  }
  lines.push_back("");
  for (const auto& r : scores.rows) {
    if (r.role != "merge" || &r == oracle || !r.ablation.empty()) continue;
    std::string line = fmt::format("{}: mean {:.3f}", row_name(r), r.mean);
    if (best_expert)
      line += fmt::format("; best single expert ({}) {:.3f}, {:+.3f}", best_expert->model, best_expert->mean,
                          r.mean - best_expert->mean);
    if (oracle) line += fmt::format("; oracle upper bound {:.3f}, {:+.3f}", oracle->mean, r.mean - oracle->mean);
    lines.push_back(line + ".");
    double chance = 0;
    std::string routed = "  tokens sent first to the suite's own expert (mean over layers):";
    for (const auto& [suite, share] : agreement(report, r.model, &chance))
      routed += fmt::format(" {} {:.0f}%", short_suite(suite), 100 * share);
    lines.push_back(routed + fmt::format(" (chance {:.0f}%)", 100 * chance));
  }
  if (oracle && best_expert)
    lines.push_back(fmt::format("{}: every suite's tokens forced through its own expert: mean {:.3f}, {:+.3f} "
                                "against the best single expert: what perfect routing would reach.",
                                row_name(*oracle), oracle->mean, oracle->mean - best_expert->mean));
  // Ablations: each variant's mean against the recipe as written.
  for (const auto& family : report.at("ablations")) {
    if (family.value("kind", "") != "ablation") continue;
    const std::string reference = family.at("reference").get<std::string>();
    const DemoScores::Row* ref = nullptr;
    for (const auto& r : scores.rows)
      if (r.model == reference) ref = &r;
    if (!ref) continue;
    std::string line = fmt::format("Ablation of {} (mean {:.3f} as written):", reference, ref->mean);
    for (const auto& r : scores.rows)
      if (!r.ablation.empty() && r.model.rfind(reference + "/", 0) == 0)
        line += fmt::format(" {} {:.3f} ({:+.3f});", r.ablation, r.mean, r.mean - ref->mean);
    line.back() = '.';
    lines.push_back(line);
  }
  const fs::path abs = fs::absolute(html);
  lines.push_back("");
  lines.push_back("Report: " + abs.string());
  lines.push_back("Open it in any browser (it is one file and needs no network), e.g. xdg-open " + abs.string());
  return lines;
}

}  // namespace moebench::jobs
