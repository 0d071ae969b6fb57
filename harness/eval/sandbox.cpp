#include "harness/eval/sandbox.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "harness/eval/sandbox_child.h"
#include "harness/eval/sandbox_process.h"
#include "harness/eval/sandbox_verdict.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {
namespace fs = std::filesystem;
namespace {

// The interpreter is looked up here only: the sandbox sees /usr, not $HOME.
const char* const kSystemPath = "/usr/local/bin:/usr/bin:/bin";

std::string find_executable(const std::string& name, const std::string& dirs) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  for (const auto& dir : split(dirs, ':')) {
    std::string path = (dir.empty() ? "." : dir) + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// bwrap's view of the host: /usr read-only, and /bin, /lib... as they are on the
// host (symlinks into /usr on merged-/usr Debian 12, directories elsewhere).
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

// The whole bwrap command line; the program arrives on fd 3 (see run_with).
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
       tmp_size, "--tmpfs", "/dev/shm", "--ro-bind-data", "3", "/sandbox/main.py",
       // bwrap's own root and /dev are tmpfs without a size limit: read-only, so
       // the size-limited /tmp and /dev/shm are the only writable places.
       "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--clearenv", "--setenv",
       "PATH", kSystemPath, "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--", python,
       // -I: no user site-packages, no PYTHON* variables; -B: no .pyc writes.
       "-I", "-B", "/sandbox/main.py"});
  return args;
}

template <typename F>
struct ScopeExit {
  F f;
  ~ScopeExit() { f(); }
};
template <typename F>
ScopeExit(F) -> ScopeExit<F>;

const char* const kVersionProbe = "print(__import__('platform').python_version())";

}  // namespace

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.workers <= 0) options_.workers = std::max(1u, std::thread::hardware_concurrency());
  python_path_ = find_executable(options_.python, kSystemPath);
  if (python_path_.empty())
    fail_input("code sandbox", "Python interpreter '{}' not found in {}", options_.python,
               kSystemPath);
  // The probe gets time enough on a loaded machine; the other limits are the user's.
  SandboxLimits probe_limits = options_.limits;
  probe_limits.wall_seconds = std::max(probe_limits.wall_seconds, 10.0);
  probe_limits.cpu_seconds = std::max(probe_limits.cpu_seconds, 10.0);

  const char* env_path = getenv("PATH");
  bwrap_path_ =
      find_executable(options_.bwrap, std::string(env_path ? env_path : "") + ":" + kSystemPath);
  std::string problem;
  if (bwrap_path_.empty()) {
    problem = fmt::format("'{}' not found (Debian package bubblewrap)", options_.bwrap);
  } else {
    ChildSpec version;
    version.program = bwrap_path_;
    version.argv = {bwrap_path_, "--version"};
    version.drop_to_run_uid = false;
    bwrap_version_ = first_line(run_child(version, probe_limits).out);
    bwrap_mounts_ = bwrap_mounts();
    sandboxed_ = true;
    ProgramResult probe = run_with(kVersionProbe, probe_limits);
    python_version_ = first_line(probe.stdout_text);
    if (!probe.passed)
      problem = fmt::format("running {} in {} failed: {}: {}", python_path_, bwrap_path_,
                            probe.reason, first_line(probe.stderr_text));
  }
  if (problem.empty()) return;
  sandboxed_ = false;
  if (!options_.allow_unsandboxed)
    fail_input("code sandbox",
               "bubblewrap is unusable: {}. Generated code is untrusted and is not run outside "
               "the sandbox; make bwrap work (it needs unprivileged user namespaces) or pass "
               "--allow-unsandboxed-code to run it with only rlimits, its own uid and a temp "
               "directory (no network or filesystem isolation)",
               problem);
  ProgramResult probe = run_with(kVersionProbe, probe_limits);
  if (!probe.passed)
    fail_input("code sandbox", "{} cannot run even unsandboxed: {}: {}", python_path_, probe.reason,
               first_line(probe.stderr_text));
  python_version_ = first_line(probe.stdout_text);
}

ProgramResult Sandbox::run_python(const std::string& source) const {
  return run_with(source, options_.limits);
}

