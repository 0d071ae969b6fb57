#include "harness/store/results_document.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "harness/store/stored_json.h"
#include "harness/util/sha256.h"

using json = nlohmann::ordered_json;

namespace moebench::store {
namespace {

// A version as stored: its JSON ("1.0"), else the text itself.
json version_json(const std::string& text) {
  try {
    return json(parse_stored_json(text, "version"));
  } catch (const StoreError&) {
    return json(text);
  }
}

// obj[key] when it is an integer, else `fallback` (stored JSON may come from anywhere).
int64_t int_or(const json& obj, const char* key, int64_t fallback) {
  return obj.is_object() && obj.contains(key) && obj[key].is_number_integer() ? obj[key].get<int64_t>() : fallback;
}
std::string string_or(const json& obj, const char* key, const std::string& fallback) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : fallback;
}

json number_or_na(double v) { return std::isnan(v) ? json("N/A") : json(v); }
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string stderr_key(const std::string& key) {
  auto [metric, filter] = split_metric_key(key);
  return metric + "_stderr," + filter;
}

struct Metric {
  double value = 0, stderr_value = 0;
  int64_t n = 0;
  bool higher = true;
};

// The task's filters in filter_list order ("none" without one).
std::vector<std::string> filter_names(const json& config) {
  std::vector<std::string> out;
  if (config.contains("filter_list") && config["filter_list"].is_array())
    for (const auto& f : config["filter_list"]) out.push_back(string_or(f, "name", ""));
  if (out.empty()) out.push_back("none");
  return out;
}

// lm-eval's order: filter-major, metrics in metric_list order; anything else after.
std::vector<std::string> ordered_keys(const std::map<std::string, Metric>& metrics, const json& config) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& filter : filter_names(config))
    if (config.contains("metric_list") && config["metric_list"].is_array())
      for (const auto& m : config["metric_list"]) {
        const std::string key = string_or(m, "metric", "") + "," + filter;
        if (metrics.count(key) && seen.insert(key).second) out.push_back(key);
      }
  for (const auto& [key, m] : metrics)
    if (seen.insert(key).second) out.push_back(key);
  return out;
}

json metrics_entry(const std::vector<std::string>& keys, const std::map<std::string, Metric>& metrics) {
  json entry = json::object();
  for (const std::string& key : keys) {
    entry[key] = number_or_null(metrics.at(key).value);
    entry[stderr_key(key)] = number_or_na(metrics.at(key).stderr_value);
  }
  return entry;
}

struct TaskRow {
  int64_t id = 0, num_docs = 0;
  std::string name, suite, version;
  json config;
  std::map<std::string, Metric> metrics;
};

struct SuiteRow {
  int64_t id = 0;
  std::string name, alias, version;
  std::vector<std::string> tasks;
  std::map<std::string, Metric> metrics;  // suite_scores; empty: the group does not aggregate
};

std::map<std::string, Metric> read_metrics(Database& db, const char* sql, int64_t run, int64_t model,
                                           int64_t id) {
  auto q = db.prepare(sql);
  q.bind_all(run, model, id);
  std::map<std::string, Metric> out;
  while (q.step()) out[q.text(0)] = {q.real(1), q.real(2), q.int64(3), q.int64(4) != 0};
  return out;
}

std::vector<TaskRow> read_tasks(Database& db, int64_t run, int64_t model) {
  auto q = db.prepare(
      "SELECT DISTINCT t.task_id, t.name, t.suite, t.version, t.num_docs, t.config FROM scores s"
      " JOIN tasks t USING (task_id) WHERE s.run_id = ? AND s.model_id = ? ORDER BY t.name, t.task_id");
  q.bind_all(run, model);
  std::vector<TaskRow> out;
  while (q.step()) {
    TaskRow t;
    t.id = q.int64(0);
    t.name = q.text(1);
    t.suite = q.text(2);
    t.version = q.text(3);
    t.num_docs = q.int64(4);
    t.config = parse_stored_object(q.text(5), db.file() + ": tasks.config of task " + t.name);
    t.metrics = read_metrics(db,
                             "SELECT metric, value, stderr, n, higher_is_better FROM scores"
                             " WHERE run_id = ? AND model_id = ? AND task_id = ?",
                             run, model, t.id);
    // One version of each task (the newest) when an edited spec was resumed under this run.
    if (!out.empty() && out.back().name == t.name)
      out.back() = std::move(t);
    else
      out.push_back(std::move(t));
  }
  return out;
}

