// `moebench db merge`: combines results databases (the shards of one nightly
// plan, each written by its own `moebench run --shard i/N`) into one.
//
// Identity, not ids, decides what is the same: runs by run_key, models by
// (name, content_hash, gate_variant), tasks by (name, spec_hash), samples by
// (run, model, task, doc_id). Ids are remapped. Per (run, model, task):
//   - the source's documents are all in the target already: nothing changes
//     (so merging the same shard twice is a no-op);
//   - the target's are a subset of the source's (new, or a shard merged
//     earlier while it was still running): the missing samples and their
//     routing rows are copied, and the aggregates and scores are replaced by
//     the source's, which cover every one of those samples;
//   - each holds documents the other lacks: refused (aggregates cannot be
//     split per sample), naming the run, model and task.
// Runs with one key become one run; each source's run_shards rows join it
// (the newer report of a shard replacing an older one), and the run's status,
// times, hosts and shard list are recomputed from them (run_shards.h).
// `moebench db merge` also refuses sources whose runs are not finished
// (shard_check.h) unless told to merge what is there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "harness/store/results_store.h"

namespace moebench::store {

struct MergeStats {
  int64_t runs_added = 0, models_added = 0, tasks_added = 0;
  int64_t samples_added = 0;   // copied with their routing rows
  int64_t samples_present = 0; // already in the target (same identity): kept as they were
  int64_t groups_updated = 0;  // (run, model, task) whose aggregates/scores came from a source
};

struct MergeOptions {
  // false: refuse when a run in the sources has a shard that is not complete
  // (running, interrupted, failed) or, sharded i/N, a shard that neither the
  // sources nor an existing target report. true: merge what is there, a
  // partial leaderboard that a later merge of the same shards completes.
  bool allow_incomplete = false;
};

// Merges `sources` into `target`, each source in one transaction (a failure
// leaves the target as it was before that source). Throws StoreError for a
// source that is missing, not a moebench database, of another schema version,
// the target itself, or in conflict as described above.
MergeStats merge_databases(ResultsStore& target, const std::vector<std::filesystem::path>& sources);

// Opens every source read-only and checks it as merge_databases would (exists,
// a moebench database of this schema version, not `target` itself), then,
// unless options.allow_incomplete, that every shard of their runs is complete
// and present, counting what an existing `target` holds; creates no target.
// StoreError naming the first bad source, or every incomplete shard.
void check_merge_sources(const std::filesystem::path& target, const std::vector<std::filesystem::path>& sources,
                         const MergeOptions& options = {});

// `moebench db merge`: check_merge_sources first; then an existing `target`
// is merged into in place (merge_databases), and a new one is built under a
// temporary name beside it and renamed into place only when every source is
// in, so a failure or a kill leaves no target at all (InputError, and
// `target` is not replaced, when one appears meanwhile).
MergeStats merge_databases_into(const std::filesystem::path& target,
                                const std::vector<std::filesystem::path>& sources,
                                const MergeOptions& options = {});

}  // namespace moebench::store
