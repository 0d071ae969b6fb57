#include "harness/io/tensor_store.h"

#include <mutex>

#include <nlohmann/json.hpp>
#include <set>

#include "harness/util/file_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace moebench::io {
namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

bool exists_quietly(const fs::path& path) {
  std::error_code ec;  // permission problems surface later, when opening
  return fs::exists(path, ec);
}

}  // namespace

std::shared_ptr<const TensorStore> TensorStore::open(const fs::path& model_dir) {
  std::shared_ptr<TensorStore> store(new TensorStore());
  store->dir_ = model_dir;
  store->read_key_ = fs::weakly_canonical(model_dir).string();
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec))
    fail_input(model_dir.string(), "not a directory (expected a model directory with {} or {})",
               kSingleFile, kIndexFile);
  if (exists_quietly(model_dir / kIndexFile)) {
    store->open_index(model_dir / kIndexFile);
  } else if (exists_quietly(model_dir / kSingleFile)) {
    store->open_single(model_dir / kSingleFile);
  } else {
    fail_input(model_dir.string(), "found neither {} nor {}", kSingleFile, kIndexFile);
  }
  return store;
}

void TensorStore::open_single(const fs::path& file) {
  auto opened = SafetensorsFile::open(file);
  for (const std::string& name : opened->names()) {
    where_[name] = opened;
    total_bytes_ += opened->get(name).nbytes;
  }
}

void TensorStore::open_index(const fs::path& index) {
  const std::string where = index.string();
  const json doc = parse_json_strict(read_input_file(index, kMaxMetadataBytes), where);
  if (!doc.is_object())
    fail_input(where, "index is a JSON {}, expected an object with 'weight_map'", doc.type_name());
  auto weight_map = doc.find("weight_map");
  if (weight_map == doc.end()) fail_input(where, "missing field 'weight_map'");
  if (!weight_map->is_object())
    fail_input(where,
               "weight_map is a JSON {}, expected an object of tensor name -> shard file name",
               weight_map->type_name());

  // Shards are named once per tensor: open each file once and share it.
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
  for (const auto& [name, shard] : weight_map->items()) {
    if (!shard.is_string())
      fail_input(where, "weight_map['{}'] is {}, expected a shard file name", name, shard.dump());
    const std::string file = shard.get<std::string>();
    // A hostile index must not make us read files outside the model directory.
    if (file.empty() || file.find('/') != std::string::npos ||
        file.find("..") != std::string::npos || file.find('\0') != std::string::npos)
      fail_input(where,
                 "weight_map['{}'] = '{}' is not a plain file name inside the model directory",
                 name, file);
    auto& opened = shards[file];
    if (!opened) {
      const fs::path path = dir_ / file;
      if (!exists_quietly(path))
        fail_input(where, "shard '{}' (listed for tensor '{}') does not exist: {}", file, name,
                   path.string());
      opened = SafetensorsFile::open(path);
    }
    if (!opened->contains(name))
      fail_input(where, "tensor '{}' is listed in weight_map but absent from shard {}", name,
                 opened->path().string());
    where_[name] = opened;
    total_bytes_ += opened->get(name).nbytes;
  }
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> names;
  names.reserve(where_.size());
  for (const auto& [name, file] : where_) names.push_back(name);
  return names;
}

namespace {

std::mutex& reads_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, int64_t>& reads_by_dir() {
  static std::map<std::string, int64_t> reads;
  return reads;
}
void count_read(const std::string& dir) {
  std::lock_guard<std::mutex> lock(reads_mutex());
  ++reads_by_dir()[dir];
}

}  // namespace

TensorView TensorStore::get(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) {
    std::string close = closest_match(name, names());
    fail_input(dir_.string(), "no tensor '{}' in this model{}", name,
               close.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", close));
  }
  count_read(read_key_);
  return it->second->get(name);
}

int64_t TensorStore::reads_of(const fs::path& model_dir) {
  std::lock_guard<std::mutex> lock(reads_mutex());
  auto it = reads_by_dir().find(fs::weakly_canonical(model_dir).string());
  return it == reads_by_dir().end() ? 0 : it->second;
}

std::vector<fs::path> TensorStore::files() const {
  std::set<fs::path> paths;
  for (const auto& [name, file] : where_) paths.insert(file->path());
  return {paths.begin(), paths.end()};
}

}  // namespace moebench::io
