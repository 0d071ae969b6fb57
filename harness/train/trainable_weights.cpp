#include "harness/train/trainable_weights.h"

#include <fmt/format.h>
#include <unistd.h>

#include "harness/io/safetensors_writer.h"
#include "harness/io/tensor_store.h"
#include "harness/model/tiny_corpus.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::train {

std::vector<NamedTensor> named_tensors(model::ModelWeights& w) {
  std::vector<NamedTensor> out = {{"model.embed_tokens.weight", &w.embed, false, false}};
  for (size_t l = 0; l < w.layers.size(); ++l) {
    model::LayerWeights& layer = w.layers[l];
    const std::string p = fmt::format("model.layers.{}.", l);
    if (layer.router.defined() || layer.experts.size() != 1) {
      throw InputError(fmt::format("layer {}: training handles dense Llama models only", l));
    }
    model::ExpertWeights& mlp = layer.experts[0];
    out.insert(out.end(), {{p + "input_layernorm.weight", &layer.input_norm, false, true},
                           {p + "self_attn.q_proj.weight", &layer.q, false, false},
                           {p + "self_attn.k_proj.weight", &layer.k, false, false},
                           {p + "self_attn.v_proj.weight", &layer.v, false, false},
                           {p + "self_attn.o_proj.weight", &layer.o, false, false},
                           {p + "post_attention_layernorm.weight", &layer.post_norm, false, true},
                           {p + "mlp.gate_proj.weight", &mlp.gate, true, false},
                           {p + "mlp.up_proj.weight", &mlp.up, true, false},
                           {p + "mlp.down_proj.weight", &mlp.down, true, false}});
  }
  out.push_back({"model.norm.weight", &w.final_norm, false, true});
  if (w.config.tie_word_embeddings) throw InputError("training handles untied embeddings only");
  out.push_back({"lm_head.weight", &w.lm_head, false, false});
  return out;
}

std::shared_ptr<model::ModelWeights> load_trainable_weights(const fs::path& dir) {
  const io::ModelConfig config = io::ModelConfig::load(dir);
  auto loaded = model::load_model_weights(config, io::TensorStore::open(dir), {at::kCPU, at::kFloat});
  auto w = std::make_shared<model::ModelWeights>(*loaded);
  // Own memory: the loaded tensors may be views of the read-only file map.
  for (NamedTensor& t : named_tensors(*w)) *t.tensor = t.tensor->clone().contiguous();
  return w;
}

std::shared_ptr<model::ModelWeights> initial_weights(const model::TinyModelSpec& spec) {
  const fs::path dir = fs::temp_directory_path() /
                       fmt::format("moebench-init-{}-{}", getpid(), spec.seed);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { std::error_code ec; fs::remove_all(p, ec); }
  } cleanup{dir};
  model::make_tiny_model(spec, dir, /*overwrite=*/true);
  return load_trainable_weights(dir);
}

void save_llama_directory(model::ModelWeights& w, model::TinyModelSpec spec, const std::string& dtype,
                          const std::string& tokenizer_model, const fs::path& dir) {
  if (dtype != "bfloat16" && dtype != "float32") {
    throw InputError(fmt::format("{}: dtype '{}': expected bfloat16 or float32", dir.string(), dtype));
  }
  spec.dtype = dtype;
  const at::ScalarType type = dtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
  std::vector<at::Tensor> stored;  // keeps the converted bytes alive until written
  std::vector<io::TensorData> tensors;
  for (const NamedTensor& t : named_tensors(w)) {
    stored.push_back(t.tensor->detach().to(type).contiguous());
    const at::Tensor& s = stored.back();
    tensors.push_back({{t.name, type == at::kBFloat16 ? io::DType::BF16 : io::DType::F32,
                        s.sizes().vec()},
                       s.data_ptr()});
  }
  if (!dir.parent_path().empty()) fs::create_directories(dir.parent_path());
  AtomicPath staged(dir);
  fs::create_directories(staged.temp());
  io::write_safetensors(staged.temp() / "model.safetensors", tensors);
  write_file_atomic(staged.temp() / "config.json", model::tiny_config_json(spec).dump(2) + "\n");
  model::write_llama_tokenizer(staged.temp(), tokenizer_model, spec.max_position_embeddings);
  // Replace an existing directory only now that the new one is complete; the
  // old one ends up at the temporary path, which `staged` removes.
  if (!fs::exists(dir)) return staged.commit();
  const std::error_code ec = exchange_paths(staged.temp(), dir);
  if (ec) fail_input(dir.string(), "cannot replace the directory: {}", ec.message());
}

}  // namespace moebench::train