ProgramResult Sandbox::run_with(const std::string& source, const SandboxLimits& limits) const {
  ChildSpec spec;
  spec.run_uid = fresh_run_uid();
  if (sandboxed_) {
    // The program reaches bwrap through a memfd, copied into the sandbox as a
    // read-only file: there is no host path that it (or a neighbour) could alter.
    int memfd = memfd_create("program.py", MFD_CLOEXEC);
    if (memfd < 0)
      throw std::runtime_error(fmt::format("sandbox: memfd_create: {}", strerror(errno)));
    ScopeExit close_memfd{[memfd] { close(memfd); }};
    for (size_t done = 0; done < source.size();) {
      ssize_t n = write(memfd, source.data() + done, source.size() - done);
      if (n < 0 && errno != EINTR)
        throw std::runtime_error(fmt::format("sandbox: write memfd: {}", strerror(errno)));
      done += static_cast<size_t>(std::max<ssize_t>(n, 0));
    }
    lseek(memfd, 0, SEEK_SET);
    spec.program = bwrap_path_;
    spec.argv = bwrap_command(bwrap_path_, bwrap_mounts_, python_path_, limits);
    spec.env = {std::string("PATH=") + kSystemPath};
    spec.fd3 = memfd;
    spec.bwrap_info_fd4 = true;
    return verdict(run_child(spec, limits), limits, true);
  }
  // Unsandboxed (opted in): a private directory as cwd, HOME and TMPDIR, owned by
  // the run's uid when we are root.
  std::string dir_name = (fs::temp_directory_path() / "moebench-run-XXXXXX").string();
  if (!mkdtemp(dir_name.data()))
    throw std::runtime_error(fmt::format("sandbox: mkdtemp: {}", strerror(errno)));
  fs::path dir = dir_name, file = dir / "main.py";
  ScopeExit remove_dir{[&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }};
  if (!(std::ofstream(file, std::ios::binary) << source))
    throw std::runtime_error(fmt::format("sandbox: cannot write {}", file.string()));
  if (geteuid() == 0 &&
      (chown(dir.c_str(), spec.run_uid, spec.run_uid) != 0 || chmod(file.c_str(), 0644) != 0))
    throw std::runtime_error(fmt::format("sandbox: chown {}: {}", dir.string(), strerror(errno)));
  spec.program = python_path_;
  spec.argv = {python_path_, "-I", "-B", file.string()};
  spec.env = {std::string("PATH=") + kSystemPath, "HOME=" + dir.string(), "TMPDIR=" + dir.string(),
              "LANG=C.UTF-8"};
  spec.cwd = dir.string();
  spec.sweep_run_uid = true;  // no pid namespace: find whatever it left running
  return verdict(run_child(spec, limits), limits, false);
}

std::vector<ProgramResult> Sandbox::run_python_batch(const std::vector<std::string>& sources,
                                                     const ResultCallback& on_result) const {
  std::vector<ProgramResult> results(sources.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;  // serialises on_result and guards `error`
  std::exception_ptr error;
  auto work = [&] {
    for (size_t i; !stop && (i = next.fetch_add(1)) < sources.size();) {
      try {
        results[i] = run_python(sources[i]);
        std::lock_guard<std::mutex> lock(mutex);
        if (on_result && !stop) on_result(i, results[i]);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  size_t threads = std::min<size_t>(static_cast<size_t>(options_.workers), sources.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  if (threads > 0) work();
  for (auto& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
  return results;
}

std::string Sandbox::describe() const {
  const SandboxLimits& l = options_.limits;
  return fmt::format(
      "{}, Python {}, {} workers, {} s wall, {} s CPU, {} memory, {} processes, "
      "{} per file, {} /tmp, {} output",
      sandboxed_ ? bwrap_version_ : "UNSANDBOXED (--allow-unsandboxed-code)", python_version_,
      options_.workers, l.wall_seconds, l.cpu_seconds, human_bytes(l.memory_bytes), l.max_processes,
      human_bytes(l.file_bytes), human_bytes(l.tmp_bytes), human_bytes(l.output_bytes));
}

}  // namespace moebench::eval
