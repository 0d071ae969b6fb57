// A results database as text rows keyed by identity (run_key, model and task
// names, doc ids, layers), not by row ids, in a fixed order: two databases
// hold the same results exactly when their rows are equal. How the tests check
// that shards merged (by `db merge`, on one machine or a cluster) equal one run.
#pragma once

#include <string>
#include <vector>

#include "harness/store/results_store.h"

namespace moebench::store {

// Compared: every stored value (two stores written with one fake clock).
// Ignored: the times a run started and finished and each sample was written
// (two real runs of one plan).
enum class Timestamps { Compared, Ignored };

// Runs (less their per-process host and shard columns), models and their
// experts, tasks, samples with their routing rows, scores, suite scores, the
// routing aggregates per (run, model, task) and routing agreement; one string
// per row, "----" after each table.
std::vector<std::string> canonical_rows(ResultsStore& store,
                                        Timestamps times = Timestamps::Compared);

}  // namespace moebench::store
