// The library API the evaluation layers use: a loaded model that scores and
// generates token sequences (lm-evaluation-harness's three request types).
// No torch in this header: callers see plain C++ types only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/io/model_config.h"
#include "harness/io/tokenizer.h"
#include "harness/model/router_tap.h"

namespace moebench::model {

struct LoadOptions {
  std::string device = "cpu";   // "cpu", "cuda", "cuda:N"
  std::string dtype = "float32";  // "float32" | "bfloat16" | "float16" (also fp32/bf16/fp16)
  int threads = 0;              // CPU threads (see cpu_threads.h); 0: every core this process may use
  // Where these options came from, for messages: empty means the command-line
  // flags (--device, --dtype); a plan sets "plan.yml: settings".
  std::string origin;
};

// InputError naming the flag or plan key when `device` or `dtype` is not one
// of the accepted spellings (no model needed: checked before any work).
void check_load_options(const LoadOptions& options);
// "float32", "bfloat16" or "float16" for each accepted spelling of a compute
// dtype; empty for "auto" and anything else.
std::string canonical_dtype(const std::string& name);

struct LoglikelihoodRequest {
  std::vector<int32_t> context;       // at least one token (usually starts with BOS)
  std::vector<int32_t> continuation;  // at least one token
};

struct LoglikelihoodResult {
  double logprob = 0;                 // sum of the continuation's token log-probabilities
  bool is_greedy = false;             // every continuation token is the argmax
  std::vector<float> token_logprobs;  // one per continuation token
};

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int max_new_tokens = 256;
  std::vector<std::string> stop;      // stop sequences (the text is cut before them)
};

struct GenerationResult {
  std::vector<int32_t> tokens;        // generated ids (up to and excluding a stop or EOS)
  std::string text;                   // decoded, cut at the first stop sequence
  std::string stop_reason;            // "eos" | "stop" | "length"
};

class TransformerRuntime;  // defined in language_model_impl.h

class LanguageModel {
 public:
  // Loads a Llama / Mistral / Mixtral directory (config.json, safetensors,
  // tokenizer.model). Throws InputError for bad files or options. (A merge
  // recipe in place of a directory: jobs::open_model.)
  static std::shared_ptr<LanguageModel> load(const std::filesystem::path& model_dir,
                                             const LoadOptions& options = {});
  explicit LanguageModel(std::unique_ptr<TransformerRuntime> runtime);
  ~LanguageModel();

  const io::ModelConfig& config() const;
  const io::Tokenizer& tokenizer() const;
  int64_t max_length() const;  // max_position_embeddings
  std::string device() const;  // "cpu", "cuda:0", ...
  std::string dtype() const;   // "float32", "bfloat16", "float16"

  // Batched scoring; results in request order. Sequences longer than
  // max_length() are cut from the left of the context (as lm-eval does).
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests,
                                                 int batch_size = 16,
                                                 RoutingSink* routing = nullptr) const;
  // Total log-probability of each token sequence (no BOS in `tokens`), scored
  // in disjoint windows of max_length() with BOS as the first context, as
  // lm-eval's loglikelihood_rolling. The router tap hears each text as request
  // i (its index here), every position of [BOS] + text but the last once.
  std::vector<double> loglikelihood_rolling(const std::vector<std::vector<int32_t>>& tokens,
                                            int batch_size = 16,
                                            RoutingSink* routing = nullptr) const;
  // Greedy decoding with a KV cache, batched; stops at EOS, a stop sequence
  // or max_new_tokens.
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                         int batch_size = 16,
                                         RoutingSink* routing = nullptr) const;
  // Logits [ids.size()][vocab] of one sequence (for comparisons with other engines).
  std::vector<std::vector<float>> logits(const std::vector<int32_t>& ids,
                                         RoutingSink* routing = nullptr) const;

  // The same model with every MoE layer's router replaced: `routers` holds
  // [layers][experts][hidden] float32 values (a gate ablation), and with
  // `experts_per_token` > 0 that many experts per token (its config says so
  // too). The other weights are shared, not copied. std::invalid_argument on
  // a dense model, a size that does not match or a top-k outside [1, experts].
  std::shared_ptr<LanguageModel> with_routers(const std::vector<float>& routers,
                                              int64_t experts_per_token = 0) const;
  // The same model with every MoE layer routing each token to `expert` alone
  // (oracle routing: the output is that expert's MLP, weight 1.0). Weights are
  // shared. The router tap still hears top_k entries per token: `expert` at
  // weight 1, then the router's own next choices at weight 0. InputError
  // naming `model_name` and the index for a dense model or an index outside
  // [0, num_experts).
  std::shared_ptr<LanguageModel> with_forced_expert(int expert, const std::string& model_name) const;
  int forced_expert() const;  // -1 unless made by with_forced_expert

  TransformerRuntime& runtime() const { return *runtime_; }

 private:
  std::unique_ptr<TransformerRuntime> runtime_;
};

// lm-eval's pair encoding: trailing whitespace of the context moves to the
// continuation; the continuation's ids are the tail of encode(context + continuation).
// `add_special_tokens` as in Tokenizer::encode (lm-eval passes false for causal
// models unless add_bos_token is set); an empty context becomes [BOS].
LoglikelihoodRequest encode_pair(const io::Tokenizer& tokenizer, const std::string& context,
                                 const std::string& continuation, bool add_special_tokens = true);

}  // namespace moebench::model
