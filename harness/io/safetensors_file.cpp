#include "harness/io/safetensors_file.h"

#include <fcntl.h>
#include <fmt/ranges.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace moebench::io {
namespace {

// The safetensors reference implementation uses the same cap; a bigger header
// is either corrupt or an attempt to make us allocate without bound.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// A JSON value as it appears in the file, shortened so a hostile value cannot
// flood the terminal.
std::string quote_json(const json& value) {
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t dim : shape) n *= dim;
  return n;
}

SafetensorsFile::SafetensorsFile(fs::path path) : path_(std::move(path)) {}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(const_cast<std::byte*>(map_), map_size_);
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  // Owned before mapping, so the destructor unmaps when validation throws.
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile(path));
  file->map_file();
  file->parse_header();
  return file;
}

void SafetensorsFile::map_file() {
  const std::string where = path_.string();
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not regular.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail_input(where, "cannot open safetensors file: {}", std::strerror(errno));
  struct stat st {};
  int stat_rc = fstat(fd, &st);
  if (stat_rc != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_input(where, "not a regular file");
  }
  if (st.st_size < 8) {
    ::close(fd);
    fail_input(where, "file is {} bytes, shorter than the 8-byte header length", st.st_size);
  }
  map_size_ = static_cast<size_t>(st.st_size);
  void* addr = mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int mmap_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (addr == MAP_FAILED)
    fail_input(where, "cannot mmap {} bytes: {}", map_size_, std::strerror(mmap_errno));
  map_ = static_cast<const std::byte*>(addr);
}

