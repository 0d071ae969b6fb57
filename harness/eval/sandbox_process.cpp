#include "harness/eval/sandbox_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "harness/eval/sandbox_child.h"

namespace moebench::eval {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {  // closes on scope exit
  int fd = -1;
  Fd() = default;
  explicit Fd(int fd) : fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int get() const { return fd; }
};

[[noreturn]] void fail_system(const char* what) {
  throw std::runtime_error(fmt::format("sandbox: {}: {}", what, std::strerror(errno)));
}

// A close-on-exec copy numbered >= 10, so the child's dup2 onto 0..4 can never
// overwrite a descriptor it has yet to copy. Takes ownership of `fd`.
int high_fd(int fd, const char* what) {
  if (fd < 0) fail_system(what);
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (high < 0) fail_system("fcntl(F_DUPFD_CLOEXEC)");
  return high;
}

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

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
  return status;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Reads both pipes until the child has exited and they are closed (or 0.5 s
// after the exit: an unsandboxed daemon may hold them), killing the group on
// timeout or overflow. Reaps the child; returns its wait status.
int capture(pid_t pid, int pidfd, int out_fd, int err_fd, Clock::time_point start,
            const SandboxLimits& limits, ChildOutcome& result) {
  struct {
    int fd;
    std::string* text;
    bool open;
  } streams[2] = {{out_fd, &result.out, true}, {err_fd, &result.err, true}};
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limits.wall_seconds));
  const size_t cap = static_cast<size_t>(std::max<int64_t>(limits.output_bytes, 0));
  Clock::time_point drain_until{};
  bool reaped = false;
  int status = 0;
  // Before the reap only: a zombie leader still holds the pid, which cannot be reused.
  auto kill_group = [&] { kill(-pid, SIGKILL), kill(pid, SIGKILL); };
  char buffer[65536];
  while (true) {
    auto now = Clock::now();
    if (reaped && (!(streams[0].open || streams[1].open) || now >= drain_until)) break;
    if (!reaped && !result.timed_out && now >= deadline) {
      result.timed_out = true;
      kill_group();
    }
    auto until = reaped             ? drain_until
                 : result.timed_out ? now + std::chrono::milliseconds(100)
                                    : deadline;
    int timeout_ms = static_cast<int>(
        std::chrono::ceil<std::chrono::milliseconds>(std::max(until - now, Clock::duration{}))
            .count());
    if (pidfd < 0 && !reaped) timeout_ms = std::min(timeout_ms, 10);  // no pidfd: poll waitid
    pollfd fds[3] = {{streams[0].open ? streams[0].fd : -1, POLLIN, 0},
                     {streams[1].open ? streams[1].fd : -1, POLLIN, 0},
                     {reaped ? -1 : pidfd, POLLIN, 0}};
    if (poll(fds, 3, timeout_ms) < 0 && errno != EINTR) fail_system("poll");
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(streams[i].fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        streams[i].open = false;
        continue;
      }
      std::string& text = *streams[i].text;
      size_t room = cap - text.size();
      text.append(buffer, std::min(static_cast<size_t>(n), room));
      if (static_cast<size_t>(n) > room && !result.output_overflow) {
        result.output_overflow = true;  // keep reading (and discarding) until EOF
        if (!reaped) kill_group();
      }
    }
    siginfo_t info{};  // WNOWAIT: look without reaping, so kill_group is still safe
    if (!reaped && waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      kill_group();  // leftovers in its group; bwrap's die with their pid namespace
      status = reap(pid);
      reaped = true;
      result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      drain_until = Clock::now() + std::chrono::milliseconds(500);
    }
  }
  return status;
}

}  // namespace

ChildOutcome run_child(const ChildSpec& spec, const SandboxLimits& limits) {
  ChildOutcome result;
  std::vector<char*> argv = c_strings(spec.argv), envp = c_strings(spec.env);
  Fd out_r, out_w, err_r, err_w, report_r, report_w;
  for (auto [r, w] : {std::pair{&out_r, &out_w}, {&err_r, &err_w}, {&report_r, &report_w}}) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) fail_system("pipe2");
    r->fd = high_fd(fds[0], "pipe2"), w->fd = high_fd(fds[1], "pipe2");
  }
  Fd devnull(high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null"));
  Fd fd3(spec.fd3 >= 0 ? high_fd(fcntl(spec.fd3, F_DUPFD_CLOEXEC, 0), "dup") : -1);

  bool drop = spec.drop_to_run_uid && geteuid() == 0;
  ChildExec x;
  x.program = spec.program.c_str();
  x.argv = argv.data();
  x.envp = envp.data();
  x.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  x.drop = drop;
  x.uid = spec.run_uid;
  x.parent = getpid();
  x.in = devnull.get();
  x.out = out_w.get();
  x.err = err_w.get();
  x.fd3 = fd3.get();
  x.report = report_w.get();
  // Not root: the kernel counts every task of this user against NPROC.
  auto nproc = static_cast<rlim_t>(limits.max_processes + (drop ? 0 : count_tasks_of(getuid())));
  auto cpu = static_cast<rlim_t>(std::ceil(std::max(limits.cpu_seconds, 1.0)));
  auto memory = static_cast<rlim_t>(std::max<int64_t>(limits.memory_bytes, 0));
  auto file = static_cast<rlim_t>(std::max<int64_t>(limits.file_bytes, 0));
  x.limits[0] = {RLIMIT_AS, clamp_limit(RLIMIT_AS, memory, memory)};
  x.limits[1] = {RLIMIT_CPU, clamp_limit(RLIMIT_CPU, cpu, cpu + 1)};  // SIGXCPU, then SIGKILL
  x.limits[2] = {RLIMIT_NPROC, clamp_limit(RLIMIT_NPROC, nproc, nproc)};
  x.limits[3] = {RLIMIT_FSIZE, clamp_limit(RLIMIT_FSIZE, file, file)};
  x.limits[4] = {RLIMIT_CORE, {0, 0}};

  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) fail_system("fork");
  if (pid == 0) exec_child(x);
  setpgid(pid, pid);  // EACCES once it has exec'd: then it already did it itself
  out_w.reset(), err_w.reset(), report_w.reset(), devnull.reset(), fd3.reset();
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));  // -1 before Linux 5.3

  int message[2];
  ssize_t got;
  do got = read(report_r.get(), message, sizeof message);
  while (got < 0 && errno == EINTR);
  if (got == sizeof message) {  // it never ran: reap and say which step failed
    reap(pid);
    result.spawn_error = fmt::format("{} {}: {}", child_step_name(message[0]), spec.program,
                                     std::strerror(message[1]));
    return result;
  }
  int status = capture(pid, pidfd.get(), out_r.get(), err_r.get(), start, limits, result);
  if (drop && spec.sweep_run_uid) kill_all_of_uid(spec.run_uid);
  if (WIFEXITED(status)) result.exited = true, result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

}  // namespace moebench::eval
