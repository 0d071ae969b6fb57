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

// Waits for `pid`; adds the CPU time of it and the descendants it reaped.
int reap(pid_t pid, double* cpu_seconds = nullptr) {
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) continue;
  if (cpu_seconds)
    *cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                   (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
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
int capture(pid_t pid, int pidfd, int inner_pidfd, int out_fd, int err_fd, Clock::time_point start,
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
  // Timeout or overflow: the program first (bwrap reaps it, then exits), its
  // whole group if that has not ended it within a second.
  Clock::time_point kill_group_at = Clock::time_point::max();
  auto stop = [&] {
    if (inner_pidfd >= 0 && syscall(SYS_pidfd_send_signal, inner_pidfd, SIGKILL, nullptr, 0) == 0)
      kill_group_at = Clock::now() + std::chrono::seconds(1);
    else
      kill_group();
  };
  char buffer[65536];
  while (true) {
    auto now = Clock::now();
    if (reaped && (!(streams[0].open || streams[1].open) || now >= drain_until)) break;
    if (!reaped && !result.timed_out && now >= deadline) {
      result.timed_out = true;
      stop();
    }
    if (!reaped && now >= kill_group_at) kill_group(), kill_group_at = Clock::time_point::max();
    auto until = reaped                                       ? drain_until
                 : result.timed_out || result.output_overflow ? now + std::chrono::milliseconds(100)
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
        if (!reaped) stop();
      }
    }
    siginfo_t info{};  // WNOWAIT: look without reaping, so kill_group is still safe
    if (!reaped && waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      kill_group();  // leftovers in its group; bwrap's die with their pid namespace
      status = reap(pid, &result.cpu_seconds);
      reaped = true;
      result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      drain_until = Clock::now() + std::chrono::milliseconds(500);
    }
  }
  return status;
}

// The program's pid, as a pidfd, from bwrap's --info-fd JSON ({"child-pid": N,
// ...}), which bwrap writes before it runs the program but never closes.
int read_child_pidfd(int info_fd, Clock::time_point deadline) {
  std::string info;
  char buffer[1024];
  while (info.find('}') == std::string::npos) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd fds = {info_fd, POLLIN, 0};
    if (left <= 0 || poll(&fds, 1, static_cast<int>(left)) == 0) return -1;
    ssize_t n = read(info_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    info.append(buffer, static_cast<size_t>(n));
  }
  size_t key = info.find("\"child-pid\":");
  if (key == std::string::npos) return -1;
  long child = std::strtol(info.c_str() + key + 12, nullptr, 10);
  return child > 0 ? static_cast<int>(syscall(SYS_pidfd_open, child, 0)) : -1;
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
  // High copies of the caller's fds (see high_fd), closed again after the fork.
  auto dup_high = [](int fd) { return fd >= 0 ? high_fd(fcntl(fd, F_DUPFD_CLOEXEC, 0), "dup") : -1; };
  Fd child_stdin(spec.stdin_fd >= 0
                 ? dup_high(spec.stdin_fd)
                 : high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null"));
  Fd fd3(dup_high(spec.fd3)), fd5(dup_high(spec.fd5)), cgroup(dup_high(spec.cgroup_procs_fd));
  Fd info_r, info_w;
  if (spec.bwrap_info_fd4) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) fail_system("pipe2");
    info_r.fd = high_fd(fds[0], "pipe2"), info_w.fd = high_fd(fds[1], "pipe2");
  }

  bool drop = spec.drop_to_run_uid && geteuid() == 0;
  ChildExec x;
  x.program = spec.program.c_str();
  x.argv = argv.data();
  x.envp = envp.data();
  x.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  x.drop = drop;
  x.uid = spec.run_uid;
  x.parent = getpid();
  x.in = child_stdin.get();
  x.out = out_w.get();
  x.err = err_w.get();
  x.fd3 = fd3.get();
  x.fd4 = info_w.get();
  x.fd5 = fd5.get();
  x.report = report_w.get();
  x.cgroup_procs = cgroup.get();
  set_limits(x, limits);

  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) fail_system("fork");
  if (pid == 0) exec_child(x);
  setpgid(pid, pid);  // EACCES once it has exec'd: then it already did it itself
  out_w.reset(), err_w.reset(), report_w.reset(), child_stdin.reset(), fd3.reset(), info_w.reset();
  fd5.reset(), cgroup.reset();
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
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(limits.wall_seconds));
  Fd inner_pidfd(spec.bwrap_info_fd4 ? read_child_pidfd(info_r.get(), deadline) : -1);
  int status =
      capture(pid, pidfd.get(), inner_pidfd.get(), out_r.get(), err_r.get(), start, limits, result);
  if (drop && spec.sweep_run_uid) kill_all_of_uid(spec.run_uid);
  if (WIFEXITED(status)) result.exited = true, result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

}  // namespace moebench::eval
