// The parts of lm-evaluation-harness's output files that come from a task
// itself: its "configs" entry, and the per-sample records of samples_<task>.jsonl
// with their hashes (lm-eval v0.4.9, evaluator.py evaluate() and
// loggers/evaluation_tracker.py save_results_samples). The results file as a
// whole is built from the database (store/results_document.h).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/eval/task.h"

namespace moebench::eval {

// The "configs" entry of a task: its spec with lm-eval's key names.
nlohmann::json task_config_json(const TaskSpec& spec);

// lm-eval's hashes of a sample (utils.hash_string = sha256 hex): the document
// as json.dumps(doc, indent=2, ensure_ascii=False) writes it (keys in our
// documents' order, which is sorted), the first request's context (a rolling
// request's text), and str(target).
struct SampleHashes {
  std::string doc_hash, prompt_hash, target_hash;
};
SampleHashes sample_hashes(const Task& task, size_t doc_id, const std::vector<Request>& requests);

// lm-eval's per-sample record of document `doc_id` for one filter pipeline, in
// its key order: doc_id, doc, target, arguments ({"gen_args_N": {"arg_0":
// context, "arg_1": continuation or generation kwargs}}), resps and
// filtered_resps (every leaf a string, as lm-eval's sanitize_list writes them),
// filter, metrics (names), doc_hash, prompt_hash, target_hash, and each
// metric's value under its name.
nlohmann::ordered_json sample_record(const Task& task, size_t doc_id, const std::vector<Request>& requests,
                                     const std::vector<Response>& responses, const SampleScore& score,
                                     const std::string& filter, const SampleHashes& hashes = {});

}  // namespace moebench::eval
