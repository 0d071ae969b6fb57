#include "harness/merge/staged_directory.h"

#include <signal.h>

#include <cerrno>
#include <string>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::merge {
namespace {

fs::path normalized(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  return p.has_filename() ? p : p.parent_path();  // "out/" names "out"
}

// AtomicPath names its temporaries ".<name>.tmp-<pid>-<hex>": those whose
// process no longer exists are leftovers of a killed merge.
void remove_stale_siblings(const fs::path& dir) {
  const std::string prefix = "." + dir.filename().string() + ".tmp-";
  std::error_code ec;
  const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash) continue;
    const long pid = std::stol(rest.substr(0, dash));
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

void check_output_dir(const fs::path& dir, bool overwrite) {
  const fs::path p = normalized(dir);
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(p, ec);
  if (!fs::exists(status)) return;
  if (!fs::is_directory(status))
    fail_input(p.string(), "exists and is not a directory; refusing to replace it");
  if (!overwrite) fail_input(p.string(), "already exists (pass --overwrite to replace it)");
}

StagedDirectory::StagedDirectory(fs::path final_dir, bool overwrite) : final_(normalized(final_dir)) {
  check_output_dir(final_, overwrite);
  std::error_code ec;
  if (!final_.parent_path().empty()) {
    fs::create_directories(final_.parent_path(), ec);
    if (ec) fail_input(final_.string(), "cannot create the parent directory: {}", ec.message());
  }
  remove_stale_siblings(final_);
  staging_ = std::make_unique<AtomicPath>(final_);
  if (!fs::create_directory(staging_->temp(), ec))
    fail_input(final_.string(), "cannot create {}: {}", staging_->temp().string(),
               ec ? ec.message() : "it already exists");
}

StagedDirectory::~StagedDirectory() = default;  // AtomicPath removes an uncommitted staging dir

const fs::path& StagedDirectory::path() const { return staging_->temp(); }

void StagedDirectory::commit() {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(final_, ec))) {
    staging_->commit();
    return;
  }
  // Replace: move the old directory aside, the new one in, and put the old one
  // back if that fails; the aside copy is deleted by `old`'s destructor.
  AtomicPath old(final_);
  fs::rename(final_, old.temp(), ec);
  if (ec) fail_input(final_.string(), "cannot move the existing directory aside: {}", ec.message());
  try {
    staging_->commit();
  } catch (...) {
    fs::rename(old.temp(), final_, ec);
    throw;
  }
}

}  // namespace moebench::merge
