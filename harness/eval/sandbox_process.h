// One child process under limits, its output captured: the part of the sandbox
// that talks to the kernel. sandbox.cpp decides what to run (bwrap or python).
//
// The child (sandbox_child.h), before exec: its own process group, so a timeout
// kills the whole group at once; rlimits (set_limits), which everything it starts
// inherits; as root a fresh unprivileged uid per run, without which RLIMIT_NPROC
// would not apply at all; PDEATHSIG, no new privileges, stdin /dev/null and no
// other inherited fd.
// The parent polls stdout, stderr and a pidfd until the child exits, the wall
// clock runs out or an output cap is passed, then SIGKILLs the group and reaps.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

struct ChildSpec {
  std::string program;            // absolute path, exec'd without a PATH search
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value", the child's whole environment
  std::string cwd;                // empty: inherit
  int fd3 = -1;                   // handed to the child as fd 3 (bwrap --ro-bind-data 3)
  // The child is bwrap with `--info-fd 4`: read the "child-pid" it reports, and on
  // timeout or overflow kill that process (the program, bwrap's pid 1) first, so
  // that bwrap still reaps it and nothing is orphaned to the host's init.
  bool bwrap_info_fd4 = false;
  bool drop_to_run_uid = true;  // when root: run as run_uid
  uid_t run_uid = 0;            // from fresh_run_uid()
  bool sweep_run_uid = false;   // when dropped: at the end SIGKILL every process of
                                // run_uid, e.g. a setsid()'d daemon (no pid namespace)
};

struct ChildOutcome {
  std::string spawn_error;  // non-empty: exec or setup failed, nothing ran
  bool exited = false;      // exit_code valid
  int exit_code = -1;
  int term_signal = 0;  // killed by this signal (ours on timeout/overflow included)
  bool timed_out = false, output_overflow = false;
  std::string out, err;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // of the child and the descendants it reaped
};

// Runs `spec` under `limits` to completion. Never throws for what the child does;
// throws std::runtime_error only when the host is out of pipes/fds/processes.
ChildOutcome run_child(const ChildSpec& spec, const SandboxLimits& limits);

}  // namespace moebench::eval
