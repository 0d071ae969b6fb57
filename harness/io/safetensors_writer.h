// Streaming, atomic safetensors writer. The header (names, dtypes, shapes,
// offsets) is known up front, so the data can be written tensor by tensor in
// the given order and peak memory is one tensor: a merge of a 4x7B model never
// holds the whole model. The file appears at `path` only on commit().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/io/dtype.h"

namespace moebench {
class AtomicPath;
}

namespace moebench::io {

struct TensorSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  // numel * dtype_size; InputError naming the tensor on a negative dim or overflow.
  size_t nbytes() const;
};

class SafetensorsWriter {
 public:
  // Writes the header to a temporary sibling of `path` at once. Tensors are laid
  // out contiguously in `specs` order; the header is padded with spaces to a
  // multiple of 8 bytes so 8-byte dtypes are aligned in a memory map.
  // InputError on duplicate names, a tensor named "__metadata__", bad shapes,
  // or when the temporary file cannot be created.
  SafetensorsWriter(std::filesystem::path path, std::vector<TensorSpec> specs,
                    std::map<std::string, std::string> metadata = {{"format", "pt"}});
  // Without commit(), removes the temporary file: nothing appears at `path`.
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // Writes the next tensor's bytes. InputError if nbytes differs from the next
  // spec's nbytes() or every tensor has been written already.
  void write_next(const void* data, size_t nbytes);
  // REQUIRES: every tensor written (InputError naming the first missing one).
  // fsyncs the data, then renames it onto `path` (replacing an existing file).
  void commit();

 private:
  void write_bytes(const void* data, size_t nbytes);
  void close_file();

  std::filesystem::path path_;
  std::vector<TensorSpec> specs_;
  std::unique_ptr<AtomicPath> target_;
  int fd_ = -1;
  size_t next_ = 0;      // index of the next tensor to write
  bool broken_ = false;  // a write failed: the temporary file is unusable
  bool committed_ = false;
};

// Convenience for small files: one call, same format and atomicity.
struct TensorData {
  TensorSpec spec;
  const void* data;
};
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace moebench::io
