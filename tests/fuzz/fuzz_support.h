// What every fuzz target shares: a private scratch directory for the entry
// points that read files, and the one rule of the harness (DESIGN.md, "Errors
// and bad input"): a bad input is an InputError. Anything else that leaves the
// entry point (another exception, a crash, a sanitizer report, a hang, a
// memory blow-up) is a finding, reported by libFuzzer with the input saved.
#pragma once

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "harness/util/error.h"

namespace moebench::fuzz {

namespace detail {
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/moebench-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      perror("moebench fuzz: mkdtemp");
      abort();
    }
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
}  // namespace detail

// One directory per process, removed at exit (left behind when a crash ends
// the process; run.sh points TMPDIR at its own scratch folder for that reason).
inline const std::filesystem::path& scratch_dir() {
  static detail::ScratchDir dir;
  return dir.path;
}

// A new file each time: truncating one in place makes ext4 flush it to disk on
// close (its auto_da_alloc heuristic), which slows a target down eightfold.
inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    fprintf(stderr, "moebench fuzz: cannot write %s\n", path.c_str());
    abort();
  }
}

// Copies `from` (a file) into `dir`, keeping its name: the fixtures an input
// may refer to (an included task file, a plan's recipe).
inline void copy_fixture(const std::filesystem::path& from, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::copy_file(from, dir / from.filename(),
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    fprintf(stderr, "moebench fuzz: cannot copy fixture %s: %s\n", from.c_str(), ec.message().c_str());
    abort();
  }
}

inline std::string as_text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `fn`; an InputError is the expected rejection of a bad input.
template <typename Fn>
void reject_only_with_input_error(Fn&& fn) {
  try {
    fn();
  } catch (const InputError&) {
  }
}

// A broken promise of a parser that did accept the input (a tensor view past
// its file, a decoded id out of range): as much a finding as a crash.
#define MOEBENCH_FUZZ_CHECK(cond)                                                       \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "moebench fuzz: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
              #cond);                                                                   \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

}  // namespace moebench::fuzz
