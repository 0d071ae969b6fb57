#include "harness/store/plan_runner.h"

#include <fmt/chrono.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>

#include "harness/eval/results_json.h"
#include "harness/eval/sandbox.h"
#include "harness/io/model_config.h"
#include "harness/merge/merge_recipe.h"
#include "harness/store/results_store.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::store {
namespace {

ModelInfo model_info(const PlanModel& m, const model::LanguageModel& lm) {
  ModelInfo info;
  info.name = m.name;
  info.path = m.path;
  const auto& c = lm.config();
  info.architecture = c.architecture;
  info.num_layers = c.num_layers;
  info.num_experts = c.num_experts;
  info.experts_per_token = c.experts_per_token;
  info.gate_variant = m.gate_variant;
  std::string fingerprint_text = c.raw.dump();
  if (merge::is_recipe_path(m.path)) {
    merge::MergeRecipe recipe = merge::MergeRecipe::load(m.path);
    info.recipe_path = m.path;
    info.recipe = recipe.text;
    info.base_model = recipe.base_model;
    if (info.gate_variant.empty()) info.gate_variant = merge::gate_mode_name(recipe.gate_mode);
    for (const auto& e : recipe.experts) {
      info.experts.push_back({e.source_model, e.source_model, e.positive_prompts, e.negative_prompts});
    }
    fingerprint_text += recipe.text;
  } else {
    fingerprint_text += read_file(fs::path(m.path) / "config.json");
  }
  if (!m.gates_file.empty()) fingerprint_text += read_file(m.gates_file);
  info.content_hash = fingerprint(fingerprint_text);
  return info;
}

// The expert a suite should route to: the plan's explicit choice, else the
// first expert whose source or positive prompts mention the keyword before ':'
// in the suite's expected_expert ("coding: Python programming" -> "coding").
std::string expected_expert_label(const PlanModel& plan_model, const ModelInfo& model,
                                  const std::string& suite, const std::string& expected) {
  auto it = plan_model.expected_experts.find(suite);
  if (it != plan_model.expected_experts.end()) {
    for (const auto& e : model.experts) {
      if (e.label == it->second) return e.label;
    }
    fail_input(plan_model.name, "expected_experts.{}: '{}' is not one of the recipe's experts",
               suite, it->second);
  }
  if (expected.empty()) return "";
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string want = lower(expected.substr(0, expected.find(':')));
  for (const auto& e : model.experts) {
    if (lower(e.label).find(want) != std::string::npos) return e.label;
    for (const auto& p : e.positive_prompts) {
      if (lower(p).find(want) != std::string::npos) return e.label;
    }
  }
  return "";
}

std::string default_run_key(const RunPlan& plan) {
  const auto today = std::chrono::system_clock::now();
  return fmt::format("{}@{}@{:%Y-%m-%d}", plan.name, plan.hash, fmt::gmtime(std::chrono::system_clock::to_time_t(today)));
}

}  // namespace

