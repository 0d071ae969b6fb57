// Whether shard databases hold finished runs, before `db merge` builds a
// leaderboard from them. A shard that is still running (or was killed),
// interrupted or failed holds part of its (model, task) units; a shard that
// none of the databases reports holds none. Merged, either gives scores that
// look complete and are not, so the merge refuses them unless asked for a
// partial result.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/store/sqlite_db.h"

namespace moebench::store {

// One shard of one run that is not complete.
struct ShardGap {
  std::string run_key;
  std::string shard;   // "i/N", or "" for an unsharded run
  std::string status;  // running | interrupted | failed; "" when no database reports the shard
  std::string file;    // the database with the newest report of the shard; "" when none has it
};

// The run_shards rows of several databases, the newest report of each
// (run_key, shard) kept, as a merge of them would keep it.
class ShardReports {
 public:
  // Reads `db`'s shards. Only the runs of a `merging` database are checked:
  // a merge target may hold older runs that none of its sources touches.
  void add(Database& db, bool merging);
  // Every shard of a checked run that is not complete, and for a run sharded
  // i/N, every i of N that no database reports; in run_key and shard order.
  std::vector<ShardGap> gaps() const;

 private:
  struct Report {
    std::string status, updated_at, file;
  };
  std::map<std::string, std::map<std::string, Report>> runs_;  // run_key -> shard -> newest report
  std::set<std::string> merging_;
};

// One line naming each gap (at most `limit`, then how many more) and what to do.
std::string describe_shard_gaps(const std::vector<ShardGap>& gaps, size_t limit = 5);

}  // namespace moebench::store
