#include "harness/eval/sandbox_bwrap.h"

#include <filesystem>

#include "harness/eval/sandbox_driver.h"

namespace moebench::eval {
namespace fs = std::filesystem;

std::vector<std::string> bwrap_mounts() {
  std::vector<std::string> args = {"--ro-bind", "/usr", "/usr"};
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    auto status = fs::symlink_status(dir, ec);
    if (ec || !fs::exists(status)) continue;
    if (fs::is_symlink(status))
      args.insert(args.end(), {"--symlink", fs::read_symlink(dir, ec).string(), dir});
    else
      args.insert(args.end(), {"--ro-bind", dir, dir});
  }
  return args;
}

std::vector<std::string> bwrap_command(const std::string& bwrap,
                                       const std::vector<std::string>& mounts,
                                       const std::string& python, const SandboxLimits& limits) {
  // Run as the run's unprivileged uid (see sandbox_child.h), bwrap needs no
  // privilege: it maps that uid into a fresh user namespace. --unshare-all adds
  // net (a private loopback only), pid, ipc, uts, cgroup; --unshare-user is
  // spelled out because --disable-userns (bwrap >= 0.8: no nested namespaces for
  // the program) requires it. --new-session: no TIOCSTI into our terminal.
  // --die-with-parent + the pid namespace: killing bwrap kills everything inside.
  // --as-pid-1: Python itself is the namespace's init, so when it exits the kernel
  // has killed and reaped the rest before bwrap reaps Python. With bwrap's own
  // init instead, bwrap exits first and that init is left a zombie for the
  // host's pid 1 to reap (never, if moebench is that pid 1 in a container).
  // The price: as init, Python ignores signals it has no handler for (SIGXCPU,
  // os.kill of itself); the kernel's SIGKILL and fault signals still apply.
  // --info-fd 4: bwrap reports the program's pid there (see ChildSpec).
  std::vector<std::string> args = {
      bwrap,           "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
      "--new-session", "--as-pid-1"};
  args.insert(args.end(), {"--info-fd", "4", "--hostname", "sandbox"});
  args.insert(args.end(), mounts.begin(), mounts.end());
  std::string tmp_size = std::to_string(limits.tmp_bytes);
  args.insert(
      args.end(),
      {"--proc", "/proc", "--dev", "/dev", "--size", tmp_size, "--tmpfs", "/tmp", "--size",
       tmp_size, "--tmpfs", "/dev/shm", "--ro-bind-data", "3", "/sandbox/program",
       // bwrap's own root and /dev are tmpfs without a size limit: read-only, so
       // the size-limited /tmp and /dev/shm are the only writable places.
       "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--clearenv", "--setenv",
       "PATH", kSystemPath, "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--", python,
       // -I: no user site-packages, no PYTHON* variables; -B: no .pyc writes.
       "-I", "-B", "-c", driver_source(), "/sandbox/program"});
  return args;
}

}  // namespace moebench::eval
