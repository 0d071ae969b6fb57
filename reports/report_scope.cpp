#include "reports/report_scope.h"

#include <algorithm>
#include <map>
#include <set>

#include "harness/store/stored_json.h"
#include "harness/util/error.h"

namespace moebench::reports {
namespace {

// Tableau 10: distinct hues that stay apart for the common colour-vision
// deficiencies; an eleventh expert wraps around (rare in frankenMoEs).
constexpr const char* kExpertPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                          "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                                          "#9c755f", "#bab0ac"};
constexpr const char* kMergeColour = "#222222";
constexpr const char* kBaseColour = "#8c8c8c";
constexpr const char* kOtherColour = "#5f6b7a";

RunRef read_run(store::Statement& q, const std::string& where) {
  RunRef r;
  r.run_id = q.int64(0);
  r.run_key = q.text(1);
  r.plan = q.text(2);
  r.plan_hash = q.text(3);
  r.status = q.text(4);
  r.started_at = q.text(5);
  r.finished_at = q.is_null(6) ? "" : q.text(6);
  r.git_revision = q.text(7);
  r.host = q.text(8);
  r.device = q.text(9);
  r.dtype = q.text(10);
  r.settings = store::parse_stored_object(q.text(11), where + ": settings");
  return r;
}

std::vector<std::string> json_strings(const std::string& text, const std::string& where) {
  std::vector<std::string> out;
  for (const auto& v : store::parse_stored_json(text, where)) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Models with scores in the run, by id.
std::map<int64_t, ModelRef> run_models(store::Database& db, int64_t run) {
  auto q = db.prepare(
      "SELECT model_id, name, gate_variant, architecture, content_hash, recipe_path, recipe,"
      " base_model, num_layers, num_experts, experts_per_token, path, gate_mode, gates_hash, ablation FROM models"
      " WHERE model_id IN (SELECT model_id FROM scores WHERE run_id = ?)");
  q.bind(1, run);
  std::map<int64_t, ModelRef> out;
  std::map<int64_t, std::string> paths;
  while (q.step()) {
    ModelRef m;
    m.model_id = q.int64(0);
    m.name = q.text(1);
    m.gate_variant = q.text(2);
    m.architecture = q.text(3);
    m.content_hash = q.text(4);
    m.recipe_path = q.text(5);
    m.recipe = q.text(6);
    m.base_model = q.text(7);
    m.num_layers = q.int64(8);
    m.num_experts = q.int64(9);
    m.experts_per_token = q.int64(10);
    m.gate_mode = q.text(12);
    m.gates_hash = q.text(13);
    m.ablation = q.text(14);
    if (m.num_experts > 0 && !m.recipe.empty()) m.role = "merge";
    out.emplace(m.model_id, std::move(m));
  }
  return out;
}

void read_experts(store::Database& db, ModelRef& merge) {
  auto q = db.prepare(
      "SELECT expert, source_model, label, positive_prompts, negative_prompts FROM model_experts"
      " WHERE model_id = ? ORDER BY expert");
  q.bind(1, merge.model_id);
  const std::string where = db.file() + ": model_experts of " + merge.name;
  while (q.step()) {
    ExpertRef e;
    e.index = static_cast<int>(q.int64(0));
    e.source_model = q.text(1);
    e.label = q.text(2).empty() ? e.source_model : q.text(2);
    e.positive_prompts = json_strings(q.text(3), where);
    e.negative_prompts = json_strings(q.text(4), where);
    merge.experts.push_back(std::move(e));
  }
}

// The evaluated model a recipe's source_model names: by name, else by the
// directory it was loaded from (the path, or its last components).
ModelRef* find_source(std::map<int64_t, ModelRef>& models, store::Database& db,
                      const std::string& source) {
  for (auto& [id, m] : models) {
    if (m.name == source && !m.is_merge()) return &m;
  }
  auto q = db.prepare("SELECT model_id, path FROM models");
  while (q.step()) {
    const std::string path = q.text(1);
    const bool same = path == source ||
                      (path.size() > source.size() &&
                       path.compare(path.size() - source.size(), source.size(), source) == 0 &&
                       path[path.size() - source.size() - 1] == '/');
    auto it = models.find(q.int64(0));
    if (same && it != models.end() && !it->second.is_merge()) return &it->second;
  }
  return nullptr;
}

}  // namespace

RunRef load_run(store::Database& db, const std::string& key, const std::string& flag) {
  const char* sql =
      key == "latest"
          ? "SELECT run_id, run_key, plan, plan_hash, status, started_at, finished_at,"
            " git_revision, host, device, dtype, settings FROM runs"
            " ORDER BY started_at DESC, run_id DESC LIMIT 1"
          : "SELECT run_id, run_key, plan, plan_hash, status, started_at, finished_at,"
            " git_revision, host, device, dtype, settings FROM runs WHERE run_key = ?";
  auto q = db.prepare(sql);
  if (key != "latest") q.bind(1, key);
  if (!q.step()) {
    if (key == "latest") fail_input(db.file(), "{} latest: the database holds no run yet", flag);
    std::vector<std::string> keys;
    auto all = db.prepare("SELECT run_key FROM runs ORDER BY started_at DESC LIMIT 5");
    while (all.step()) keys.push_back(all.text(0));
    fail_input(db.file(), "{} '{}': no such run (latest runs: {})", flag, key,
               keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, ", ")));
  }
  return read_run(q, db.file() + ": run '" + q.text(1) + "'");
}

