#include "harness/eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "harness/util/error.h"

namespace moebench::eval {

size_t EvalConfig::limited_docs(size_t total) const {
  if (limit <= 0) return total;  // lm-eval: --limit 0 is no limit
  const double n = limit < 1.0 ? std::ceil(static_cast<double>(total) * limit) : std::floor(limit);
  return n >= static_cast<double>(total) ? total : static_cast<size_t>(n);
}

PreparedTask prepare_task(const Task& task, const EvalConfig& config, std::vector<size_t> docs) {
  PreparedTask p;
  p.task = &task;
  if (docs.empty()) {
    const size_t n = config.limited_docs(task.docs().size());
    for (size_t i = 0; i < n; ++i) docs.push_back(i);
  }
  p.docs = std::move(docs);
  const bool chat = config.chat != ChatFormat::None;
  for (size_t k = 0; k < p.docs.size(); ++k) {
    const size_t doc = p.docs[k];
    if (doc >= task.docs().size()) {
      fail_input(task.name(), "document {} does not exist ({} documents)", doc, task.docs().size());
    }
    p.contexts.push_back(task.context(doc, config.chat));
    p.requests.push_back(task.requests(doc, p.contexts.back(), chat));
    for (const Request& r : p.requests.back()) {
      p.flat.push_back(r);
      p.flat_doc.push_back(k);
    }
  }
  return p;
}

std::vector<std::vector<Response>> run_requests(const PreparedTask& prepared,
                                                engine::Engine& engine,
                                                model::RoutingSink* routing) {
  std::vector<Response> flat = engine.run(prepared.flat, prepared.task->name(), routing);
  std::vector<std::vector<Response>> per_doc(prepared.docs.size());
  for (size_t i = 0; i < flat.size(); ++i) per_doc[prepared.flat_doc[i]].push_back(std::move(flat[i]));
  return per_doc;
}

TaskRun score_task(PreparedTask prepared, std::vector<std::vector<Response>> responses,
                   const Sandbox* sandbox) {
  TaskRun run;
  run.scores = prepared.task->score(prepared.docs, responses, sandbox);
  run.metrics = prepared.task->aggregate(run.scores);
  run.prepared = std::move(prepared);
  run.responses = std::move(responses);
  return run;
}

TaskRun evaluate_task(const Task& task, engine::Engine& engine, const EvalConfig& config,
                      const Sandbox* sandbox, model::RoutingSink* routing) {
  const auto start = std::chrono::steady_clock::now();
  PreparedTask prepared = prepare_task(task, config);
  auto responses = run_requests(prepared, engine, routing);
  TaskRun run = score_task(std::move(prepared), std::move(responses), sandbox);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

namespace {

// A stored generation cut as a live one is (model/generation.cpp): before the
// earliest occurrence of any stop sequence, which is not part of the response.
// Engines that stop late, or not at all, would otherwise be scored on text
// after the stop (for code: tests of their own after "\nif __name__").
std::string cut_at_stop(const std::string& text, const std::vector<std::string>& until) {
  size_t cut = std::string::npos;
  for (const auto& stop : until)
    if (!stop.empty()) cut = std::min(cut, text.find(stop));
  return cut == std::string::npos ? text : text.substr(0, cut);
}

}  // namespace

std::vector<size_t> generation_docs(const Task& task,
                                    const std::map<size_t, std::vector<std::string>>& generations) {
  if (task.spec().output_type != OutputType::GenerateUntil) {
    fail_input(task.name(), "--generations scores generate_until tasks; this one is {}",
               to_string(task.spec().output_type));
  }
  std::vector<size_t> docs;
  for (const auto& [doc, texts] : generations) {
    if (doc >= task.docs().size()) {
      fail_input(task.name(), "generation for document {}: the task has {} documents", doc,
                 task.docs().size());
    }
    docs.push_back(doc);
  }
  if (docs.empty()) fail_input(task.name(), "no stored generation belongs to this task");
  return docs;
}

std::vector<std::vector<Response>> generation_responses(
    const PreparedTask& prepared, const std::map<size_t, std::vector<std::string>>& generations) {
  const Task& task = *prepared.task;
  std::vector<std::vector<Response>> responses(prepared.docs.size());
  for (size_t k = 0; k < prepared.docs.size(); ++k) {
    const auto& texts = generations.at(prepared.docs[k]);
    const size_t expected = prepared.requests[k].size();
    if (texts.size() != expected) {
      fail_input(task.name(), "document {}: {} stored generations, the task expects {} (repeats)",
                 prepared.docs[k], texts.size(), expected);
    }
    for (size_t j = 0; j < texts.size(); ++j) {
      const std::string text = cut_at_stop(texts[j], prepared.requests[k][j].until);
      responses[k].push_back(Response{0, false, text, 0});
    }
  }
  return responses;
}

TaskRun score_generations(const Task& task,
                          const std::map<size_t, std::vector<std::string>>& generations,
                          const EvalConfig& config, const Sandbox* sandbox) {
  PreparedTask prepared = prepare_task(task, config, generation_docs(task, generations));
  auto responses = generation_responses(prepared, generations);
  return score_task(std::move(prepared), std::move(responses), sandbox);
}

}  // namespace moebench::eval
