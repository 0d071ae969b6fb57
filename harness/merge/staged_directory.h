// An output directory that appears complete or not at all: built under a
// hidden sibling name (util/atomic_path.h) and renamed into place by commit().
#pragma once

#include <filesystem>
#include <memory>

namespace moebench {
class AtomicPath;
}

namespace moebench::merge {

// InputError naming `dir` when it exists and `overwrite` is false, or exists
// and is not a directory. Cheap: call it before long work.
void check_output_dir(const std::filesystem::path& dir, bool overwrite);

class StagedDirectory {
 public:
  // Checks `final_dir` (check_output_dir), creates its parent, removes hidden
  // siblings left by merges that were killed (their process is gone), and
  // creates the staging directory.
  StagedDirectory(std::filesystem::path final_dir, bool overwrite);
  // Without commit(), removes the staging directory and everything in it.
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& path() const;  // write the files here
  const std::filesystem::path& final_path() const { return final_; }
  // Renames the staging directory onto final_dir. An existing final_dir (with
  // overwrite) is moved aside first and put back if the rename fails.
  void commit();

 private:
  std::filesystem::path final_;
  std::unique_ptr<AtomicPath> staging_;
};

}  // namespace moebench::merge
