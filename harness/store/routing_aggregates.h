// The aggregate routing tables (routing_expert_stats, routing_layer_stats):
// running sums per (run, model, task, layer[, expert]) that reports read
// without decoding blobs. Written by ResultsStore::write_samples for the
// samples a batch actually inserts, and by db merge.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/store/routing_stats.h"
#include "harness/store/sqlite_db.h"

namespace moebench::store {

// Adds `stats` (one entry per layer) to the sums of (run, model, task) and
// recomputes those layers' entropies from the new sums. Throws StoreError
// when a layer's stored top_k / num_experts differ from the new ones.
// REQUIRES: an open write transaction.
void add_routing_aggregates(Database& db, int64_t run, int64_t model, int64_t task,
                            const std::vector<RoutingStats>& stats);

// Replaces the sums of (run, model, task) by `stats` (db merge, when one
// shard's samples are a superset of the other's). REQUIRES: a transaction.
void replace_routing_aggregates(Database& db, int64_t run, int64_t model, int64_t task,
                                const std::vector<RoutingStats>& stats);

// The sums of (run, model, task), ascending layer.
std::vector<RoutingStats> read_routing_aggregates(Database& db, int64_t run, int64_t model,
                                                  int64_t task);

}  // namespace moebench::store
