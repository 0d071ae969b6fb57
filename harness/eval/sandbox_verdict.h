// What a finished child means for the program: the verdict and the reason a
// user reads in reports. Limits are recognised from how they surface: our own
// kill (timeout, output cap), a SIGKILL after the CPU time limit was used up,
// SIGXCPU / SIGXFSZ (unsandboxed children), or Python's last traceback line
// (MemoryError under RLIMIT_AS, EFBIG under RLIMIT_FSIZE, ENOSPC on the tmpfs).
#pragma once

#include <string>

#include "harness/eval/sandbox.h"
#include "harness/eval/sandbox_process.h"

namespace moebench::eval {

// `sandboxed`: the child was bwrap, which reports a program killed by signal N
// as exit status 128 + N.
ProgramResult verdict(ChildOutcome child, const SandboxLimits& limits, bool sandboxed);

// The first line of `text`, at most 300 characters, for one-line messages.
std::string first_line(const std::string& text);

}  // namespace moebench::eval