PlanRunSummary run_plan(const RunPlan& plan, const PlanRunOptions& options) {
  eval::LoadedTasks tasks = eval::load_tasks(plan.tasks);
  std::unique_ptr<eval::Sandbox> sandbox;
  if (eval::needs_sandbox(tasks.tasks)) {
    eval::SandboxOptions sandbox_options;
    sandbox_options.allow_unsandboxed = options.allow_unsandboxed_code;
    sandbox = std::make_unique<eval::Sandbox>(sandbox_options);
  }
  ResultsStore store = ResultsStore::open(options.db);
  PlanRunSummary summary;
  RunInfo run;
  run.run_key = options.run_key.empty() ? default_run_key(plan) : options.run_key;
  run.plan = plan.file.string();
  run.plan_hash = plan.hash;
  run.git_revision = MOEBENCH_GIT_REVISION;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  run.host = host;
  run.device = plan.load.device;
  run.dtype = plan.load.dtype;
  if (options.shard_count > 1) run.shard = fmt::format("{}/{}", options.shard_index, options.shard_count);
  run.settings = {{"limit", plan.eval.limit}, {"batch_size", plan.engine.batch_size},
                  {"routing", routing_mode_name(plan.routing.mode)},
                  {"routing_token_cap", plan.routing.token_cap},
                  {"chat_template", eval::to_string(plan.eval.chat)},
                  {"add_bos_token", plan.engine.add_bos_token}};
  summary.run_key = run.run_key;
  summary.run_id = store.begin_run(run);

  std::shared_ptr<const model::LanguageModel> lm;
  size_t loaded = SIZE_MAX;
  for (const WorkUnit& unit :
       shard_units(plan.models.size(), tasks.tasks.size(), options.shard_index, options.shard_count)) {
    const PlanModel& pm = plan.models[unit.model];
    const eval::Task& task = tasks.tasks[unit.task];
    if (loaded != unit.model) {
      lm.reset();  // free the previous model first
      model::LoadOptions load = plan.load;
      load.gates_file = pm.gates_file;
      lm = model::LanguageModel::load(pm.path, load);
      loaded = unit.model;
    }
    ModelInfo minfo = model_info(pm, *lm);
    const int64_t model_id = store.upsert_model(minfo);
    TaskInfo tinfo;
    tinfo.name = task.name();
    tinfo.spec_hash = fingerprint(eval::task_config_json(task.spec()).dump());
    const int suite = tasks.suite_of_task[unit.task];
    tinfo.suite = suite >= 0 ? tasks.suites[suite].group : "";
    tinfo.version = task.spec().metadata.value("version", nlohmann::json(1)).dump();
    tinfo.output_type = eval::to_string(task.spec().output_type);
    tinfo.num_docs = static_cast<int64_t>(task.docs().size());
    tinfo.expected_expert =
        suite >= 0 ? expected_expert_label(pm, minfo, tinfo.suite, tasks.suites[suite].expected_expert)
                   : "";
    const int64_t task_id = store.upsert_task(tinfo);

    // What is left of this unit, in document order.
    std::vector<int64_t> stored = store.stored_doc_ids(summary.run_id, model_id, task_id);
    std::set<int64_t> done(stored.begin(), stored.end());
    size_t n = task.docs().size();
    if (plan.eval.limit >= 0) n = std::min(n, static_cast<size_t>(plan.eval.limit));
    std::vector<size_t> pending;
    for (size_t d = 0; d < n; ++d) {
      if (!done.count(static_cast<int64_t>(d))) pending.push_back(d);
    }
    summary.samples_skipped += static_cast<int64_t>(n - pending.size());
    engine::EngineOptions engine_options = plan.engine;
    engine_options.show_progress = options.show_progress;
    engine::Engine engine(lm, engine_options);
    const bool record = plan.routing.mode != RoutingMode::None && lm->config().is_moe();
    for (size_t begin = 0; begin < pending.size(); begin += plan.docs_per_transaction) {
      std::vector<size_t> chunk(pending.begin() + begin,
                                pending.begin() + std::min(pending.size(), begin + plan.docs_per_transaction));
      eval::PreparedTask prepared = eval::prepare_task(task, plan.eval, chunk);
      RoutingRecorder recorder;
      std::vector<int64_t> doc_of_request;
      for (size_t k : prepared.flat_doc) doc_of_request.push_back(static_cast<int64_t>(prepared.docs[k]));
      recorder.set_request_docs(doc_of_request);
      auto responses = eval::run_requests(prepared, engine, record ? &recorder : nullptr);
      eval::TaskRun scored = eval::score_task(prepared, responses, sandbox.get());
      std::vector<SampleRecord> records;
      for (size_t k = 0; k < scored.prepared.docs.size(); ++k) {
        SampleRecord rec;
        rec.doc_id = static_cast<int64_t>(scored.prepared.docs[k]);
        rec.prompt = scored.prepared.contexts[k];
        rec.responses = scored.responses[k];
        rec.score = scored.scores[k];
        if (record) rec.routing = recorder.take(rec.doc_id);
        records.push_back(std::move(rec));
      }
      WriteResult written = store.write_samples(summary.run_id, model_id, task_id, records, plan.routing);
      summary.samples_written += written.inserted;
    }
    // Scores over every stored sample of the unit, whichever run wrote them.
    std::vector<eval::SampleScore> all;
    for (auto& [doc, score] : store.sample_scores(summary.run_id, model_id, task_id)) {
      all.push_back(std::move(score));
    }
    store.write_scores(summary.run_id, model_id, task_id, task.aggregate(all));
    ++summary.units;
  }
  store.finish_run(summary.run_id, RunStatus::Complete);
  return summary;
}

}  // namespace moebench::store
