#include "tests/testing/tiny_models.h"

#include <map>
#include <memory>
#include <mutex>

#include "tests/testing/test_env.h"

namespace moebench::model::testing {

std::filesystem::path tiny_model_dir(const TinyModelSpec& spec, const std::string& name) {
  static std::mutex mu;
  static moebench::testing::ScratchDir scratch;
  static std::map<std::string, std::filesystem::path> made;
  std::lock_guard<std::mutex> lock(mu);
  auto it = made.find(name);
  if (it != made.end()) return it->second;
  auto dir = scratch.path() / name;
  make_tiny_model(spec, dir);
  made[name] = dir;
  return dir;
}

}  // namespace moebench::model::testing
