// One child process under limits, its output captured: the part of the sandbox
// that talks to the kernel. sandbox.cpp decides what to run (bwrap or python).
//
// The child (sandbox_child.h), before exec: its own process group, so a timeout
// kills the whole group at once; rlimits (set_limits), which everything it starts
// inherits; as root a fresh unprivileged uid per run, without which RLIMIT_NPROC
// would not apply at all; PDEATHSIG, no new privileges, and no inherited fd but
// those ChildSpec names; a memory cgroup when the caller made one.
// The parent polls stdout, stderr and a pidfd until the child exits, the wall
// clock runs out or an output cap is passed, then SIGKILLs the group and reaps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

struct ChildSpec {
  std::string program;            // absolute path, exec'd without a PATH search
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value", the child's whole environment
  std::string cwd;                // empty: inherit
  int stdin_fd = -1;              // the child's stdin; -1: /dev/null
  int fd3 = -1;                   // handed to the child as fd 3 (bwrap --ro-bind-data 3)
  int fd5 = -1;                   // handed to the child as fd 5 (the driver's kDoneFd)
  int cgroup_procs_fd = -1;       // the child joins this cgroup before exec (RunCgroup)
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
  // Filled by the caller after run_child: what the driver's token pipe held,
  // and OOM kills in the run's cgroup.
  std::string done;
  int64_t oom_kills = 0;
};

// Runs `spec` under `limits` to completion. Never throws for what the child does;
// throws std::runtime_error only when the host is out of pipes/fds/processes.
ChildOutcome run_child(const ChildSpec& spec, const SandboxLimits& limits);

}  // namespace moebench::eval
