// Shared helpers of the store tests: identity rows, samples, and a fake
// forward pass that reports routing the way the model's MoE block does
// (length-sorted right-padded batches, row_request, one event per layer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "harness/model/router_tap.h"
#include "harness/store/results_store.h"

namespace moebench::store::testing {

RunInfo run_info(const std::string& key, const std::string& shard = "");
ModelInfo model_info(const std::string& name, int64_t experts = 4);
TaskInfo task_info(const std::string& name, const std::string& suite = "suite",
                   const std::string& expected_expert = "");

// A scored sample without routing; metrics derived from doc_id so scores are
// predictable ("acc,none" = doc_id % 2).
SampleRecord sample(int64_t doc_id);
// The directory's entries, sorted, less the -wal and -shm files SQLite keeps
// beside a WAL database that was only read.
std::vector<std::string> names_in(const std::filesystem::path& dir);

// One token's routing as the tap reports it.
struct TokenRoute {
  int64_t position = 0;
  std::vector<int32_t> ids;
  std::vector<float> weights;
};

// A fake MoE model that routes tokens with seeded random router logits and
// reports to a sink exactly like Transformer::moe: per forward pass and
// layer, a [B, T] block (rows right-padded with valid = 0 and garbage ids),
// positions, row_request. `truth[request][layer]` records every real token
// in the order it was reported.
class FakeRouter {
 public:
  FakeRouter(int layers, int experts, int top_k, uint64_t seed);

  // Prefill of `requests` (request index -> token count), in batches of
  // `batch` rows sorted longest first, as the engine does.
  void prefill(const std::map<int64_t, int64_t>& lengths, int batch, model::RoutingSink* sink);
  // One decode step for each of `requests` at its next position (seq = 1,
  // RoutingEvent::decode set).
  void decode_step(const std::vector<int64_t>& requests, model::RoutingSink* sink);

  std::map<int64_t, std::vector<std::vector<TokenRoute>>> truth;  // [request][layer]

 private:
  void forward(const std::vector<int64_t>& rows, const std::vector<int64_t>& starts,
               const std::vector<int64_t>& lengths, model::RoutingSink* sink, bool decode = false);
  int layers_, experts_, top_k_;
  std::mt19937_64 rng_;
  std::map<int64_t, int64_t> next_position_;
};

}  // namespace moebench::store::testing
