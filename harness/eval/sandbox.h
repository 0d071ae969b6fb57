// Runs untrusted, model-generated Python programs, several in parallel, each in
// bubblewrap (no network, read-only /usr, private /tmp, no /etc, /root or /home)
// under rlimits, a memory cgroup where the host allows one, and a timeout.
// bwrap command: sandbox_bwrap.h; the Python driver and its completion token:
// sandbox_driver.h; processes and limits: sandbox_process.h, sandbox_child.h;
// the memory cgroup: sandbox_cgroup.h; failure reasons: sandbox_verdict.h.
//
// A program passes only on positive proof that it ran to its end: a fixed driver
// runs it and, once its tests have returned, writes a per-run random token to a
// pipe of its own; exit status 0 alone (exit(), os._exit(0), execv of /bin/true)
// proves nothing. What this does not guarantee: tasks/README.md, §10 "The sandbox".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moebench::eval {

struct SandboxLimits {
  // Then the process group is killed: room for real work, yet a hung program
  // costs one worker only this long.
  double wall_seconds = 10;
  // RLIMIT_CPU per process (SIGKILL at the limit): names a busy loop as such,
  // where a timeout might also mean a loaded machine.
  double cpu_seconds = 10;
  // The whole program's memory, all its processes together. With a cgroup
  // (sandbox_cgroup.h): its memory limit, and RLIMIT_AS per process as well, so
  // that "allocate 10 GB" is a quick MemoryError. Without one: RLIMIT_AS per
  // process, and processes × address space is kept within this by lowering
  // both (rlimit_memory_bound); describe() says which applies.
  int64_t memory_bytes = int64_t{1} << 30;
  // RLIMIT_NPROC, bwrap's own process included; made effective as root by a
  // fresh uid per run (sandbox_child.h). Contains a fork bomb, allows a small pool.
  int64_t max_processes = 64;
  // RLIMIT_FSIZE: no single file larger; stops "write 1 GB to /tmp/x" early.
  int64_t file_bytes = int64_t{16} << 20;
  // Size of the private tmpfs on /tmp and on /dev/shm (each), which is host RAM:
  // bounds what many files under file_bytes could add up to.
  int64_t tmp_bytes = int64_t{64} << 20;
  // stdout and stderr are each kept up to this. A program that prints more is
  // killed at once, "output limit": reading a flood to its end would only burn
  // the wall-clock budget on a result already decided.
  int64_t output_bytes = int64_t{1} << 20;
};

// What the driver runs, in one fresh `__main__` namespace: `code`, then (trace
// and profile hooks cleared) `tests`. Tracebacks name them main.py and tests.py.
struct PythonProgram {
  std::string code;   // HumanEval: prompt + completion; MBPP: the completion
  std::string tests;  // HumanEval: test + check(entry_point); MBPP: the asserts
  bool has_tests = true;  // false: `code` alone, which passes by reaching its end
};

struct ProgramResult {
  // Exit status 0 within every limit, and the driver's completion token, which
  // it writes only after the tests (or a test-less program) returned.
  bool passed = false;
  // Starts with "passed", "timeout", "exit code N", "exit status 0 without the
  // completion token", "exit status 0 with a wrong completion token",
  // "SystemExit before ...", "killed by signal", "memory limit", "cpu time limit",
  // "file size limit", "output limit" or "sandbox error"; a Python exception adds
  // its type: "exit code 1 (AssertionError)", "exit code 3 (SystemExit)".
  std::string reason;
  int exit_code = -1;                    // exit status; -N when killed by signal N; -1 never ran
  std::string stdout_text, stderr_text;  // raw bytes, each <= limits.output_bytes
  double wall_seconds = 0;
};

struct SandboxOptions {
  SandboxLimits limits;
  int workers = 0;  // programs in parallel in a batch; 0: hardware threads
  // Found in /usr/local/bin:/usr/bin:/bin, never via $PATH: the sandbox sees /usr
  // only, so a venv or pyenv shim under $HOME could not run there.
  std::string python = "python3";
  // --allow-unsandboxed-code: if bubblewrap is unusable, run anyway with only the
  // rlimits, a fresh uid (as root) and a private temp dir: no network isolation.
  bool allow_unsandboxed = false;
  // The bubblewrap binary; tests point it elsewhere to reach the refusal path.
  std::string bwrap = "bwrap";
  // false: never create a cgroup, bound memory with rlimits only (tests; hosts
  // where cgroup writes are unwelcome).
  bool use_cgroup = true;
};

class Sandbox {
 public:
  // Probes bubblewrap by running Python in the full sandbox. If that fails and
  // !allow_unsandboxed: InputError saying what failed and naming the flag.
  explicit Sandbox(SandboxOptions options);

  // Thread-safe; never throws for anything the program does.
  ProgramResult run_program(const PythonProgram& program) const;
  // A program without tests: run_program({source, "", false}).
  ProgramResult run_python(const std::string& source) const;
  // On `workers` threads, results in input order. `on_result(index, result)` runs
  // as each finishes, serialised (a ProgressBar may advance there); what it or a
  // run throws stops the batch and is rethrown.
  using ResultCallback = std::function<void(size_t, const ProgramResult&)>;
  std::vector<ProgramResult> run_programs(const std::vector<PythonProgram>& programs,
                                          const ResultCallback& on_result = {}) const;
  // Programs without tests.
  std::vector<ProgramResult> run_python_batch(const std::vector<std::string>& sources,
                                              const ResultCallback& on_result = {}) const;

  bool sandboxed() const { return sandboxed_; }
  // "bubblewrap 0.8.0, Python 3.11.2, 2 workers, 10 s wall, ..., memory: cgroup
  // v2 1.00 GiB for the whole program, ..." or "UNSANDBOXED ...".
  std::string describe() const;

 private:
  ProgramResult run_with(const PythonProgram& program, const SandboxLimits& limits) const;

  SandboxOptions options_;
  // options_.limits as applied to each process: without a cgroup, memory_bytes
  // and max_processes lowered by rlimit_memory_bound.
  SandboxLimits process_limits_;
  std::string cgroup_dir_;     // where run cgroups are made; empty: none
  int cgroup_version_ = 0;     // 1 or 2 (0: none)
  std::string memory_note_;    // "cgroup v2 1.00 GiB for the whole program" or the bound
  std::string bwrap_path_, python_path_, bwrap_version_, python_version_;
  std::vector<std::string> bwrap_mounts_;  // how /usr, /bin, /lib... appear inside
  bool sandboxed_ = false;
};

}  // namespace moebench::eval
