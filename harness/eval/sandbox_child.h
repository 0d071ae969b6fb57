// The child's side of a run, between fork and exec, and the identity it runs
// under. Only async-signal-safe calls happen there (another thread of the
// harness may hold malloc's lock at fork time), so everything is prepared first.
//
// Identity: RLIMIT_NPROC counts tasks per real uid and never applies to root, so
// when the harness is root every run gets a uid of its own that no account, no
// other run and (the base derives from the pid) no concurrent moebench uses: the
// process limit then counts exactly that run's processes, and they can all be
// found again by uid.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

// Everything exec_child needs, built before fork.
struct ChildExec {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  bool drop;  // to uid
  uid_t uid;
  pid_t parent;
  // stdin, stdout, stderr, fds 3, 4 and 5 (-1: closed in the child), and
  // `report`: a close-on-exec pipe that gets {step, errno} when a step fails and
  // closes unseen when exec succeeds (as fd 6 in the child).
  int in, out, err, fd3, fd4, fd5, report;
  // cgroup.procs of the run's cgroup (-1: none): joined first, while still root.
  int cgroup_procs = -1;
  struct Limit {
    int resource;
    rlimit value;
  } limits[5] = {};
};

// Fills x.limits (x.drop set first): AS, CPU (soft = hard: SIGKILL, since Python
// as bwrap's pid 1 ignores SIGXCPU), NPROC (not dropped: the user's current tasks
// + the limit, as the kernel counts them all), FSIZE, CORE = 0.
void set_limits(ChildExec& x, const SandboxLimits& limits);
// In the forked child: own process group, default signal dispositions, fds
// 0..5 (and nothing else, even fds other threads opened without O_CLOEXEC), the
// run's cgroup, rlimits, the run uid, PR_SET_PDEATHSIG + no_new_privs, cwd, execve.
[[noreturn]] void exec_child(const ChildExec& x);
// "setrlimit" for the step number a child reported.
const char* child_step_name(int step);

// First of this process's 2^16 run uids: 2^30 + (pid mod 2^14) * 2^16.
uid_t run_uid_base();
// The next run uid, cycling through the 2^16 (a uid is reused only after 65536 runs).
uid_t fresh_run_uid();
// Tasks (threads count for RLIMIT_NPROC too) of `uid`, from /proc: what a
// non-root user already spends of its process limit.
int64_t count_tasks_of(uid_t uid);
// SIGKILLs every process of `uid` (root only), wherever it went: kill(-1) sent
// by a helper that takes that uid reaches them all, and spares only itself.
void kill_all_of_uid(uid_t uid);

}  // namespace moebench::eval
