#include "harness/eval/sandbox_child.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <string>

namespace moebench::eval {
namespace {

enum Step { kDup, kCgroup, kLimit, kUid, kPrctl, kChdir, kExec };
const char* const kStepNames[] = {"dup2",  "join cgroup", "setrlimit", "setresuid",
                                  "prctl", "chdir",       "execve"};

[[noreturn]] void child_fail(int report, int step) {
  int message[2] = {step, errno};
  [[maybe_unused]] ssize_t ignored = write(report, message, sizeof message);
  _exit(127);
}

}  // namespace

void exec_child(const ChildExec& x) {
  setpgid(0, 0);  // the parent does it too; whichever runs first wins the race
  // exec keeps ignored signals and the blocked mask: the harness's must not leak.
  struct sigaction deflt {};
  deflt.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &deflt, nullptr);
  sigset_t none;
  sigemptyset(&none), sigprocmask(SIG_SETMASK, &none, nullptr);

  // Every source fd is >= 10 (high_fd), so no dup2 overwrites one still to copy.
  const int report = 6;
  const int sources[] = {x.in, x.out, x.err, x.fd3, x.fd4, x.fd5};
  for (int fd = 0; fd < 6; ++fd) {
    if (sources[fd] < 0)
      ::close(fd);  // not the harness's fd of that number
    else if (dup2(sources[fd], fd) < 0)
      child_fail(x.report, kDup);
  }
  if (dup3(x.report, report, O_CLOEXEC) < 0) child_fail(x.report, kDup);
  // "0": the writer itself; later children inherit the cgroup. Before the uid
  // change, which would forbid it, and before its fd is closed below.
  if (x.cgroup_procs >= 0 && write(x.cgroup_procs, "0", 1) != 1) child_fail(report, kCgroup);
  // Closes whatever else is open, including fds other threads made without O_CLOEXEC.
  if (syscall(SYS_close_range, report + 1, ~0U, 0) != 0)
    for (int fd = report + 1; fd < 65536; ++fd) ::close(fd);

  for (const auto& limit : x.limits)
    if (setrlimit(limit.resource, &limit.value) != 0) child_fail(report, kLimit);
  // Raw syscalls: glibc's wrappers would try to synchronise threads we no longer have.
  if (x.drop && (syscall(SYS_setgroups, 0, nullptr) != 0 ||
                 syscall(SYS_setresgid, x.uid, x.uid, x.uid) != 0 ||
                 syscall(SYS_setresuid, x.uid, x.uid, x.uid) != 0))
    child_fail(report, kUid);
  // After the uid change, which clears it. Fires when the forking thread exits.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    child_fail(report, kPrctl);
  if (getppid() != x.parent) _exit(127);  // the harness died before PDEATHSIG was set
  if (x.cwd && chdir(x.cwd) != 0) child_fail(report, kChdir);
  execve(x.program, x.argv, x.envp);
  child_fail(report, kExec);
}

namespace {

// Non-root can only lower a hard limit.
rlimit clamp_limit(int resource, rlim_t soft, rlim_t hard) {
  rlimit current{};
  getrlimit(resource, &current);
  if (geteuid() != 0 && current.rlim_max != RLIM_INFINITY) {
    hard = std::min(hard, current.rlim_max);
    soft = std::min(soft, hard);
  }
  return {soft, hard};
}

}  // namespace

void set_limits(ChildExec& x, const SandboxLimits& limits) {
  // Not root: the kernel counts every task of this user against NPROC.
  auto nproc = static_cast<rlim_t>(limits.max_processes + (x.drop ? 0 : count_tasks_of(getuid())));
  auto cpu = static_cast<rlim_t>(std::ceil(std::max(limits.cpu_seconds, 1.0)));
  auto memory = static_cast<rlim_t>(std::max<int64_t>(limits.memory_bytes, 0));
  auto file = static_cast<rlim_t>(std::max<int64_t>(limits.file_bytes, 0));
  x.limits[0] = {RLIMIT_AS, clamp_limit(RLIMIT_AS, memory, memory)};
  // Soft = hard, so SIGKILL: SIGXCPU would be ignored by Python as bwrap's pid 1.
  x.limits[1] = {RLIMIT_CPU, clamp_limit(RLIMIT_CPU, cpu, cpu)};
  x.limits[2] = {RLIMIT_NPROC, clamp_limit(RLIMIT_NPROC, nproc, nproc)};
  x.limits[3] = {RLIMIT_FSIZE, clamp_limit(RLIMIT_FSIZE, file, file)};
  x.limits[4] = {RLIMIT_CORE, {0, 0}};
}

const char* child_step_name(int step) {
  return step >= 0 && step <= kExec ? kStepNames[step] : "?";
}

uid_t run_uid_base() { return (1u << 30) + ((static_cast<uint32_t>(getpid()) & 0x3fffu) << 16); }

uid_t fresh_run_uid() {
  static std::atomic<uint32_t> counter{0};
  return run_uid_base() + (counter.fetch_add(1) & 0xffffu);
}

int64_t count_tasks_of(uid_t uid) {
  int64_t count = 0;
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  while (dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    std::string dir = std::string("/proc/") + entry->d_name;
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || st.st_uid != uid) continue;
    // /proc/PID/task has 2 + (number of threads) links.
    if (stat((dir + "/task").c_str(), &st) == 0) count += std::max<int64_t>(1, st.st_nlink - 2);
  }
  closedir(proc);
  return count;
}

void kill_all_of_uid(uid_t uid) {
  pid_t pid = fork();
  if (pid == 0) {
    // Raw syscall: only this thread-less child changes identity.
    if (syscall(SYS_setresuid, uid, uid, uid) == 0) kill(-1, SIGKILL);
    _exit(0);
  }
  if (pid > 0)
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace moebench::eval
