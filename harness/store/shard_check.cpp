#include "harness/store/shard_check.h"

#include <charconv>

namespace moebench::store {

namespace {

// "i/N" -> N, or 0 for "" and anything else (a hand-made label is only
// checked for its status).
int64_t shard_count(const std::string& shard) {
  const size_t slash = shard.find('/');
  if (slash == std::string::npos) return 0;
  int64_t count = 0;
  const char* end = shard.data() + shard.size();
  auto [ptr, ec] = std::from_chars(shard.data() + slash + 1, end, count);
  return ec == std::errc() && ptr == end && count > 0 ? count : 0;
}

std::string describe(const ShardGap& gap) {
  const std::string what = gap.shard.empty() ? "run '" + gap.run_key + "'"
                                             : "run '" + gap.run_key + "' shard " + gap.shard;
  if (gap.status.empty()) return what + " is in none of the databases given";
  const std::string status =
      gap.status == "running" ? "still running (or its process was killed)" : gap.status;
  return gap.file + ": " + what + " is " + status + ", not complete";
}

}  // namespace

void ShardReports::add(Database& db, bool merging) {
  auto q = db.prepare(
      "SELECT r.run_key, s.shard, s.status, s.updated_at"
      " FROM run_shards s JOIN runs r USING (run_id)");
  while (q.step()) {
    const std::string key = q.text(0);
    Report& report = runs_[key][q.text(1)];
    // The newer report of a shard wins, as in the merge itself.
    if (report.updated_at.empty() || q.text(3) > report.updated_at)
      report = {q.text(2), q.text(3), db.file()};
    if (merging) merging_.insert(key);
  }
}

std::vector<ShardGap> ShardReports::gaps() const {
  std::vector<ShardGap> out;
  for (const std::string& key : merging_) {
    const auto& shards = runs_.at(key);
    std::set<int64_t> counts;
    for (const auto& [shard, report] : shards) {
      if (report.status != "complete") out.push_back({key, shard, report.status, report.file});
      if (int64_t n = shard_count(shard)) counts.insert(n);
    }
    // N comes from a file and may be absurd: the walk from 0 stops at the
    // hundredth shard missing.
    for (int64_t n : counts) {
      int64_t missing = 0;
      for (int64_t i = 0; i < n && missing < 100; ++i) {
        const std::string shard = std::to_string(i) + "/" + std::to_string(n);
        if (!shards.count(shard)) {
          out.push_back({key, shard, "", ""});
          ++missing;
        }
      }
    }
  }
  return out;
}

std::string describe_shard_gaps(const std::vector<ShardGap>& gaps, size_t limit) {
  std::string text;
  for (size_t i = 0; i < gaps.size() && i < limit; ++i) text += (i ? "; " : "") + describe(gaps[i]);
  if (gaps.size() > limit) text += "; and " + std::to_string(gaps.size() - limit) + " more";
  return text + ". Merge once every shard is complete (run or resume a shard with "
                "`moebench run PLAN --shard i/N --run-name KEY` on its database), "
                "or give --allow-incomplete to merge what is there";
}

}  // namespace moebench::store
