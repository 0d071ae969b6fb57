// What a finished child means for the program: the verdict and the reason a
// user reads in reports. Limits are recognised from how they surface: our own
// kill (timeout, output cap), a SIGKILL after the CPU time limit was used up,
// SIGXCPU / SIGXFSZ (unsandboxed children), or Python's last traceback line
// (MemoryError under RLIMIT_AS, EFBIG under RLIMIT_FSIZE, ENOSPC on the tmpfs),
// or the run cgroup's OOM kill count.
#pragma once

#include <string>

#include "harness/eval/sandbox.h"
#include "harness/eval/sandbox_process.h"

namespace moebench::eval {

// What a verdict needs beside the child's outcome.
struct RunFacts {
  const SandboxLimits& limits;  // as applied to each process
  // The child was bwrap, which reports a program killed by signal N as exit
  // status 128 + N.
  bool sandboxed;
  const std::string& token;  // the run's completion token (sandbox_driver.h)
  bool has_tests;            // words the reasons: "before its tests finished" / "its end"
  bool cgroup;               // limits.memory_bytes also bounds the whole program
};

// Passed only with exit status 0, no OOM kill and exactly the token in child.done.
ProgramResult verdict(ChildOutcome child, const RunFacts& facts);

// The first line of `text`, at most 300 characters, for one-line messages.
std::string first_line(const std::string& text);

}  // namespace moebench::eval
