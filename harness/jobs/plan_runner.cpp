#include "harness/jobs/plan_runner.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <set>

#include "harness/eval/results_json.h"
#include "harness/eval/sandbox.h"
#include "harness/jobs/model_loader.h"
#include "harness/jobs/plan_check.h"
#include "harness/jobs/routing_recorder.h"
#include "harness/jobs/token_pieces.h"
#include "harness/jobs/stored_rows.h"
#include "harness/util/error.h"
#include "harness/util/interrupt.h"
#include "harness/util/text.h"

namespace moebench::jobs {
namespace {

std::string default_run_key(const RunPlan& plan) {
  const auto today = std::chrono::system_clock::now();
  return fmt::format("{}@{}@{:%Y-%m-%d}", plan.name, plan.hash,
                     fmt::gmtime(std::chrono::system_clock::to_time_t(today)));
}

store::RunInfo run_info(const RunPlan& plan, const PlanRunOptions& options) {
  store::RunInfo run;
  run.run_key = options.run_key.empty() ? default_run_key(plan) : options.run_key;
  run.plan = plan.file.string();
  run.plan_hash = plan.hash;
  run.git_revision = MOEBENCH_GIT_REVISION;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  run.host = host;
  run.device = plan.open.load.device;
  run.dtype = plan.open.load.dtype;
  if (options.shard_count > 1) run.shard = fmt::format("{}/{}", options.shard_index, options.shard_count);
  const auto seed = [](int64_t s) { return s < 0 ? nlohmann::json() : nlohmann::json(s); };
  run.settings = {{"limit", plan.eval.limit >= 0 ? nlohmann::json(plan.eval.limit) : nlohmann::json()},
                  {"batch_size", plan.batch_size_text},
                  {"routing", store::routing_mode_name(plan.routing.mode)},
                  {"routing_token_cap", plan.routing.token_cap},
                  {"chat_template", eval::to_string(plan.eval.chat)},
                  {"add_bos_token", plan.engine.add_bos_token},
                  {"num_fewshot", plan.tasks.num_fewshot >= 0 ? nlohmann::json(plan.tasks.num_fewshot) : nlohmann::json()},
                  {"gen_kwargs", plan.tasks.gen_kwargs},
                  {"random_seed", seed(plan.seeds[0])}, {"numpy_seed", seed(plan.seeds[1])},
                  {"torch_seed", seed(plan.seeds[2])}, {"fewshot_seed", seed(plan.seeds[3])}};
  return run;
}

store::TaskInfo task_info(const eval::LoadedTasks& tasks, size_t index) {
  const eval::Task& task = tasks.tasks[index];
  store::TaskInfo t;
  t.name = task.name();
  t.config = eval::task_config_json(task.spec());
  t.spec_hash = fingerprint(t.config.dump());
  const int suite = tasks.suite_of_task[index];
  t.suite = suite >= 0 ? tasks.suites[suite].group : "";
  t.version = task.spec().metadata.value("version", nlohmann::json(1)).dump();
  t.output_type = eval::to_string(task.spec().output_type);
  t.num_docs = static_cast<int64_t>(task.docs().size());
  return t;
}

store::SuiteInfo suite_info(const eval::SuiteSpec& suite) {
  store::SuiteInfo s;
  s.name = suite.group;
  s.alias = suite.group_alias;
  s.version = suite.metadata.value("version", nlohmann::json(nullptr)).dump();
  for (const auto& spec : suite.tasks) s.tasks.push_back(spec.task);
  for (const auto& a : suite.aggregate_metric_list) s.aggregate.push_back({a.metric, a.filter_list, a.weight_by_size});
  nlohmann::json text = {{"tasks", s.tasks}, {"version", s.version}};
  for (const auto& a : s.aggregate) text["aggregate"].push_back({a.metric, a.filters, a.weight_by_size});
  s.spec_hash = fingerprint(text.dump());
  return s;
}

// The command that continues this run, with its key spelled out so that a
// resume tomorrow does not start a new run under tomorrow's default key.
std::string resume_command(const PlanRunOptions& options, const std::string& run_key) {
  if (options.resume_command.find("--run-name") != std::string::npos) return options.resume_command;
  return options.resume_command + " --run-name " + shell_quote(run_key);
}

// A run key names one plan with one set of settings: resuming it with others
// would mix two experiments in one run.
void check_resumable(store::ResultsStore& store, const store::RunInfo& run) {
  for (const store::RunRow& r : store.runs())
    if (r.run_key == run.run_key && r.plan_hash != run.plan_hash)
      fail_input(store.file(), "run '{}' was made from another plan or other settings (hash {}, now {}); "
                 "give this one another --run-name", run.run_key, r.plan_hash, run.plan_hash);
}

// What one unit's responses come from: the loaded model, or stored generations.
struct Responder {
  std::shared_ptr<const model::LanguageModel> lm;
  std::unique_ptr<engine::Engine> engine;
  Generations generations;
  // The model as loaded (lm may be it forced to one expert), and that expert.
  std::shared_ptr<const model::LanguageModel> routed;
  int forced = -1;

