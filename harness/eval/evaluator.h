// Running a task on a model: documents -> requests (prepare), requests ->
// responses through the engine (run), responses -> scores (score). Split in
// three so callers can watch routing per document (the request -> document
// map is known before the model runs) and score generations of other engines.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/engine/engine.h"
#include "harness/eval/chat_template.h"
#include "harness/eval/task.h"

namespace moebench::eval {

struct EvalConfig {
  // lm-eval's --limit: the first N documents of each task, or below 1.0 that
  // fraction of them (rounded up); 0 or negative: every document.
  double limit = -1;
  ChatFormat chat = ChatFormat::None; // --chat-template
  // How many of a task's `total` documents are evaluated.
  size_t limited_docs(size_t total) const;
};

// A task's documents turned into requests.
struct PreparedTask {
  const Task* task = nullptr;
  std::vector<size_t> docs;                   // evaluated document indices
  std::vector<std::string> contexts;          // per evaluated document
  std::vector<std::vector<Request>> requests; // per evaluated document
  std::vector<Request> flat;                  // all requests, document by document
  std::vector<size_t> flat_doc;               // flat[i] belongs to docs[flat_doc[i]]
};

struct TaskRun {
  PreparedTask prepared;
  std::vector<std::vector<Response>> responses;  // per evaluated document
  std::vector<SampleScore> scores;               // per evaluated document
  std::map<std::string, MetricResult> metrics;
  double seconds = 0;
};

// Requests of `docs` (all documents up to config.limit when empty).
PreparedTask prepare_task(const Task& task, const EvalConfig& config,
                          std::vector<size_t> docs = {});
// Runs the requests; routing events carry row_request = index into prepared.flat.
std::vector<std::vector<Response>> run_requests(const PreparedTask& prepared,
                                                engine::Engine& engine,
                                                model::RoutingSink* routing = nullptr);
// Filters and metrics of every evaluated document, and their aggregate.
TaskRun score_task(PreparedTask prepared, std::vector<std::vector<Response>> responses,
                   const Sandbox* sandbox);

// prepare + run + score.
TaskRun evaluate_task(const Task& task, engine::Engine& engine, const EvalConfig& config,
                      const Sandbox* sandbox, model::RoutingSink* routing = nullptr);

// Responses for stored generations: `generations` maps a document id to its
// responses (several for pass@k with repeats); documents without one are
// skipped. Each is cut before its first stop sequence (generation_kwargs
// `until`), as a live generation would have been. Throws InputError for an id outside the task or a task that does
// not generate.
// The two halves of score_generations, for callers that prepare and store in
// batches: the documents that have generations (validated as below), and the
// responses of a prepared batch of them.
std::vector<size_t> generation_docs(const Task& task,
                                    const std::map<size_t, std::vector<std::string>>& generations);
std::vector<std::vector<Response>> generation_responses(
    const PreparedTask& prepared, const std::map<size_t, std::vector<std::string>>& generations);
TaskRun score_generations(const Task& task, const std::map<size_t, std::vector<std::string>>& generations,
                          const EvalConfig& config, const Sandbox* sandbox);

}  // namespace moebench::eval
