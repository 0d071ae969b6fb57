// The whole program's memory. RLIMIT_AS is per process: four children of 350 MB
// each pass a 1 GB limit. A memory cgroup per run bounds them together; where
// the host lets us make none, rlimit_memory_bound keeps processes × address
// space within the budget instead, a much blunter bound.
//
// Where run cgroups go (find_cgroup_parent): cgroup v2 first. Our own cgroup
// must offer the memory controller; its children get it once it is in our
// cgroup's subtree_control, which v2 allows only for a cgroup without processes
// of its own (or the root). So when we are the only process there, we first move
// into a leaf "moebench-<pid>-harness" beside the runs (the delegation systemd
// and container runtimes expect); with other processes there we do not move
// them (then: run moebench alone in a cgroup, e.g. `systemd-run --scope -p
// Delegate=yes moebench ...`). The leaf outlives us, empty; the next moebench
// removes it. Else the cgroup v1 memory hierarchy, whose groups nest freely.
// Each run: "moebench-<pid>-run<N>", joined by the child before exec, removed after.
#pragma once

#include <cstdint>
#include <string>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

struct CgroupParent {
  std::string dir;  // where run cgroups are made; empty: none can be
  int version = 0;  // 1 or 2
  std::string why;  // when dir is empty: what was tried and why it failed
};

// Never throws. Also removes run cgroups that dead moebench processes left there.
CgroupParent find_cgroup_parent();

// One run's cgroup: memory (and, on v2, pids and swap) limited as `limits` say.
class RunCgroup {
 public:
  // Throws std::runtime_error naming the file when the kernel refuses a step.
  RunCgroup(const CgroupParent& parent, const SandboxLimits& limits);
  ~RunCgroup();  // kills whatever is left inside, then removes the directory
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // cgroup.procs, open for writing (close-on-exec): the child writes "0" there.
  int procs_fd() const { return procs_fd_; }
  // Processes the kernel's OOM killer ended in this cgroup so far.
  int64_t oom_kills() const;

 private:
  std::string dir_;
  int version_;
  int procs_fd_ = -1;
};

// Without a cgroup: lowers limits.memory_bytes (then per process) and
// max_processes so that their product stays within the whole-program budget,
// keeping at least 128 MiB per process (below that Python cannot start a thread)
// and at least 2 processes (bwrap and Python).
void rlimit_memory_bound(SandboxLimits& limits);

}  // namespace moebench::eval
