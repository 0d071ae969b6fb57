#include "harness/io/safetensors_writer.h"

#include <fcntl.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::io {
namespace {

// Our reader's cap (see safetensors_file.cpp): never write what we would refuse.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Best effort: makes the rename itself durable. Failure here loses nothing
// that the rename has not already made visible, so it is not an error.
void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  ::close(fd);
}

}  // namespace

size_t TensorSpec::nbytes() const {
  uint64_t bytes = dtype_size(dtype);
  for (int64_t dim : shape) {
    if (dim < 0) fail_input("tensor '" + name + "'", "negative dimension {} in shape", dim);
    if (__builtin_mul_overflow(bytes, uint64_t(dim), &bytes))
      fail_input("tensor '" + name + "'", "shape overflows the byte count");
  }
  if (bytes > std::numeric_limits<size_t>::max()) fail_input("tensor '" + name + "'", "too large");
  return static_cast<size_t>(bytes);
}

SafetensorsWriter::SafetensorsWriter(fs::path path, std::vector<TensorSpec> specs,
                                     std::map<std::string, std::string> metadata)
    : path_(std::move(path)), specs_(std::move(specs)) {
  const std::string where = path_.string();
  // ordered_json keeps the header in data order, which makes files easy to diff.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const TensorSpec& spec : specs_) {
    if (spec.name == "__metadata__") fail_input(where, "a tensor may not be named '__metadata__'");
    if (!seen.insert(spec.name).second) fail_input(where, "duplicate tensor name '{}'", spec.name);
    uint64_t nbytes = 0;
    try {
      nbytes = spec.nbytes();
    } catch (const InputError& e) {
      fail_input(where, "{}", e.what());  // add the file to "tensor 'x': ..."
    }
    uint64_t end = 0;
    if (__builtin_add_overflow(offset, nbytes, &end))
      fail_input(where, "total size overflows at '{}'", spec.name);
    header[spec.name] = {
        {"dtype", dtype_name(spec.dtype)}, {"shape", spec.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::type_error& e) {  // the format requires UTF-8 JSON
    fail_input(where, "tensor names and metadata must be valid UTF-8: {}", e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > kMaxHeaderBytes)
    fail_input(where, "header of {} bytes exceeds the cap of {} bytes", text.size(),
               kMaxHeaderBytes);

  target_ = std::make_unique<AtomicPath>(path_);
  fd_ = ::open(target_->temp().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail_input(where, "cannot create {}: {}", target_->temp().string(), std::strerror(errno));
  unsigned char length[8];  // little-endian regardless of the host
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>(uint64_t(text.size()) >> (8 * i));
  try {
    write_bytes(length, sizeof length);
    write_bytes(text.data(), text.size());
  } catch (...) {
    close_file();  // the destructor does not run for a constructor that throws
    throw;
  }
}

SafetensorsWriter::~SafetensorsWriter() { close_file(); }  // target_ then removes the temporary

void SafetensorsWriter::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SafetensorsWriter::write_bytes(const void* data, size_t nbytes) {
  if (broken_) fail_input(path_.string(), "an earlier write failed; the file cannot be completed");
  const char* p = static_cast<const char*>(data);
  while (nbytes > 0) {
    ssize_t n = ::write(fd_, p, nbytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = true;  // a partial tensor is on disk: later writes would misalign
      fail_input(path_.string(), "cannot write {}: {}", target_->temp().string(),
                 n < 0 ? std::strerror(errno) : "no progress");
    }
    p += n;
    nbytes -= static_cast<size_t>(n);
  }
}

void SafetensorsWriter::write_next(const void* data, size_t nbytes) {
  const std::string where = path_.string();
  if (committed_) fail_input(where, "write_next after commit");
  if (next_ >= specs_.size())
    fail_input(where, "all {} tensors are written already", specs_.size());
  const TensorSpec& spec = specs_[next_];
  if (nbytes != spec.nbytes())
    fail_input(where, "tensor '{}' ({} [{}]) needs {} bytes, got {}", spec.name,
               dtype_name(spec.dtype), fmt::join(spec.shape, ", "), spec.nbytes(), nbytes);
  write_bytes(data, nbytes);
  ++next_;
}

void SafetensorsWriter::commit() {
  const std::string where = path_.string();
  if (committed_) fail_input(where, "commit called twice");
  if (broken_) fail_input(where, "an earlier write failed; nothing was written");
  if (next_ < specs_.size())
    fail_input(where, "cannot commit: tensor '{}' ({} of {}) was not written", specs_[next_].name,
               next_ + 1, specs_.size());
  if (fsync(fd_) != 0)
    fail_input(where, "cannot fsync {}: {}", target_->temp().string(), std::strerror(errno));
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0)
    fail_input(where, "cannot close {}: {}", target_->temp().string(), std::strerror(errno));
  target_->commit();
  committed_ = true;
  fsync_directory(path_.parent_path());
}

void write_safetensors(const fs::path& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const TensorData& t : tensors) specs.push_back(t.spec);
  SafetensorsWriter writer(path, std::move(specs), metadata);
  for (const TensorData& t : tensors) writer.write_next(t.data, t.spec.nbytes());
  writer.commit();
}

}  // namespace moebench::io
