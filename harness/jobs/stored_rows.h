// The evaluation's results as the store's rows, and back: the store keeps its
// own plain structs so that it never depends on the engine or the tasks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/eval/task.h"
#include "harness/store/store_records.h"

namespace moebench::jobs {

std::vector<store::SampleResponse> stored_responses(const std::vector<eval::Response>& responses);
std::vector<eval::Response> eval_responses(const std::vector<store::SampleResponse>& responses);
store::SampleScore stored_score(const eval::SampleScore& score);
eval::SampleScore eval_score(const store::SampleScore& score);
std::map<std::string, store::MetricScore> stored_metrics(
    const std::map<std::string, eval::MetricResult>& metrics);

}  // namespace moebench::jobs
