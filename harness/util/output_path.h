// Checks of the paths a command will write, made before any work so that a
// typo in --out fails in milliseconds, not after an hour of evaluation, and
// so that no output can land on one of the command's own inputs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace moebench {

// InputError "<flag>: '<path>' ..." unless `path` can become a file written
// with AtomicPath: not empty, not an existing directory or other non-regular
// file, and its nearest existing ancestor a directory this process may write
// in (missing directories are made when the file is written: ParentDirectories).
void check_output_file(const std::filesystem::path& path, const std::string& flag);

// The same for a directory to be created at `path` (whether something may
// already exist there is the caller's rule): its nearest existing ancestor
// must be a writable directory.
void check_output_parent(const std::filesystem::path& path, const std::string& flag);

// `path` made absolute with symlinks resolved as far as it exists
// (weakly_canonical), so that two spellings of one place compare equal.
std::filesystem::path resolved_path(const std::filesystem::path& path);

// Whether `inner` is `outer` or lies under it, after resolved_path on both.
bool path_is_within(const std::filesystem::path& inner, const std::filesystem::path& outer);

// InputError "<flag>: '<out>' ..." when the output `out` is `input`, lies
// inside it (a directory) or contains it (writing there would replace or delete it);
// `what` names the input in the message ("base_model 'org/x'").
void check_output_apart(const std::filesystem::path& out, const std::string& flag,
                        const std::filesystem::path& input, const std::string& what);

// Makes the missing directories above `path` for as long as an output is
// being written; the destructor removes them again (deepest first, each only
// while empty) unless keep() was called, so a failed command leaves no trace.
// InputError naming `path` when one cannot be made.
class ParentDirectories {
 public:
  explicit ParentDirectories(const std::filesystem::path& path);
  ~ParentDirectories();
  ParentDirectories(const ParentDirectories&) = delete;
  ParentDirectories& operator=(const ParentDirectories&) = delete;
  void keep() { made_.clear(); }

 private:
  void remove_made();
  std::vector<std::filesystem::path> made_;  // outermost first
};

}  // namespace moebench