// The suite version each grouped task ran under: the one with suite scores
// for this (run, model), else the newest of that name.
std::vector<SuiteRow> read_suites(Database& db, int64_t run, int64_t model, const std::vector<TaskRow>& tasks) {
  std::set<std::string> names;
  for (const TaskRow& t : tasks)
    if (!t.suite.empty()) names.insert(t.suite);
  std::vector<SuiteRow> out;
  for (const std::string& name : names) {
    auto q = db.prepare(
        "SELECT u.suite_id, u.alias, u.version, u.tasks FROM suites u WHERE u.name = ?1"
        " ORDER BY EXISTS (SELECT 1 FROM suite_scores s WHERE s.suite_id = u.suite_id AND"
        " s.run_id = ?2 AND s.model_id = ?3) DESC, u.suite_id DESC LIMIT 1");
    q.bind_all(name, run, model);
    if (!q.step()) continue;  // tasks of a suite this database does not describe: ungrouped
    SuiteRow s;
    s.id = q.int64(0);
    s.name = name;
    s.alias = q.text(1);
    s.version = q.text(2);
    const json names = parse_stored_json(q.text(3), db.file() + ": suites.tasks of suite " + name);
    for (const auto& t : names.is_array() ? names : json::array())
      if (t.is_string()) s.tasks.push_back(t.get<std::string>());
    s.metrics = read_metrics(db,
                             "SELECT metric, value, stderr, n, higher_is_better FROM suite_scores"
                             " WHERE run_id = ? AND model_id = ? AND suite_id = ?",
                             run, model, s.id);
    out.push_back(std::move(s));
  }
  return out;
}

// task -> sha256 of every sample's doc_hash + prompt_hash + target_hash, one
// pass per filter (the samples file's line order).
json task_hashes(Database& db, int64_t run, int64_t model, const std::vector<TaskRow>& tasks) {
  json out = json::object();
  for (const TaskRow& t : tasks) {
    auto q = db.prepare(
        "SELECT doc_hash || prompt_hash || target_hash, doc_hash = '' FROM samples"
        " WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id");
    q.bind_all(run, model, t.id);
    std::string once;
    bool hashed = true;
    while (q.step()) {
      once += q.text(0);
      hashed = hashed && q.int64(1) == 0;
    }
    if (once.empty() || !hashed) continue;  // version-1 rows carry no hashes
    std::string joined;
    for (size_t f = 0, filters = filter_names(t.config).size(); f < filters; ++f) joined += once;
    out[t.name] = sha256_hex(joined);
  }
  return out;
}

json token_pair(const json& special, const char* name) {
  if (!special.contains(name) || !special[name].is_array() || special[name].size() != 2) return {nullptr, "None"};
  const json& t = special[name];
  return {t[0], t[1].is_number() ? json(std::to_string(t[1].get<int64_t>())) : json("None")};
}

}  // namespace

std::pair<std::string, std::string> split_metric_key(const std::string& key) {
  const size_t comma = key.find(',');
  if (comma == std::string::npos) return {key, ""};
  return {key.substr(0, comma), key.substr(comma + 1)};
}

std::string sanitized_model_name(const std::string& name) {
  static const std::string kBad = "\"<>:/|\\?*[]";
  std::string out;
  for (size_t i = 0; i < name.size();) {
    if (kBad.find(name[i]) == std::string::npos) {
      out += name[i++];
      continue;
    }
    while (i < name.size() && kBad.find(name[i]) != std::string::npos) ++i;
    out += "__";
  }
  return out;
}

