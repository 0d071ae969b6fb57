// All tensors of a Hugging Face model directory, whether stored in one
// model.safetensors or in shards listed by model.safetensors.index.json.
// Immutable after open(); share it as shared_ptr<const TensorStore>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/io/safetensors_file.h"

namespace moebench::io {

class TensorStore {
 public:
  // model_dir holds model.safetensors, or model.safetensors.index.json plus the
  // shards it names; when both exist the index wins (that is what transformers
  // loads). Validates the index and every shard it names: a missing shard, a
  // shard name with '/' or "..", or a listed tensor absent from its shard is
  // an InputError. Tensors present in a shard but not in weight_map are ignored.
  static std::shared_ptr<const TensorStore> open(const std::filesystem::path& model_dir);

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return where_.count(name) > 0; }
  // Throws InputError naming the directory, the tensor and a close name, if any.
  TensorView get(const std::string& name) const;
  // How many tensors get() has handed out, in this process, from the model in
  // `model_dir` (any store of it): how often its weights were read. Tests
  // check with it that an ablation reads each expert once.
  static int64_t reads_of(const std::filesystem::path& model_dir);
  const std::filesystem::path& dir() const { return dir_; }
  // The files in use, each once, sorted (shard 00001 first).
  std::vector<std::filesystem::path> files() const;
  uint64_t total_bytes() const { return total_bytes_; }  // sum of tensor bytes

 private:
  TensorStore() = default;
  void open_single(const std::filesystem::path& file);
  void open_index(const std::filesystem::path& index);

  std::filesystem::path dir_;
  std::string read_key_;  // dir_, canonical: what reads_of() counts under
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> where_;  // tensor -> its file
  uint64_t total_bytes_ = 0;
};

}  // namespace moebench::io
