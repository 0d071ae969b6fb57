// What a LanguageModel owns (torch-side); included only by model-layer sources
// and by layers that assemble weights themselves (e.g. in-memory merges).
#pragma once

#include <memory>

#include "harness/io/tokenizer.h"
#include "harness/model/language_model.h"
#include "harness/model/transformer.h"

namespace moebench::model {

class TransformerRuntime {
 public:
  // `forced_expert`: as Transformer's (-1: the router decides).
  TransformerRuntime(std::shared_ptr<const ModelWeights> weights,
                     std::shared_ptr<const io::Tokenizer> tokenizer, int forced_expert = -1);

  const Transformer& transformer() const { return transformer_; }
  const io::ModelConfig& config() const { return transformer_.config(); }
  const io::Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<const io::Tokenizer>& tokenizer_ptr() const { return tokenizer_; }
  at::Device device() const { return transformer_.weights().embed.device(); }
  // Checks ids against the vocabulary (InputError naming `what` and the id).
  void check_ids(const std::vector<int32_t>& ids, const std::string& what) const;

 private:
  Transformer transformer_;
  std::shared_ptr<const io::Tokenizer> tokenizer_;
};

// Parses LoadOptions::device / dtype ("auto" dtype = the config's torch_dtype).
TensorPlacement parse_placement(const LoadOptions& options, const io::ModelConfig& config);

// Right-pads sequences into a ForwardBatch (start positions 0).
ForwardBatch make_batch(const std::vector<const std::vector<int32_t>*>& rows,
                        std::vector<int64_t> row_request, int32_t pad_id);

// Scores each group of requests that share one context (identical ids) with a
// single forward pass over that context; results[i] receives request i.
// REQUIRES: every member fits without truncation (context + continuation - 1
// <= max_length) and has a non-empty continuation.
void score_shared_contexts(const TransformerRuntime& runtime,
                           const std::vector<LoglikelihoodRequest>& requests,
                           const std::vector<std::vector<size_t>>& groups, int batch_size,
                           RoutingSink* routing, std::vector<LoglikelihoodResult>* results);

}  // namespace moebench::model
