#include "harness/util/group_mean.h"

#include <cmath>
#include <limits>

namespace moebench {

GroupMean group_mean(const std::vector<MemberScore>& members, bool weight_by_size) {
  GroupMean out;
  double num = 0, den = 0;
  bool any_nan = false;
  std::vector<double> stderrs;
  std::vector<int64_t> sizes;
  for (const MemberScore& m : members) {
    const double w = weight_by_size ? static_cast<double>(m.n) : 1.0;
    num += m.value * w;
    den += w;
    any_nan = any_nan || std::isnan(m.stderr_value);
    stderrs.push_back(m.stderr_value);
    sizes.push_back(m.n);
    out.n += m.n;
  }
  out.value = num / den;
  out.stderr_value = any_nan ? std::numeric_limits<double>::quiet_NaN() : pooled_stderr(stderrs, sizes);
  return out;
}

double pooled_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes) {
  double numerator = 0, total = 0;
  for (size_t i = 0; i < stderrs.size(); ++i) {
    const double size = static_cast<double>(sizes[i]);
    numerator += (size - 1) * stderrs[i] * stderrs[i] * size;
    total += size;
  }
  const double pooled_var = numerator / (total - static_cast<double>(sizes.size()));
  return std::sqrt(pooled_var / total);
}

}  // namespace moebench