  // Answers with `routed` forced to `expert` (-1: routed), keeping the engine
  // when nothing changes: an oracle plan switches experts only between suites.
  void use_expert(int expert, const std::string& model_name, const engine::EngineOptions& options) {
    if (engine && expert == forced) return;
    if (expert < 0)
      lm = routed;
    else
      lm = routed->with_forced_expert(expert, model_name);
    forced = expert;
    engine = std::make_unique<engine::Engine>(lm, options);
  }

  // The unit's documents: the first `limit` (lm-eval's --limit), or those with stored generations.
  std::vector<size_t> docs(const eval::Task& task, const eval::EvalConfig& config) const {
    if (!lm) return eval::generation_docs(task, generations.at(task.name()));
    std::vector<size_t> out(config.limited_docs(task.docs().size()));
    for (size_t d = 0; d < out.size(); ++d) out[d] = d;
    return out;
  }
};

// One transaction's worth of documents: answered, scored and made into rows.
struct Batch {
  std::vector<store::SampleRecord> records;
  int64_t requests = 0, truncated = 0;  // requests made, and how many were cut to fit the context
};

Batch run_batch(const eval::Task& task, const RunPlan& plan, Responder& responder, std::vector<size_t> docs,
                const eval::Sandbox* sandbox, bool record_routing) {
  Batch batch;
  eval::PreparedTask prepared = eval::prepare_task(task, plan.eval, std::move(docs));
  RoutingRecorder recorder;
  std::vector<int64_t> doc_of_request;
  for (size_t k : prepared.flat_doc) doc_of_request.push_back(static_cast<int64_t>(prepared.docs[k]));
  recorder.set_request_docs(doc_of_request);
  auto responses = responder.engine
                       ? eval::run_requests(prepared, *responder.engine, record_routing ? &recorder : nullptr)
                       : eval::generation_responses(prepared, responder.generations.at(task.name()));
  if (responder.engine) batch.truncated = responder.engine->take_truncated();
  batch.requests = static_cast<int64_t>(prepared.flat.size());
  const eval::TaskRun scored = eval::score_task(std::move(prepared), std::move(responses), sandbox);
  for (size_t k = 0; k < scored.prepared.docs.size(); ++k) {
    const size_t doc = scored.prepared.docs[k];
    store::SampleRecord rec;
    rec.doc_id = static_cast<int64_t>(doc);
    rec.prompt = scored.prepared.contexts[k];
    rec.responses = stored_responses(scored.responses[k]);
    rec.score = stored_score(scored.scores[k]);
    const eval::SampleHashes hashes = eval::sample_hashes(task, doc, scored.prepared.requests[k]);
    rec.doc_hash = hashes.doc_hash;
    rec.prompt_hash = hashes.prompt_hash;
    rec.target_hash = hashes.target_hash;
    if (record_routing) {
      rec.routing = recorder.take(rec.doc_id);
      // The token view's text; only a token-by-token log keeps it.
      if (plan.routing.mode == store::RoutingMode::Tokens)
        rec.routing.pieces = token_pieces(responder.lm->tokenizer(), rec.routing.token_ids);
    }
    batch.records.push_back(std::move(rec));
  }
  return batch;
}

}  // namespace

PlanRunSummary run_plan(const RunPlan& plan, const eval::LoadedTasks& tasks, const PlanRunOptions& options,
                        store::ResultsStore& store) {
  std::unique_ptr<eval::Sandbox> sandbox;
  if (eval::needs_sandbox(tasks.tasks)) {
    eval::SandboxOptions sandbox_options;
    sandbox_options.allow_unsandboxed = options.allow_unsandboxed_code;
    sandbox_options.workers = options.sandbox_workers;
    sandbox = std::make_unique<eval::Sandbox>(sandbox_options);
    std::cerr << "code sandbox: " << sandbox->describe() << "\n";
  }
  const std::vector<WorkUnit> units =
      shard_units(plan.models.size(), tasks.tasks.size(), options.shard_index, options.shard_count);
  int64_t total_docs = 0;
  for (const WorkUnit& u : units) total_docs += static_cast<int64_t>(plan.eval.limited_docs(tasks.tasks[u.task].docs().size()));

  PlanRunSummary summary;
  const store::RunInfo run = run_info(plan, options);
  summary.run_key = run.run_key;
  check_resumable(store, run);
  InterruptScope interrupt;
  summary.run_id = store.begin_run(run);
  std::vector<int64_t> suite_ids;
  for (const auto& suite : tasks.suites) suite_ids.push_back(store.upsert_suite(suite_info(suite)));
  PlanProgress progress(static_cast<int64_t>(units.size()), total_docs, options.progress);
  for (const std::string& note : plan.notes) progress.note("note: " + note);
  try {
    ModelLoader loader(plan.open);
    Responder responder;
    size_t loaded = SIZE_MAX;
    store::ModelInfo minfo;
    int64_t model_id = 0;
    engine::EngineOptions engine_options = plan.engine;
    engine_options.show_progress = false;  // the plan's progress shows documents
    std::set<std::pair<size_t, std::string>> skipped_suites;  // (model, suite) already noted
    for (const WorkUnit& unit : units) {
      if (InterruptScope::requested()) break;  // before loading another model
      const PlanModel& pm = plan.models[unit.model];
      const eval::Task& task = tasks.tasks[unit.task];
      if (loaded != unit.model) {
        responder = Responder{};  // free the previous model first
        if (pm.generations.empty()) {
          OpenedModel opened = loader.open(pm);
          responder.routed = std::move(opened.lm);
          summary.timings.push_back({unit.model, opened.load_seconds, opened.gate_seconds, 0});
        } else {
          loader.release();
          responder.generations = read_generations(pm.generations);
          summary.timings.push_back({unit.model, 0, 0, 0});
        }
        loaded = unit.model;
        minfo = plan_model_info(pm, responder.routed.get());
        // check_plan made sure the label is one of the recipe's experts.
        if (responder.routed)
          responder.use_expert(pm.force_expert.empty() ? -1 : expert_index(minfo, pm.force_expert), pm.name,
                               engine_options);
        model_id = store.upsert_model(minfo);
        summary.model_ids.emplace_back(unit.model, model_id);
      }
      store::TaskInfo tinfo = task_info(tasks, unit.task);
      const int suite = tasks.suite_of_task[unit.task];
      if (suite >= 0)
        tinfo.expected_expert = expected_expert_label(pm, minfo, tinfo.suite, tasks.suites[suite].expected_expert);
      if (pm.force_experts) {
        const int expert = expert_index(minfo, tinfo.expected_expert);
        if (expert < 0) {
          const int64_t n = static_cast<int64_t>(plan.eval.limited_docs(task.docs().size()));
          // Counted as done (not as stored: nothing was) so the bar still ends at 100%.
          progress.begin_unit(pm.name, task.name(), n);
          progress.advance(n);
          if (skipped_suites.insert({unit.model, tinfo.suite}).second)
            progress.note(fmt::format("note: {}: suite '{}' expects no expert of the recipe, so its oracle run "
                                      "(force_experts) skips it; name one in expected_experts", pm.name,
                                      tinfo.suite.empty() ? task.name() : tinfo.suite));
          progress.end_unit();
          ++summary.units;
          continue;
        }
        responder.use_expert(expert, pm.name, engine_options);
      }
      const int64_t task_id = store.upsert_task(tinfo);

      // What is left of this unit, in document order.
      const std::vector<size_t> docs = responder.docs(task, plan.eval);
      const std::vector<int64_t> stored = store.stored_doc_ids(summary.run_id, model_id, task_id);
      const std::set<int64_t> done(stored.begin(), stored.end());
      std::vector<size_t> pending;
      for (size_t d : docs)
        if (!done.count(static_cast<int64_t>(d))) pending.push_back(d);
      summary.samples_skipped += static_cast<int64_t>(docs.size() - pending.size());
      progress.begin_unit(pm.name, task.name(), static_cast<int64_t>(docs.size()),
                          static_cast<int64_t>(docs.size() - pending.size()));

      const auto unit_start = std::chrono::steady_clock::now();
      const bool record = responder.lm && plan.routing.mode != store::RoutingMode::None && responder.lm->config().is_moe();
      int64_t truncated = 0, requests = 0;
      for (size_t begin = 0; begin < pending.size() && !InterruptScope::requested(); begin += plan.docs_per_transaction) {
        const size_t end = std::min(pending.size(), begin + plan.docs_per_transaction);
        Batch batch = run_batch(task, plan, responder, {pending.begin() + begin, pending.begin() + end},
                                sandbox.get(), record);
        truncated += batch.truncated;
        requests += batch.requests;
        summary.samples_written +=
            store.write_samples(summary.run_id, model_id, task_id, batch.records, plan.routing).inserted;
        progress.advance(static_cast<int64_t>(batch.records.size()));
      }
      if (truncated > 0)
        progress.note(fmt::format("warning: {}: {} of {} requests did not fit {}'s context of {} tokens and were "
                                  "cut from the left",
                                  task.name(), truncated, requests, pm.name, responder.lm->max_length()));
      // Scores over every stored sample of the unit, whichever process wrote them.
      std::vector<eval::SampleScore> all;
      for (auto& [doc, score] : store.sample_scores(summary.run_id, model_id, task_id)) all.push_back(eval_score(score));
      store.write_scores(summary.run_id, model_id, task_id, stored_metrics(task.aggregate(all)));
      if (suite >= 0) store.update_suite_scores(summary.run_id, model_id, suite_ids[suite]);
      summary.timings.back().eval_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - unit_start).count();
      progress.end_unit();
      if (InterruptScope::requested()) break;
      ++summary.units;
    }
  } catch (...) {
    try {
      store.finish_run(summary.run_id, store::RunStatus::Failed);
    } catch (...) {
    }
    throw;
  }
  if (InterruptScope::requested()) {
    store.finish_run(summary.run_id, store::RunStatus::Interrupted);
    std::string message =
        store.file() == ":memory:"
            ? fmt::format("run '{}' interrupted; it was in memory, so nothing was kept (give --db FILE to keep "
                          "and resume a run)", summary.run_key)
            : fmt::format("run '{}' interrupted; {} samples stored, none lost", summary.run_key,
                          summary.samples_written);
    if (store.file() != ":memory:" && !options.resume_command.empty())
      message += "; resume it with: " + resume_command(options, summary.run_key);
    throw Interrupted(InterruptScope::signal(), message);
  }
  store.finish_run(summary.run_id, store::RunStatus::Complete);
  progress.finish();
  return summary;
}

PlanRunSummary run_plan(const RunPlan& plan, const PlanRunOptions& options, const std::filesystem::path& db) {
  const eval::LoadedTasks tasks = check_plan(plan);
  store::ResultsStore store = store::ResultsStore::open(db);  // only now: a bad plan creates no file
  return run_plan(plan, tasks, options, store);
}

}  // namespace moebench::jobs
