// How big results databases get: measured on the real encoding (synthetic
// routing written through ResultsStore, file growth read back), and projected
// for a suite from that measurement. Behind the README's numbers and the
// default token cap.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>

#include "harness/store/sample_routing.h"

namespace moebench::store {

struct ModelShape {
  int32_t layers = 32, experts = 4, top_k = 2;  // a 4x7B frankenMoE (Mixtral layout)
};

// Routing of one sample of `tokens` tokens (one request) at every layer:
// router logits drawn N(0, 1) independently per token (no repetition between
// neighbours, so nothing for zstd to exploit: an upper bound on size), softmax,
// top-k, renormalised, as the model does.
SampleRouting synthetic_routing(const ModelShape& shape, int64_t tokens, std::mt19937_64& rng);

struct RoutingSizeMeasurement {
  int64_t tokens = 0;             // scored tokens written (per layer)
  int64_t bytes_with = 0, bytes_without = 0;  // database file sizes, routing on / off
  double bytes_per_1000_tokens = 0;           // (with - without) per 1,000 tokens
};

// Writes `samples` samples of `tokens_per_sample` tokens twice into fresh
// databases under `dir` (routing tokens mode without cap, and none) and
// measures the difference of the checkpointed file sizes.
RoutingSizeMeasurement measure_routing_size(const std::filesystem::path& dir,
                                            const ModelShape& shape, int64_t samples,
                                            int64_t tokens_per_sample, int zstd_level,
                                            uint64_t seed = 1);

struct SuiteShape {
  int64_t tasks = 0, docs_per_task = 0;
  int64_t tokens_per_doc = 0;      // routed tokens of all of a document's requests
  int64_t text_bytes_per_doc = 0;  // prompt, responses, metrics as stored
};

struct SuiteSizeProjection {
  int64_t logged_tokens_per_task = 0;  // min(cap, docs x tokens) (cap < 0: no cap)
  double routing_bytes = 0, text_bytes = 0, total_bytes = 0;
};

// The size of one suite's results for one model with the given cap, from a
// measured bytes-per-1,000-tokens figure. Samples over the cap cost only
// their text and summary counts (aggregate rows: a few KB per task).
SuiteSizeProjection project_suite_size(const SuiteShape& suite, const ModelShape& shape,
                                       int64_t token_cap, double bytes_per_1000_tokens);

}  // namespace moebench::store
