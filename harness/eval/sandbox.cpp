#include "harness/eval/sandbox.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "harness/eval/sandbox_bwrap.h"
#include "harness/eval/sandbox_cgroup.h"
#include "harness/eval/sandbox_child.h"
#include "harness/eval/sandbox_driver.h"
#include "harness/eval/sandbox_process.h"
#include "harness/eval/sandbox_verdict.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {
namespace fs = std::filesystem;
namespace {

std::string find_executable(const std::string& name, const std::string& dirs) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  for (const auto& dir : split(dirs, ':')) {
    std::string path = (dir.empty() ? "." : dir) + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

template <typename F>
struct ScopeExit {
  F f;
  ~ScopeExit() { f(); }
};
template <typename F>
ScopeExit(F) -> ScopeExit<F>;

// Through the driver like every program: a sandbox whose driver cannot pass fails here.
const PythonProgram kVersionProbe{"print(__import__('platform').python_version())", "", false};

}  // namespace

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.workers <= 0) options_.workers = std::max(1u, std::thread::hardware_concurrency());
  python_path_ = find_executable(options_.python, kSystemPath);
  if (python_path_.empty())
    fail_input("code sandbox", "Python interpreter '{}' not found in {}", options_.python,
               kSystemPath);
  const SandboxLimits& limits = options_.limits;
  process_limits_ = limits;
  CgroupParent cgroup = options_.use_cgroup ? find_cgroup_parent() : CgroupParent{};
  cgroup_dir_ = cgroup.dir, cgroup_version_ = cgroup.version;
  if (!cgroup_dir_.empty()) {
    memory_note_ = fmt::format("cgroup v{}, {} for the whole program", cgroup_version_,
                               human_bytes(limits.memory_bytes));
  } else {
    rlimit_memory_bound(process_limits_);
    memory_note_ = fmt::format("{} processes × {} address space (no cgroup: {})",
                               process_limits_.max_processes,
                               human_bytes(process_limits_.memory_bytes),
                               options_.use_cgroup ? cgroup.why : "turned off");
  }
  // The probe gets time enough on a loaded machine; the other limits are the user's.
  SandboxLimits probe_limits = process_limits_;
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
  return run_program({source, "", false});
}

ProgramResult Sandbox::run_program(const PythonProgram& program) const {
  return run_with(program, process_limits_);
}

ProgramResult Sandbox::run_with(const PythonProgram& program, const SandboxLimits& limits) const {
  DriverChannels channels;
  ChildSpec spec;
  spec.run_uid = fresh_run_uid();
  spec.stdin_fd = channels.stdin_read();
  spec.fd5 = channels.done_write();
  std::optional<RunCgroup> cgroup;
  if (!cgroup_dir_.empty()) {
    cgroup.emplace(CgroupParent{cgroup_dir_, cgroup_version_, ""}, options_.limits);
    spec.cgroup_procs_fd = cgroup->procs_fd();
  }
  auto finish = [&](ChildOutcome outcome) {
    outcome.done = channels.take_done();
    if (cgroup) outcome.oom_kills = cgroup->oom_kills();
    return verdict(std::move(outcome), RunFacts{limits, sandboxed_, channels.token(),
                                                program.has_tests, cgroup.has_value()});
  };
  if (sandboxed_) {
    // The data reaches bwrap through a memfd, copied into the sandbox as a
    // read-only file: there is no host path that it (or a neighbour) could alter.
    int memfd = data_memfd(driver_data(program));
    ScopeExit close_memfd{[memfd] { close(memfd); }};
    spec.program = bwrap_path_;
    spec.argv = bwrap_command(bwrap_path_, bwrap_mounts_, python_path_, limits);
    spec.env = {std::string("PATH=") + kSystemPath};
    spec.fd3 = memfd;
    spec.bwrap_info_fd4 = true;
    return finish(run_child(spec, limits));
  }
  // Unsandboxed (opted in): a private directory as cwd, HOME and TMPDIR, owned by
  // the run's uid when we are root.
  std::string dir_name = (fs::temp_directory_path() / "moebench-run-XXXXXX").string();
  if (!mkdtemp(dir_name.data()))
    throw std::runtime_error(fmt::format("sandbox: mkdtemp: {}", strerror(errno)));
  fs::path dir = dir_name, file = dir / "program";
  ScopeExit remove_dir{[&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }};
  if (!(std::ofstream(file, std::ios::binary) << driver_data(program)))
    throw std::runtime_error(fmt::format("sandbox: cannot write {}", file.string()));
  if (geteuid() == 0 &&
      (chown(dir.c_str(), spec.run_uid, spec.run_uid) != 0 || chmod(file.c_str(), 0444) != 0))
    throw std::runtime_error(fmt::format("sandbox: chown {}: {}", dir.string(), strerror(errno)));
  spec.program = python_path_;
  spec.argv = {python_path_, "-I", "-B", "-c", driver_source(), file.string()};
  spec.env = {std::string("PATH=") + kSystemPath, "HOME=" + dir.string(), "TMPDIR=" + dir.string(),
              "LANG=C.UTF-8"};
  spec.cwd = dir.string();
  spec.sweep_run_uid = true;  // no pid namespace: find whatever it left running
  return finish(run_child(spec, limits));
}

std::vector<ProgramResult> Sandbox::run_python_batch(const std::vector<std::string>& sources,
                                                     const ResultCallback& on_result) const {
  std::vector<PythonProgram> programs;
  for (const auto& source : sources) programs.push_back({source, "", false});
  return run_programs(programs, on_result);
}

std::vector<ProgramResult> Sandbox::run_programs(const std::vector<PythonProgram>& sources,
                                                 const ResultCallback& on_result) const {
  std::vector<ProgramResult> results(sources.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;  // serialises on_result and guards `error`
  std::exception_ptr error;
  auto work = [&] {
    for (size_t i; !stop && (i = next.fetch_add(1)) < sources.size();) {
      try {
        results[i] = run_program(sources[i]);
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
  const SandboxLimits& l = process_limits_;
  return fmt::format(
      "{}, Python {}, {} workers, {} s wall, {} s CPU, memory: {}, {} processes, "
      "{} per file, {} /tmp, {} output",
      sandboxed_ ? bwrap_version_ : "UNSANDBOXED (--allow-unsandboxed-code)", python_version_,
      options_.workers, l.wall_seconds, l.cpu_seconds, memory_note_, l.max_processes,
      human_bytes(l.file_bytes), human_bytes(l.tmp_bytes), human_bytes(l.output_bytes));
}

}  // namespace moebench::eval
