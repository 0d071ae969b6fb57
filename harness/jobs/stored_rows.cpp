#include "harness/jobs/stored_rows.h"

namespace moebench::jobs {

std::vector<store::SampleResponse> stored_responses(const std::vector<eval::Response>& responses) {
  std::vector<store::SampleResponse> out;
  out.reserve(responses.size());
  for (const eval::Response& r : responses) out.push_back({r.logprob, r.is_greedy, r.text, r.tokens});
  return out;
}

std::vector<eval::Response> eval_responses(const std::vector<store::SampleResponse>& responses) {
  std::vector<eval::Response> out;
  out.reserve(responses.size());
  for (const store::SampleResponse& r : responses) out.push_back({r.logprob, r.is_greedy, r.text, r.tokens});
  return out;
}

store::SampleScore stored_score(const eval::SampleScore& s) {
  return {s.metrics, s.weights, s.filtered, s.program_results, s.target};
}

eval::SampleScore eval_score(const store::SampleScore& s) {
  return {s.metrics, s.weights, s.filtered, s.program_results, s.target};
}

std::map<std::string, store::MetricScore> stored_metrics(
    const std::map<std::string, eval::MetricResult>& metrics) {
  std::map<std::string, store::MetricScore> out;
  for (const auto& [key, m] : metrics) out[key] = {m.value, m.stderr_value, m.n, m.higher_is_better};
  return out;
}

}  // namespace moebench::jobs
