#include "harness/util/output_path.h"

#include <unistd.h>

#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench {

void check_output_parent(const fs::path& path, const std::string& flag) {
  if (path.empty()) fail_input(flag, "expected a path, got ''");
  const fs::path absolute = fs::absolute(path).lexically_normal();
  fs::path ancestor = absolute.has_filename() ? absolute.parent_path() : absolute.parent_path().parent_path();
  std::error_code ec;
  while (!fs::exists(fs::symlink_status(ancestor, ec)) && ancestor.has_relative_path())
    ancestor = ancestor.parent_path();
  if (!fs::is_directory(ancestor, ec))
    fail_input(flag, "'{}': {} is not a directory", path.string(), ancestor.string());
  if (::access(ancestor.c_str(), W_OK | X_OK) != 0)
    fail_input(flag, "'{}': cannot write in the directory {}: {}", path.string(), ancestor.string(),
               std::generic_category().message(errno));
}

void check_output_file(const fs::path& path, const std::string& flag) {
  if (path.empty()) fail_input(flag, "expected a file path, got ''");
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status))
    fail_input(flag, "'{}' is an existing directory; expected a file path", path.string());
  if (fs::exists(status) && !fs::is_regular_file(status))
    fail_input(flag, "'{}' exists and is not a regular file; refusing to replace it", path.string());
  if (!path.has_filename())
    fail_input(flag, "'{}' names a directory; expected a file path", path.string());
  check_output_parent(path, flag);
}

fs::path resolved_path(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) out = fs::absolute(path).lexically_normal();
  return out.has_filename() ? out : out.parent_path();
}

bool path_is_within(const fs::path& inner, const fs::path& outer) {
  const fs::path in = resolved_path(inner), out = resolved_path(outer);
  auto i = in.begin();
  for (auto o = out.begin(); o != out.end(); ++o, ++i)
    if (i == in.end() || *i != *o) return false;
  return true;
}

void check_output_apart(const fs::path& out, const std::string& flag, const fs::path& input,
                        const std::string& what) {
  const bool same = resolved_path(out) == resolved_path(input);
  std::error_code ec;
  if (same || (fs::is_directory(input, ec) && path_is_within(out, input)))  // "under" a file: not creatable
    fail_input(flag, "'{}' is {} {} ({}); refusing to write over it", out.string(),
               same ? "the same path as" : "inside", what, input.string());
  if (path_is_within(input, out))
    fail_input(flag, "'{}' contains {} ({}); writing there would delete an input", out.string(), what,
               input.string());
}

ParentDirectories::ParentDirectories(const fs::path& path) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path dir = path.lexically_normal().parent_path(); !dir.empty() && !fs::exists(fs::symlink_status(dir, ec));
       dir = dir.parent_path()) {
    missing.push_back(dir);
    if (!dir.has_relative_path() || dir == dir.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, ec) && ec) {
      remove_made();
      fail_input(path.string(), "cannot create the directory {}: {}", it->string(), ec.message());
    }
    made_.push_back(*it);
  }
}

ParentDirectories::~ParentDirectories() { remove_made(); }

void ParentDirectories::remove_made() {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    std::error_code ec;
    fs::remove(*it, ec);  // fails, harmlessly, once someone put something there
  }
  made_.clear();
}

}  // namespace moebench