namespace {

// results ... n-samples: the entries of the tasks and suites, in lm-eval's order.
json task_sections(const std::vector<TaskRow>& tasks, const std::vector<SuiteRow>& suites) {
  std::map<std::string, const TaskRow*> by_name;
  for (const TaskRow& t : tasks) by_name[t.name] = &t;

  json results = json::object(), groups = json::object(), group_subtasks = json::object();
  json configs = json::object(), versions = json::object(), n_shot = json::object();
  json higher = json::object(), n_samples = json::object();
  std::set<std::string> grouped;
  auto task_higher = [](const TaskRow& t) {
    json h = json::object();
    for (const auto& [key, m] : t.metrics) h[split_metric_key(key).first] = m.higher;
    return h;
  };
  // lm-eval's order of results: top-level names sorted, a group followed by its tasks.
  std::map<std::string, std::vector<std::pair<std::string, json>>> blocks;
  for (const SuiteRow& s : suites) {
    const std::string alias = s.alias.empty() ? s.name : s.alias;
    json group_higher = json::object();
    std::set<int64_t> shots;
    auto& block = blocks[s.name];
    if (s.metrics.empty()) {
      block.emplace_back(s.name, json{{" ", " "}, {"alias", alias}});
    } else {
      std::vector<std::string> keys;
      for (const auto& [key, m] : s.metrics) keys.push_back(key);
      json entry = metrics_entry(keys, s.metrics);
      entry["alias"] = alias;
      block.emplace_back(s.name, entry);
      groups[s.name] = entry;
      versions[s.name] = version_json(s.version);
    }
    for (const std::string& name : s.tasks) {
      auto it = by_name.find(name);
      if (it == by_name.end() || it->second->suite != s.name) continue;
      const TaskRow& t = *it->second;
      grouped.insert(name);
      json entry{{"alias", " - " + name}};
      entry.update(metrics_entry(ordered_keys(t.metrics, t.config), t.metrics));
      block.emplace_back(name, entry);
      const json task_map = task_higher(t);
      for (const auto& [metric, value] : task_map.items())
        group_higher[metric] = group_higher.contains(metric) && group_higher[metric] != value ? json(nullptr) : value;
      shots.insert(int_or(t.config, "num_fewshot", 0));
    }
    group_subtasks[s.name] = s.tasks;
    higher[s.name] = group_higher;
    if (shots.size() == 1) n_shot[s.name] = *shots.begin();
  }
  for (const TaskRow& t : tasks) {
    if (!grouped.count(t.name)) {
      json entry{{"alias", t.name}};
      entry.update(metrics_entry(ordered_keys(t.metrics, t.config), t.metrics));
      blocks[t.name].emplace_back(t.name, entry);
      group_subtasks[t.name] = json::array();
    }
    configs[t.name] = t.config;
    versions[t.name] = version_json(t.version);
    n_shot[t.name] = int_or(t.config, "num_fewshot", 0);
    higher[t.name] = task_higher(t);
    int64_t effective = 0;
    for (const auto& [key, m] : t.metrics) effective = std::max(effective, m.n);
    n_samples[t.name] = {{"original", t.num_docs}, {"effective", effective}};
  }
  for (const auto& [top, block] : blocks)
    for (const auto& [name, entry] : block) results[name] = entry;

  json out = json::object();
  out["results"] = results;
  if (!groups.empty()) out["groups"] = groups;
  out["group_subtasks"] = group_subtasks;
  out["configs"] = configs;
  out["versions"] = versions;
  out["n-shot"] = n_shot;
  out["higher_is_better"] = higher;
  out["n-samples"] = n_samples;
  return out;
}

// The run and model rows the rest of the document describes.
struct RunModel {
  std::string run_key, plan, status, started_at, finished_at, git_revision, host, device, dtype, shard;
  json settings, special;
  std::string model, model_path, gate_variant;
  int64_t max_length = 0, num_parameters = 0;
};

RunModel read_run_model(Database& db, int64_t run_id, int64_t model_id) {
  RunModel r;
  auto run_q = db.prepare(
      "SELECT run_key, plan, status, started_at, finished_at, git_revision, host, device, dtype, shard,"
      " settings FROM runs WHERE run_id = ?");
  run_q.bind(1, run_id);
  if (!run_q.step()) throw StoreError(db.file() + ": results_document: no run " + std::to_string(run_id), 0);
  r.run_key = run_q.text(0), r.plan = run_q.text(1), r.status = run_q.text(2), r.started_at = run_q.text(3);
  r.finished_at = run_q.is_null(4) ? "" : run_q.text(4);
  r.git_revision = run_q.text(5), r.host = run_q.text(6), r.device = run_q.text(7), r.dtype = run_q.text(8);
  r.shard = run_q.text(9);
  r.settings = parse_stored_object(run_q.text(10), db.file() + ": runs.settings of run " + std::to_string(run_id));
  auto model_q = db.prepare(
      "SELECT name, path, gate_variant, max_length, num_parameters, special_tokens FROM models"
      " WHERE model_id = ?");
  model_q.bind(1, model_id);
  if (!model_q.step()) throw StoreError(db.file() + ": results_document: no model " + std::to_string(model_id), 0);
  r.model = model_q.text(0);
  r.model_path = model_q.text(1).empty() ? r.model : model_q.text(1);
  r.gate_variant = model_q.text(2);
  r.max_length = model_q.int64(3);
  r.num_parameters = model_q.int64(4);
  r.special = parse_stored_object(model_q.text(5), db.file() + ": models.special_tokens of " + r.model);
  return r;
}

// lm-eval's "config": the model and the settings of the run.
json config_section(const RunModel& r) {
  std::string model_args = fmt::format("pretrained={},dtype={}", r.model_path, r.dtype);
  if (!r.gate_variant.empty()) model_args += ",gate_variant=" + r.gate_variant;
  const json& settings = r.settings;
  const auto setting = [&](const char* key, json fallback) { return settings.contains(key) ? settings[key] : fallback; };
  return {{"model", "moebench"},
          {"model_args", model_args},
          {"model_num_parameters", r.num_parameters},
          {"model_dtype", "torch." + r.dtype},
          {"model_revision", "main"},
          {"model_sha", ""},
          {"batch_size", setting("batch_size", nullptr)},
          {"batch_sizes", setting("batch_sizes", json::array())},
          {"device", text_or_null(r.device)},
          {"use_cache", nullptr},
          {"limit", setting("limit", nullptr)},
          {"bootstrap_iters", 100000},
          {"gen_kwargs", setting("gen_kwargs", nullptr)},
          {"random_seed", setting("random_seed", 0)},
          {"numpy_seed", setting("numpy_seed", 1234)},
          {"torch_seed", setting("torch_seed", 1234)},
          {"fewshot_seed", setting("fewshot_seed", 1234)}};
}

// The keys after "config": where and when it ran, the tokenizer, the model's name.
void add_environment(const RunModel& r, json task_hashes, json* out) {
  json& o = *out;
  const double start = epoch_seconds(r.started_at);
  const double end = r.finished_at.empty() ? std::nan("") : epoch_seconds(r.finished_at);
  o["git_hash"] = text_or_null(r.git_revision);
  o["date"] = number_or_null(start);
  o["pretty_env_info"] = fmt::format("moebench on {} ({})", r.host, r.device);
  o["transformers_version"] = "N/A";
  o["lm_eval_version"] = "N/A";
  o["upper_git_hash"] = nullptr;
  o["tokenizer_pad_token"] = token_pair(r.special, "pad");
  o["tokenizer_eos_token"] = token_pair(r.special, "eos");
  o["tokenizer_bos_token"] = token_pair(r.special, "bos");
  const json eos = token_pair(r.special, "eos");
  o["eot_token_id"] = eos[1] == "None" ? json(nullptr) : json(std::stoll(eos[1].get<std::string>()));
  o["max_length"] = r.max_length;
  o["task_hashes"] = std::move(task_hashes);
  o["model_source"] = "moebench";
  o["model_name"] = r.model_path;
  o["model_name_sanitized"] = sanitized_model_name(r.model_path);
  o["system_instruction"] = nullptr;
  o["system_instruction_sha"] = nullptr;
  o["fewshot_as_multiturn"] = false;
  const std::string chat = string_or(r.settings, "chat_template", "none");
  o["chat_template"] = chat == "none" ? json(nullptr) : json(chat);
  o["chat_template_sha"] = chat == "none" ? json(nullptr) : json(sha256_hex(chat));
  o["start_time"] = number_or_null(start);
  o["end_time"] = number_or_null(end);
  o["total_evaluation_time_seconds"] = std::isfinite(end - start) ? fmt::format("{}", end - start) : "N/A";
}

}  // namespace