void SafetensorsFile::parse_header() {
  const std::string where = path_.string();
  uint64_t header_len = 0;  // little-endian regardless of the host
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(map_[i]);
  if (header_len == 0) fail_input(where, "header length is 0");
  if (header_len > kMaxHeaderBytes)
    fail_input(where, "header length {} exceeds the cap of {} bytes", header_len, kMaxHeaderBytes);
  if (header_len > map_size_ - 8)
    fail_input(where, "header length {} is larger than the {} bytes after the length field",
               header_len, map_size_ - 8);
  data_start_ = 8 + header_len;
  const uint64_t data_size = map_size_ - data_start_;

  json header = parse_json_strict(
      std::string_view(reinterpret_cast<const char*>(map_ + 8), header_len), where + ": header");
  if (!header.is_object())
    fail_input(where, "header is a JSON {}, expected an object", header.type_name());

  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object())
        fail_input(where, "__metadata__ is {}, expected an object of strings", quote_json(value));
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string())
          fail_input(where, "__metadata__ key '{}' is {}, expected a string", key,
                     quote_json(text));
        metadata_[key] = text.get<std::string>();
      }
      continue;
    }
    if (!value.is_object())
      fail_input(where,
                 "tensor '{}': entry is {}, expected an object with dtype, shape, data_offsets",
                 name, quote_json(value));
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) fail_input(where, "tensor '{}': missing field '{}'", name, field);

    const json& dtype_json = value.at("dtype");
    if (!dtype_json.is_string())
      fail_input(where, "tensor '{}': dtype is {}, expected a string", name,
                 quote_json(dtype_json));
    Entry entry{};
    entry.dtype =
        parse_dtype(dtype_json.get<std::string>(), fmt::format("{}: tensor '{}'", where, name));

    const json& shape_json = value.at("shape");
    if (!shape_json.is_array())
      fail_input(where, "tensor '{}': shape is {}, expected an array of integers", name,
                 quote_json(shape_json));
    int64_t numel = 1;
    bool overflow = false;
    for (size_t i = 0; i < shape_json.size(); ++i) {
      const json& dim = shape_json[i];
      if (!dim.is_number_integer())
        fail_input(where, "tensor '{}': shape[{}] is {}, expected an integer", name, i,
                   quote_json(dim));
      if (dim.is_number_unsigned() &&
          dim.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        fail_input(where, "tensor '{}': shape[{}] = {} is too large", name, i, quote_json(dim));
      int64_t d = dim.get<int64_t>();
      if (d < 0) fail_input(where, "tensor '{}': shape[{}] = {} is negative", name, i, d);
      entry.shape.push_back(d);
      overflow = overflow || __builtin_mul_overflow(numel, d, &numel);
    }
    uint64_t nbytes = 0;
    if (overflow ||
        __builtin_mul_overflow(uint64_t(numel), uint64_t(dtype_size(entry.dtype)), &nbytes))
      fail_input(where, "tensor '{}': shape {} overflows the element count", name,
                 shape_text(entry.shape));

    const json& offsets = value.at("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail_input(where,
                 "tensor '{}': data_offsets is {}, expected two non-negative integers [begin, end]",
                 name, quote_json(offsets));
    entry.begin = offsets[0].get<uint64_t>();
    entry.end = offsets[1].get<uint64_t>();
    if (entry.begin > entry.end)
      fail_input(where, "tensor '{}': data_offsets [{}, {}] are not ascending", name, entry.begin,
                 entry.end);
    if (entry.end > data_size)
      fail_input(where,
                 "tensor '{}': data_offsets [{}, {}] reach outside the data section of {} bytes",
                 name, entry.begin, entry.end, data_size);
    if (entry.end - entry.begin != nbytes)
      fail_input(where,
                 "tensor '{}': data_offsets [{}, {}] span {} bytes, but shape {} of {} needs {}",
                 name, entry.begin, entry.end, entry.end - entry.begin, shape_text(entry.shape),
                 dtype_name(entry.dtype), nbytes);
    index_.emplace(name, std::move(entry));
  }

  for (const auto& [name, entry] : index_) names_.push_back(name);
  std::sort(names_.begin(), names_.end(), [&](const std::string& a, const std::string& b) {
    const Entry &ea = index_.at(a), &eb = index_.at(b);
    return std::tie(ea.begin, ea.end, a) < std::tie(eb.begin, eb.end, b);
  });
  // Sorted by begin, two non-empty tensors overlap iff one starts before the
  // previous non-empty one ends. Empty tensors own no bytes and never overlap.
  const std::string* previous = nullptr;
  for (const std::string& name : names_) {
    const Entry& entry = index_.at(name);
    if (entry.begin == entry.end) continue;
    if (previous && entry.begin < index_.at(*previous).end) {
      const Entry& prev = index_.at(*previous);
      fail_input(where, "tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", *previous, prev.begin,
                 prev.end, name, entry.begin, entry.end);
    }
    previous = &name;
  }
}

TensorView SafetensorsFile::get(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    std::string close = closest_match(name, names_);
    fail_input(path_.string(), "no tensor '{}'{}", name,
               close.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", close));
  }
  const Entry& entry = it->second;
  return TensorView{name, entry.dtype, entry.shape, map_ + data_start_ + entry.begin,
                    static_cast<size_t>(entry.end - entry.begin)};
}

nlohmann::json parse_json_strict(std::string_view text, const std::string& where, int max_depth) {
  // One frame per open container; keys are only tracked for objects.
  struct Frame {
    std::string label;
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Frame> open;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (event == E::object_start || event == E::array_start) {
      if (depth >= max_depth) fail_input(where, "JSON nested deeper than {} levels", max_depth);
      std::string label = open.empty() ? "the top-level object" : "'" + open.back().last_key + "'";
      if (!open.empty() && open.back().last_key.empty())
        label = open.back().label + " (array element)";
      open.push_back(Frame{label, {}, {}});
    } else if (event == E::object_end || event == E::array_end) {
      open.pop_back();
    } else if (event == E::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open.back().keys.insert(key).second)
        fail_input(where, "duplicate key '{}' in {}", key, open.back().label);
      open.back().last_key = key;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    fail_input(where, "not well-formed JSON: {}", e.what());
  }
}

}  // namespace moebench::io
