#include "harness/merge/staged_directory.h"

#include <sys/stat.h>

#include <string>
#include <system_error>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"

namespace fs = std::filesystem;

namespace moebench::merge {
namespace {

fs::path normalized(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  return p.has_filename() ? p : p.parent_path();  // "out/" names "out"
}

// The entry itself (lstat): a symlink is not the directory it points to.
std::optional<std::pair<dev_t, ino_t>> identity_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return std::make_pair(st.st_dev, st.st_ino);
}

[[noreturn]] void refuse_newcomer(const fs::path& dir) {
  fail_input(dir.string(), "the output directory (--out) appeared while the merge was running; refusing "
             "to replace what someone else put there (it is left as it is; the merge was not written)");
}

}  // namespace

void check_output_dir(const fs::path& dir, bool overwrite) {
  const fs::path p = normalized(dir);
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(p, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      fail_input(p.string(), "exists and is not a directory; refusing to replace it");
    if (!overwrite) fail_input(p.string(), "already exists (pass --overwrite to replace it)");
  }
  check_output_parent(p, "--out");
}

StagedDirectory::StagedDirectory(fs::path final_dir, bool overwrite) : final_(normalized(final_dir)) {
  check_output_dir(final_, overwrite);
  seen_ = identity_of(final_);
  parents_ = std::make_unique<ParentDirectories>(final_);
  staging_ = std::make_unique<AtomicPath>(final_);
  std::error_code ec;
  if (!fs::create_directory(staging_->temp(), ec))
    fail_input(final_.string(), "cannot create {}: {}", staging_->temp().string(),
               ec ? ec.message() : "it already exists");
}

StagedDirectory::~StagedDirectory() = default;  // AtomicPath removes an uncommitted staging dir

const fs::path& StagedDirectory::path() const { return staging_->temp(); }

void StagedDirectory::refuse_if_not_seen(const std::optional<Identity>& now) const {
  if (now != seen_)
    fail_input(final_.string(), "the output directory (--out) was replaced by another one while the merge "
               "was running; refusing to delete a directory that --overwrite was not given for (it is "
               "left as it is; the merge was not written)");
}

void StagedDirectory::commit() {
  const std::optional<Identity> now = identity_of(final_);
  if (!now) {
    // Nothing there (or what --overwrite was for has gone): a rename that
    // fails rather than replace whatever appears in the meantime.
    const std::error_code ec = rename_no_replace(path(), final_);
    if (ec == std::errc::file_exists) refuse_newcomer(final_);
    if (ec) fail_input(final_.string(), "cannot move {} into place: {}", path().string(), ec.message());
    staging_->release();
    parents_->keep();
    return;
  }
  if (!seen_) refuse_newcomer(final_);
  refuse_if_not_seen(now);
  const std::error_code ec = exchange_paths(path(), final_);
  if (ec) fail_input(final_.string(), "cannot replace it with {}: {}", path().string(), ec.message());
  // path() now holds what was at final_: if that changed in the instant since
  // the check above, put it back.
  const std::optional<Identity> swapped_out = identity_of(path());
  if (swapped_out != seen_) {
    exchange_paths(path(), final_);
    refuse_if_not_seen(swapped_out);
  }
  std::error_code ignored;
  fs::remove_all(path(), ignored);  // the old directory; a remnant is a stale temporary for the next writer
  staging_->release();
  parents_->keep();
}

}  // namespace moebench::merge