json results_document(ResultsStore& store, int64_t run_id, int64_t model_id) {
  Database& db = store.database();
  ReadTransaction snapshot(db);
  const std::vector<TaskRow> tasks = read_tasks(db, run_id, model_id);
  const RunModel r = read_run_model(db, run_id, model_id);
  json out = task_sections(tasks, read_suites(db, run_id, model_id, tasks));
  out["config"] = config_section(r);
  add_environment(r, task_hashes(db, run_id, model_id, tasks), &out);
  out["moebench"] = {{"run_id", run_id},   {"run_key", r.run_key}, {"status", r.status},
                     {"plan", r.plan},     {"shard", r.shard},     {"model", r.model},
                     {"gate_variant", r.gate_variant}, {"settings", r.settings}};
  return out;
}

json results_documents(ResultsStore& store, std::optional<int64_t> run) {
  auto q = store.database().prepare(
      "SELECT DISTINCT s.run_id, s.model_id FROM scores s JOIN models m USING (model_id)"
      " WHERE ?1 IS NULL OR s.run_id = ?1 ORDER BY s.run_id, m.name, m.gate_variant, s.model_id");
  if (run)
    q.bind(1, *run);
  else
    q.bind_null(1);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  while (q.step()) pairs.emplace_back(q.int64(0), q.int64(1));
  json out = json::array();
  for (auto [r, m] : pairs) out.push_back(results_document(store, r, m));
  return out;
}

}  // namespace moebench::store
