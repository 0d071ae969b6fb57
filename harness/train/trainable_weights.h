// Dense Llama weights as autograd leaves: loaded from a Hugging Face directory
// into fp32 memory of their own (not a view of the file), visited by their
// Hugging Face names, and written back as a directory the rest of moebench
// loads. The forward pass is the model layer's Transformer: training shares it.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/model/model_weights.h"
#include "harness/model/tiny_model.h"

namespace moebench::train {

// One tensor of a ModelWeights with its Hugging Face name.
struct NamedTensor {
  std::string name;
  at::Tensor* tensor;
  bool is_mlp;   // mlp.{gate,up,down}_proj: what an expert fine-tune trains
  bool is_norm;  // RMSNorm weights: no weight decay
};

// Every tensor of a dense Llama, in the order transformers writes them.
// REQUIRES: a dense model (one MLP per layer) with untied embeddings.
std::vector<NamedTensor> named_tensors(model::ModelWeights& weights);

// Loads `dir` (a dense Llama) as fp32 copies with requires_grad false.
std::shared_ptr<model::ModelWeights> load_trainable_weights(const std::filesystem::path& dir);

// A freshly initialised model of `spec` (arch "llama"): the tiny-model
// generator's draws (matrices N(0, init_std^2), norms near 1), so an
// initialisation is reproducible from the spec's seed on any machine.
std::shared_ptr<model::ModelWeights> initial_weights(const model::TinyModelSpec& spec);

// Writes config.json (from `spec`, torch_dtype = `dtype`), model.safetensors
// in `dtype` ("bfloat16" or "float32") and the tokenizer files for
// `tokenizer_model` into `dir`, atomically: a temporary sibling renamed into
// place, replacing an existing directory only once the new one is complete.
void save_llama_directory(model::ModelWeights& weights, model::TinyModelSpec spec,
                          const std::string& dtype, const std::string& tokenizer_model,
                          const std::filesystem::path& dir);

}  // namespace moebench::train
