// Write-then-rename helpers: nothing half-written is ever visible at the final
// path, even when the process is killed mid-way.
#pragma once

#include <filesystem>
#include <string>

namespace moebench {

// A temporary sibling of `final_path` (same directory, so rename is atomic).
// The destructor removes the temporary unless commit() succeeded.
class AtomicPath {
 public:
  explicit AtomicPath(std::filesystem::path final_path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::filesystem::path& temp() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Renames temp() onto the final path (replacing a file; a directory must
  // not already exist there).
  void commit();

 private:
  std::filesystem::path final_, temp_;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
// Reads a whole file; throws InputError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace moebench
