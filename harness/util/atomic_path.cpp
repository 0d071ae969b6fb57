#include "harness/util/atomic_path.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench {

AtomicPath::AtomicPath(fs::path final_path) : final_(std::move(final_path)) {
  std::random_device rd;
  std::string name = final_.filename().string();
  temp_ = final_.parent_path() / fmt::format(".{}.tmp-{}-{:x}", name, getpid(), rd());
}

AtomicPath::~AtomicPath() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicPath::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) fail_input(final_.string(), "cannot move {} into place: {}", temp_.string(), ec.message());
  committed_ = true;
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  AtomicPath target(path);
  {
    std::ofstream out(target.temp(), std::ios::binary);
    out << content;
    out.flush();
    if (!out) fail_input(path.string(), "cannot write file");
  }
  target.commit();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path.string(), "cannot open file for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace moebench
