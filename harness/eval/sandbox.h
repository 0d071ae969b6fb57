// Runs untrusted, model-generated Python programs, several in parallel, each in
// bubblewrap (no network, read-only /usr, private /tmp, no /etc, /root or /home)
// under rlimits and a timeout. bwrap command: sandbox.cpp; processes and limits:
// sandbox_process.h, sandbox_child.h; failure reasons: sandbox_verdict.h.
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
  // RLIMIT_AS per process: "allocate 10 GB" is a MemoryError, not host swapping.
  // Address space, not RAM; with rlimits only, a run's processes together may
  // reach max_processes times this (no cgroup is used).
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

struct ProgramResult {
  bool passed = false;  // exited with status 0 within every limit
  // Starts with "passed", "timeout", "exit code N", "killed by signal", "memory
  // limit", "cpu time limit", "file size limit", "output limit" or "sandbox error";
  // a Python exception adds its type: "exit code 1 (AssertionError)".
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
};

class Sandbox {
 public:
  // Probes bubblewrap by running Python in the full sandbox. If that fails and
  // !allow_unsandboxed: InputError saying what failed and naming the flag.
  explicit Sandbox(SandboxOptions options);

  // Thread-safe; never throws for anything the program does.
  ProgramResult run_python(const std::string& source) const;
  // On `workers` threads, results in input order. `on_result(index, result)` runs
  // as each finishes, serialised (a ProgressBar may advance there); what it or a
  // run throws stops the batch and is rethrown.
  using ResultCallback = std::function<void(size_t, const ProgramResult&)>;
  std::vector<ProgramResult> run_python_batch(const std::vector<std::string>& sources,
                                              const ResultCallback& on_result = {}) const;

  bool sandboxed() const { return sandboxed_; }
  // "bubblewrap 0.8.0, Python 3.11.2, 2 workers, 10 s wall, ..." or "UNSANDBOXED ...".
  std::string describe() const;

 private:
  ProgramResult run_with(const std::string& source, const SandboxLimits& limits) const;

  SandboxOptions options_;
  std::string bwrap_path_, python_path_, bwrap_version_, python_version_;
  std::vector<std::string> bwrap_mounts_;  // how /usr, /bin, /lib... appear inside
  bool sandboxed_ = false;
};

}  // namespace moebench::eval
