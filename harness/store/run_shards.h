// The processes that make up a run: one run_shards row per `--shard i/N` (or
// '' unsharded), each with its own host, device, status and times. The runs
// row's status, times, hosts, devices and shard list summarise these rows,
// so a run is complete only when every shard that took part is, and merging
// a shard again (later, further along) updates its row instead of sticking
// at the status it had when first merged.
#pragma once

#include <cstdint>
#include <string>

#include "harness/store/sqlite_db.h"

namespace moebench::store {

struct RunShard {
  std::string shard, host, device, status;
  std::string started_at, finished_at;  // finished_at empty while running
  std::string updated_at;               // when this row last changed (merge keeps the newest)
};

// Inserts or replaces (run, shard.shard); REQUIRES: a write transaction.
void put_run_shard(Database& db, int64_t run, const RunShard& shard);
// Marks (run, shard) running again, keeping its start (a resumed process).
// Returns false when there is no such row.
bool resume_run_shard(Database& db, int64_t run, const std::string& shard,
                      const std::string& host, const std::string& device, const std::string& now);
// Sets (run, shard)'s status; false when there is no such row.
bool finish_run_shard(Database& db, int64_t run, const std::string& shard,
                      const std::string& status, const std::string& now);
// The updated_at of (run, shard), or "" when absent.
std::string run_shard_updated_at(Database& db, int64_t run, const std::string& shard);
// Recomputes the runs row of `run` from its shards: failed if any failed,
// else running if any runs, else interrupted if any was, else complete; earliest start; latest finish
// (none while running); hosts, devices and shards listed in shard order.
void summarise_run(Database& db, int64_t run);

}  // namespace moebench::store
