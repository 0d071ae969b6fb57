#include "harness/jobs/eval_job.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "harness/eval/results_json.h"
#include "harness/jobs/plan_check.h"
#include "harness/jobs/stored_rows.h"
#include "harness/store/results_document.h"
#include "harness/store/score_table.h"

namespace moebench::jobs {
namespace {

// lm-eval's sample records of one task: every stored sample, once per filter.
std::vector<nlohmann::ordered_json> sample_records(store::ResultsStore& store, int64_t run, int64_t model, const std::string& task_name,
                         const eval::Task& task, const eval::EvalConfig& config) {
  auto find = store.database().prepare(
      "SELECT DISTINCT t.task_id FROM samples s JOIN tasks t USING (task_id)"
      " WHERE s.run_id = ? AND s.model_id = ? AND t.name = ? ORDER BY t.task_id DESC LIMIT 1");
  find.bind_all(run, model, task_name);
  if (!find.step()) return {};
  const int64_t task_id = find.int64(0);
  const auto stored = store.stored_samples(run, model, task_id);
  std::vector<size_t> docs;
  for (const auto& s : stored) docs.push_back(static_cast<size_t>(s.doc_id));
  const eval::PreparedTask prepared = eval::prepare_task(task, config, docs);
  std::vector<nlohmann::ordered_json> records;
  for (const std::string& filter : task.filter_names()) {
    for (size_t k = 0; k < stored.size(); ++k) {
      const eval::SampleHashes hashes{stored[k].doc_hash, stored[k].prompt_hash, stored[k].target_hash};
      records.push_back(eval::sample_record(task, docs[k], prepared.requests[k], eval_responses(stored[k].responses),
                                            eval_score(stored[k].score), filter, hashes));
    }
  }
  return records;
}

}  // namespace

EvalOutcome run_eval(EvalJob job, bool with_samples) {
  PlanModel m;
  m.path = job.model;
  m.generations = job.generations;
  m.name = job.generations.empty() ? job.model : "generations:" + job.generations;
  m.force_expert = job.force_expert;
  if (!job.force_expert.empty()) m.gate_variant = "forced:" + job.force_expert;
  // --gates: the runner opens each plan model with its own gates file, as a
  // plan's `gates:` key does, and labels the variant by the file's stem.
  m.gates_file = job.plan.open.gates_file;
  if (!m.gates_file.empty() && m.gate_variant.empty()) {
    m.gate_variant = std::filesystem::path(m.gates_file).stem().string();
  }
  job.plan.models = {m};
  job.plan.name = "eval";
  if (job.plan.hash.empty()) job.plan.hash = fingerprint(m.name);
  const eval::LoadedTasks tasks = check_plan(job.plan);
  auto store = job.db.empty() ? store::ResultsStore::open_in_memory() : store::ResultsStore::open(job.db);
  const PlanRunSummary summary = run_plan(job.plan, tasks, job.run, store);
  const int64_t model_id = summary.model_ids.at(0).second;

  EvalOutcome out;
  out.run_key = summary.run_key;
  out.results = store::results_document(store, summary.run_id, model_id);
  out.table = store::score_table(out.results);
  if (with_samples)
    for (const eval::Task& task : tasks.tasks)
      out.samples.emplace_back(task.name(),
                               sample_records(store, summary.run_id, model_id, task.name(), task, job.plan.eval));
  return out;
}

OutputFiles lm_eval_output_files(const std::filesystem::path& output_path, const std::string& model_name,
                                 const std::vector<std::string>& tasks, const std::string& date_id) {
  OutputFiles out;
  std::filesystem::path dir;
  if (output_path.extension() == ".json") {
    dir = output_path.parent_path();
    out.results = dir / (output_path.stem().string() + "_" + date_id + ".json");
  } else {
    dir = output_path / store::sanitized_model_name(model_name);
    out.results = dir / ("results_" + date_id + ".json");
  }
  for (const std::string& task : tasks) out.samples[task] = dir / ("samples_" + task + "_" + date_id + ".jsonl");
  return out;
}

std::string lm_eval_date_id() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm local{};
  localtime_r(&t, &local);
  return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:06}", local.tm_year + 1900, local.tm_mon + 1,
                     local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, micros);
}

}  // namespace moebench::jobs
