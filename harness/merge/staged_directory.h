// An output directory that appears complete or not at all: built under a
// hidden sibling name (util/atomic_path.h) and renamed into place by commit().
// It never replaces anything but what was at its place when it was created:
// a directory that appears there meanwhile (another merge, a user) is kept and
// the commit refused, checked by the rename itself, not before it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

namespace moebench {
class AtomicPath;
class ParentDirectories;
}

namespace moebench::merge {

// InputError naming `dir` when it exists and `overwrite` is false, or exists
// and is not a directory, or when it could not be created (its nearest
// existing ancestor is not a writable directory). Cheap: call it before long
// work.
void check_output_dir(const std::filesystem::path& dir, bool overwrite);

class StagedDirectory {
 public:
  // Checks `final_dir` (check_output_dir), remembers which directory is there
  // now (with overwrite), makes the missing parent directories (removed again
  // unless committed) and the staging directory (which removes the
  // temporaries of dead processes beside it; see AtomicPath).
  StagedDirectory(std::filesystem::path final_dir, bool overwrite);
  // Without commit(), removes the staging directory and everything in it.
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& path() const;  // write the files here
  const std::filesystem::path& final_path() const { return final_; }
  // Puts the staging directory at final_dir. When nothing was there at
  // construction, a rename that refuses to replace (InputError if anything
  // appeared meanwhile, which is left as it is). Otherwise the two are swapped
  // in one step and the old one deleted, but only if it is the very directory
  // seen at construction (same device and inode): a different one is swapped
  // back and the commit refused.
  void commit();

 private:
  using Identity = std::pair<dev_t, ino_t>;
  void refuse_if_not_seen(const std::optional<Identity>& now) const;

  std::filesystem::path final_;
  std::optional<Identity> seen_;  // what was at final_ at construction
  std::unique_ptr<ParentDirectories> parents_;  // destroyed after staging_, which is inside
  std::unique_ptr<AtomicPath> staging_;
};

}  // namespace moebench::merge
