// A group's score from its members' scores, as lm-evaluation-harness
// consolidates a group (evaluator_utils.consolidate_group_results): the mean
// of the members' values, weighted by their sizes or not, and the pooled
// standard error. Shared by the suites (eval) and the stored suite scores (store).
#pragma once

#include <cstdint>
#include <vector>

namespace moebench {

struct MemberScore {
  double value = 0, stderr_value = 0;  // stderr NaN when the member has none
  int64_t n = 0;                       // documents
};

struct GroupMean {
  double value = 0, stderr_value = 0;  // stderr NaN when any member's is NaN
  int64_t n = 0;                       // documents over all members
};

// REQUIRES: !members.empty().
GroupMean group_mean(const std::vector<MemberScore>& members, bool weight_by_size);

// lm-eval's pooled_sample_stderr: the pooled variance of groups of the given
// sizes with the given standard errors, as the standard error of their union.
double pooled_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes);

}  // namespace moebench
