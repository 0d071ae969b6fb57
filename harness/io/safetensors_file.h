// One .safetensors file, memory-mapped read-only and fully validated at open():
// after open() succeeds, every TensorView lies inside the file and has
// nbytes == numel * dtype_size, so callers never re-check bounds. Like any
// mmap loader, it assumes nobody truncates the file while it is open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/io/dtype.h"

namespace moebench::io {

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  // Points into the memory map; valid while the owning SafetensorsFile lives.
  // Aligned to the element size only if the writer padded the header (ours
  // and Hugging Face's do); copy before reinterpreting if that matters.
  const std::byte* data;
  size_t nbytes;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Throws InputError naming the path, the field or tensor and the bad value.
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // In data-offset order, which is the order writers stream tensors in.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  // Throws InputError naming the file and the tensor (and a close name) if missing.
  TensorView get(const std::string& name) const;
  // The header's "__metadata__" (string values only), e.g. {"format": "pt"}.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;  // relative to the data section
  };
  explicit SafetensorsFile(std::filesystem::path path);
  void map_file();
  void parse_header();

  std::filesystem::path path_;
  const std::byte* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_start_ = 0;
  std::vector<std::string> names_;
  std::unordered_map<std::string, Entry> index_;
  std::map<std::string, std::string> metadata_;
};

// Parses JSON, refusing what nlohmann accepts silently: duplicate keys in an
// object (it keeps only one of them) and nesting deeper than `max_depth`
// (which bounds memory on hostile input). Errors are InputError "<where>: ...".
// Shared with the shard index reader.
nlohmann::json parse_json_strict(std::string_view text, const std::string& where,
                                 int max_depth = 16);

}  // namespace moebench::io
