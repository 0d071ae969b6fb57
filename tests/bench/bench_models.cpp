#include "tests/bench/bench_models.h"

#include "harness/model/tiny_model.h"

namespace moebench::bench {

std::filesystem::path llama_100m_dir() {
  model::TinyModelSpec spec;
  spec.arch = "llama";
  spec.hidden_size = 768;
  spec.intermediate_size = 2560;
  spec.num_layers = 12;
  spec.num_heads = 12;
  spec.num_kv_heads = 12;
  spec.vocab_size = 2048;
  spec.max_position_embeddings = 1024;
  const auto dir = std::filesystem::temp_directory_path() / "moebench-bench-llama-100m";
  if (!std::filesystem::exists(dir / "config.json")) model::make_tiny_model(spec, dir, true);
  return dir;
}

}  // namespace moebench::bench
