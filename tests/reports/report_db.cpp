#include "tests/reports/report_db.h"

#include <chrono>
#include <cmath>

namespace moebench::reports::testing {
namespace {

store::StoreOptions options_with_clock(int* day) {
  store::StoreOptions o;
  o.clock = [day] {
    using namespace std::chrono;
    // 2026-12-01T02:00:00Z plus one day per run.
    return system_clock::time_point(seconds(1796090400LL + 86400LL * (*day)));
  };
  return o;
}

}  // namespace

ReportDb::ReportDb(const std::filesystem::path& path)
    : path_(path), store_(store::ResultsStore::open(path, options_with_clock(&day_))) {}

int64_t ReportDb::run(const std::string& key) {
  ++day_;
  store::RunInfo info;
  info.run_key = key;
  info.plan = "plan.yml";
  info.plan_hash = "hash";
  info.git_revision = "test";
  info.host = "host";
  info.device = "cpu";
  info.dtype = "float32";
  return store_.begin_run(info);
}

int64_t ReportDb::merge(const std::string& name, const std::string& base,
                        const std::vector<std::string>& experts, const std::string& recipe,
                        const std::string& gate_variant) {
  store::ModelInfo m;
  m.name = name;
  m.content_hash = "merge:" + name;
  m.gate_variant = gate_variant;
  m.path = name + ".yml";
  m.architecture = "MixtralForCausalLM";
  m.num_layers = 2;
  m.num_experts = static_cast<int64_t>(experts.size());
  m.experts_per_token = 2;
  m.recipe_path = name + ".yml";
  m.recipe = recipe.empty() ? "base_model: " + base + "\ngate_mode: hidden\n" : recipe;
  m.base_model = base;
  for (const auto& e : experts) {
    store::ExpertInfo x;
    x.source_model = e;
    x.label = e;
    x.positive_prompts = {"prompt for " + e};
    m.experts.push_back(x);
  }
  // Router geometry as the jobs layer stores it (merge/gate_stats.h), one layer.
  m.gate_stats = {{"layers", {{{"layer", 0}, {"condition_number", 2.5},
                                {"cosine", {{1.0, 0.2, 0.1}, {0.2, 1.0, 0.7}, {0.1, 0.7, 1.0}}}}}}};
  num_experts_ = m.num_experts;
  return store_.upsert_model(m);
}

int64_t ReportDb::dense(const std::string& name) {
  store::ModelInfo m;
  m.name = name;
  m.content_hash = "dense:" + name;
  m.path = "/models/" + name;
  m.architecture = "MistralForCausalLM";
  m.num_layers = 2;
  return store_.upsert_model(m);
}

int64_t ReportDb::task(const std::string& name, const std::string& suite,
                       const std::string& expected) {
  store::TaskInfo t;
  t.name = name;
  t.spec_hash = "spec:" + name;
  t.suite = suite;
  t.version = "1";
  t.output_type = "multiple_choice";
  t.num_docs = 100;
  t.expected_expert = expected;
  const int64_t id = store_.upsert_task(t);
  task_suite_[id] = suite;
  if (!suites_.count(suite)) {
    store::SuiteInfo s;
    s.name = suite;
    s.spec_hash = "suite:" + suite;
    s.version = "1";
    s.tasks = {name};
    s.aggregate = {{"acc", {"none"}, true}};
    suites_[suite] = store_.upsert_suite(s);
  }
  return id;
}

void ReportDb::score(int64_t run, int64_t model, int64_t task, const std::vector<Doc>& docs) {
  std::vector<store::SampleRecord> records;
  double sum = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    const Doc& d = docs[i];
    store::SampleRecord r;
    r.doc_id = static_cast<int64_t>(i);
    r.prompt = d.prompt;
    store::SampleResponse resp;
    resp.text = d.response;
    r.responses = {resp};
    r.score.metrics["acc,none"] = d.value;
    r.score.target = "gold";
    if (d.favoured >= 0) {
      r.routing.segments = {{0, 0, d.tokens}};
      for (int layer = 0; layer < 2; ++layer) {
        store::LayerRouting l;
        l.layer = layer;
        l.top_k = 2;
        l.num_experts = static_cast<int32_t>(num_experts_);
        for (int t = 0; t < d.tokens; ++t) {
          l.expert_ids.push_back(d.favoured);
          l.expert_ids.push_back(static_cast<int32_t>((d.favoured + 1) % num_experts_));
          l.weights.push_back(0.75f);
          l.weights.push_back(0.25f);
        }
        r.routing.layers.push_back(std::move(l));
      }
      for (int t = 0; t < d.tokens; ++t) r.routing.pieces.push_back("tok" + std::to_string(t));
    }
    sum += d.value;
    records.push_back(std::move(r));
  }
  store_.write_samples(run, model, task, records);
  const double n = static_cast<double>(docs.size());
  const double mean = sum / n;
  double ss = 0;
  for (const auto& d : docs) ss += (d.value - mean) * (d.value - mean);
  store::MetricScore s;
  s.value = mean;
  s.stderr_value = docs.size() > 1 ? std::sqrt(ss / (n - 1)) / std::sqrt(n) : NAN;
  s.n = static_cast<int64_t>(docs.size());
  store_.write_scores(run, model, task, {{"acc,none", s}});
  store_.update_suite_scores(run, model, suites_.at(task_suite_.at(task)));
}

void ReportDb::score_family(int64_t run, const std::map<std::string, std::vector<Doc>>& docs) {
  const int64_t merge = this->merge("moe", "base", {"A", "B", "C"});
  const int64_t t = task("t", "s", "A");
  score(run, merge, t, docs.at("moe"));
  for (const char* name : {"A", "B", "C", "base"}) score(run, dense(name), t, docs.at(name));
  finish(run);
}

void ReportDb::finish(int64_t run) { store_.finish_run(run, store::RunStatus::Complete); }

}  // namespace moebench::reports::testing
