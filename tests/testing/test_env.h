// Helpers shared by all test executables: where the reference data lives, how
// to run the CLI, scratch directories.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace moebench::testing {

// $MOEBENCH_SHARED, else the ../shared beside the checkout; empty path when absent.
std::filesystem::path shared_dir();

// Skips the current test loudly when ../shared is absent.
#define MOEBENCH_REQUIRE_SHARED()                                                      \
  do {                                                                                 \
    if (::moebench::testing::shared_dir().empty())                                     \
      GTEST_SKIP() << "SKIPPED: shared reference data not found (set MOEBENCH_SHARED)"; \
  } while (0)

// A fresh empty directory under the system temp dir, removed by the destructor.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
  double wall_seconds = 0;
  int64_t max_rss_bytes = 0;  // peak resident memory of the process
};
// Runs the built `moebench` binary with `args` (no shell involved).
CommandResult run_moebench(const std::vector<std::string>& args);
// Runs `command` (its first element a path, or a name looked up in PATH; no
// shell involved); exit code 127 when it cannot be started.
CommandResult run_command(const std::vector<std::string>& command);

// Expects `r` to have failed as bad input: exit status 2 and a single line on
// stderr containing every fragment. `what` labels the case in failures.
void expect_one_line_error(const CommandResult& r, const std::vector<std::string>& fragments,
                           const std::string& what = "");

// Runs `fn` and expects an InputError whose message contains every fragment.
void expect_input_error(const std::function<void()>& fn, const std::vector<std::string>& fragments);

// Writes `content` to `path`, creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& content);

}  // namespace moebench::testing
