// Write-then-rename helpers: nothing half-written is ever visible at the final
// path, even when the process is killed mid-way, and what a killed process
// left behind is cleaned by the next one that writes in the same directory.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace moebench {

// A temporary sibling of `final_path` (same directory, so rename is atomic),
// named ".<name>.tmp-<pid>-<start>-<host>-<random>": the writer's pid, its
// start time (clock ticks since boot, to tell a reused pid apart) and a hash
// of the host name (a directory shared over the network is not ours to judge).
//
// Creating one removes the temporaries in the directory of `final_path`
// (which must exist) whose writer is gone: same host, and no
// process with that pid and start time (the older ".<name>.tmp-<pid>-<hex>"
// form: no process with that pid). Names that do not parse are left alone.
// The destructor removes the temporary unless it was committed or released.
class AtomicPath {
 public:
  explicit AtomicPath(std::filesystem::path final_path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::filesystem::path& temp() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Writes `content` to temp() as a file; InputError naming the final path.
  void write(const std::string& content) const;
  // Renames temp() onto the final path, replacing a file there.
  void commit();
  // Renames temp() onto the final path only if nothing is there by then
  // (atomically: rename_no_replace); InputError naming the final path, the
  // temporary removed, otherwise.
  void commit_without_replacing();
  // Keeps temp() on disk: the destructor no longer removes it.
  void release() { committed_ = true; }

 private:
  std::filesystem::path final_, temp_;
  bool committed_ = false;
};

// Writes `content` to `path` atomically, making its missing parent
// directories (removed again if the write fails).
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
// Reads a whole file; throws InputError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// rename(2) that never replaces: std::errc::file_exists when `to` exists.
// renameat2(RENAME_NOREPLACE) where the filesystem has it; elsewhere (NFS,
// old kernels) rename_no_replace_by_link.
std::error_code rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to);
// Swaps two existing paths in one step: renameat2(RENAME_EXCHANGE), else
// exchange_by_renames.
std::error_code exchange_paths(const std::filesystem::path& a, const std::filesystem::path& b);

namespace detail {
// The fallbacks, public for their tests. A file is link(2)ed (which refuses
// an existing name) then unlinked; a directory gets an empty directory of our
// own at `to` (mkdir refuses an existing name) that rename(2) then replaces,
// which fails (file_exists) if anyone put something into it meanwhile.
std::error_code rename_no_replace_by_link(const std::filesystem::path& from, const std::filesystem::path& to);
// Three renames: b aside (a name no cleanup ever removes), a to b (without
// replacing), the aside copy to a. Each step undone if the next fails.
std::error_code exchange_by_renames(const std::filesystem::path& a, const std::filesystem::path& b);
}  // namespace detail

}  // namespace moebench