ReportScope load_scope(store::ResultsStore& store, const ReportOptions& options) {
  auto& db = store.database();
  ReportScope scope;
  scope.store = &store;
  scope.options = options;
  scope.run = load_run(db, options.run);
  if (!options.baseline.empty()) scope.baseline = load_run(db, options.baseline, "--baseline");

  auto models = run_models(db, scope.run.run_id);
  if (scope.baseline) {  // experts evaluated only in the baseline still count
    for (auto& [id, m] : run_models(db, scope.baseline->run_id)) {
      if (!models.count(id) && m.role != "merge") models.emplace(id, std::move(m));
    }
  }
  std::set<int64_t> keep;
  for (auto& [id, m] : models) {
    if (!m.is_merge()) continue;
    read_experts(db, m);
    if (ModelRef* base = find_source(models, db, m.base_model)) {
      m.base = base->name;
      m.base_id = base->model_id;
      if (base->role == "model") {
        base->role = "base";
        base->merge = m.name;
      }
    }
    for (auto& e : m.experts) {
      ModelRef* src = find_source(models, db, e.source_model);
      if (!src) continue;
      e.model = src->name;
      e.model_id = src->model_id;
      if (src->role == "model" || src->role == "base") {
        src->role = "expert";  // a base that is also an expert is shown as the expert
        src->merge = m.name;
        src->label = e.label;
      }
    }
  }
  // --model: the named models, and what a named merge was made of.
  for (auto& [id, m] : models) {
    if (options.models.empty() ||
        std::find(options.models.begin(), options.models.end(), m.name) != options.models.end()) {
      keep.insert(id);
      if (m.is_merge()) {
        if (m.base_id) keep.insert(m.base_id);
        for (const auto& e : m.experts) {
          if (e.model_id) keep.insert(e.model_id);
        }
      }
    }
  }
  for (const auto& name : options.models) {
    bool found = false;
    for (const auto& [id, m] : models) found = found || m.name == name;
    if (!found) fail_input(db.file(), "--model '{}': no model of that name in run '{}'", name,
                           scope.run.run_key);
  }

  for (auto& [id, m] : models) {
    if (keep.count(id)) scope.models.push_back(std::move(m));
  }
  std::stable_sort(scope.models.begin(), scope.models.end(), [](const ModelRef& a, const ModelRef& b) {
    if (a.is_merge() != b.is_merge()) return a.is_merge();
    return a.name < b.name;
  });
  // One colour per expert label, in order of first appearance over the merges.
  for (const auto& m : scope.models) {
    for (const auto& e : m.experts) {
      if (scope.colour_of_label(e.label).empty()) {
        const size_t i = scope.expert_colours.size() % std::size(kExpertPalette);
        scope.expert_colours.emplace_back(e.label, kExpertPalette[i]);
      }
    }
  }
  for (auto& m : scope.models) {
    if (m.role == "merge") m.colour = kMergeColour;
    else if (m.role == "base") m.colour = kBaseColour;
    else if (m.role == "expert") m.colour = scope.colour_of_label(m.label);
    else m.colour = kOtherColour;
  }
  return scope;
}

const ModelRef* ReportScope::model(int64_t model_id) const {
  for (const auto& m : models) {
    if (m.model_id == model_id) return &m;
  }
  return nullptr;
}

const ModelRef* ReportScope::model_named(const std::string& name) const {
  for (const auto& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<const ModelRef*> ReportScope::merges() const {
  std::vector<const ModelRef*> out;
  for (const auto& m : models) {
    if (m.is_merge()) out.push_back(&m);
  }
  return out;
}

std::string ReportScope::colour_of_label(const std::string& label) const {
  for (const auto& [l, c] : expert_colours) {
    if (l == label) return c;
  }
  return "";
}

const DocScores& ReportScope::doc_scores(int64_t run, int64_t model, const SuiteRef& suite) const {
  const auto key = std::make_tuple(run, model, suite.name);
  auto it = doc_scores_.find(key);
  if (it == doc_scores_.end()) {
    it = doc_scores_.emplace(key, reports::doc_scores(store->database(), run, model, suite)).first;
  }
  return it->second;
}

nlohmann::ordered_json run_json(const RunRef& r) {
  return {{"run_id", r.run_id},         {"run_key", r.run_key},
          {"plan", r.plan},             {"plan_hash", r.plan_hash},
          {"status", r.status},         {"started_at", r.started_at},
          {"finished_at", r.finished_at}, {"git_revision", r.git_revision},
          {"host", r.host},             {"device", r.device},
          {"dtype", r.dtype},           {"settings", r.settings}};
}

nlohmann::ordered_json models_json(const ReportScope& scope) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& m : scope.models) {
    auto experts = nlohmann::ordered_json::array();
    for (const auto& e : m.experts) {
      experts.push_back({{"index", e.index},
                         {"label", e.label},
                         {"source_model", e.source_model},
                         {"model", e.model},
                         {"positive_prompts", e.positive_prompts},
                         {"negative_prompts", e.negative_prompts}});
    }
    out.push_back({{"model_id", m.model_id},
                   {"name", m.name},
                   {"gate_variant", m.gate_variant},
                   {"gate_mode", m.gate_mode},
                   {"gates_hash", m.gates_hash},
                   {"ablation", m.ablation},
                   {"role", m.role},
                   {"merge", m.merge},
                   {"label", m.label},
                   {"colour", m.colour},
                   {"architecture", m.architecture},
                   {"num_layers", m.num_layers},
                   {"num_experts", m.num_experts},
                   {"experts_per_token", m.experts_per_token},
                   {"recipe_path", m.recipe_path},
                   {"recipe", m.recipe},
                   {"base_model", m.base_model},
                   {"base", m.base},
                   {"expert_models", experts}});
  }
  return out;
}

}  // namespace moebench::reports
