#include "harness/eval/sandbox_verdict.h"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "harness/util/text.h"

namespace moebench::eval {

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

namespace {

// "AssertionError" from a traceback's last line "AssertionError: message".
std::string exception_type(const std::string& err) {
  size_t end = err.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t begin = err.find_last_of('\n', end);
  std::string line = err.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin + 1));
  std::string type = line.substr(0, line.find(':'));
  bool identifier =
      !type.empty() && type.size() <= 80 && std::all_of(type.begin(), type.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
      });
  return identifier ? type : "";
}

std::string signal_reason(int sig, const SandboxLimits& limits) {
  if (sig == SIGXCPU) return fmt::format("cpu time limit ({} s)", limits.cpu_seconds);
  if (sig == SIGXFSZ) return fmt::format("file size limit ({})", human_bytes(limits.file_bytes));
  const char* name = sigabbrev_np(sig);
  return fmt::format("killed by signal {} (SIG{})", sig, name ? name : "?");
}

// Exit status 0 without the token: the program ended (or was ended) before the
// driver saw its tests return.
std::string unproven_reason(const ChildOutcome& child, const std::string& type,
                            const RunFacts& facts) {
  const char* end = facts.has_tests ? "its tests finished" : "its end";
  if (type == "SystemExit")  // the driver's own line: SystemExit: 0 (the program exited ...)
    return fmt::format("SystemExit before {} (exit status 0, no completion token)", end);
  if (child.done.empty())
    return fmt::format("exit status 0 without the completion token: the program ended before {}",
                       end);
  return "exit status 0 with a wrong completion token: the program wrote to the driver's pipe";
}

}  // namespace

ProgramResult verdict(ChildOutcome child, const RunFacts& facts) {
  const SandboxLimits& limits = facts.limits;
  ProgramResult r;
  r.wall_seconds = child.wall_seconds;
  r.exit_code = child.exited ? child.exit_code : child.term_signal ? -child.term_signal : -1;
  // bwrap reports a program killed by signal N as exit status 128 + N.
  if (facts.sandboxed && child.exited && child.exit_code > 128 && child.exit_code < 128 + 65)
    r.exit_code = -(child.exit_code - 128);
  std::string type = exception_type(child.err);
  double cpu_limit = std::ceil(std::max(limits.cpu_seconds, 1.0));  // as set_limits sets it
  std::string memory = human_bytes(limits.memory_bytes) + (facts.cgroup ? "" : " per process");
  if (!child.spawn_error.empty()) {
    r.reason = "sandbox error: " + child.spawn_error;
  } else if (child.oom_kills > 0) {
    // Whatever the exit status: a process of the program was killed, perhaps a
    // child whose parent went on to exit 0.
    r.reason = fmt::format("memory limit ({} for the whole program, cgroup OOM kill)",
                           human_bytes(limits.memory_bytes));
  } else if (child.timed_out) {
    r.reason = fmt::format("timeout ({} s wall clock)", limits.wall_seconds);
  } else if (child.output_overflow) {
    r.reason = fmt::format("output limit (more than {} on stdout or stderr)",
                           human_bytes(limits.output_bytes));
  } else if (r.exit_code == -SIGKILL && child.cpu_seconds >= 0.9 * cpu_limit) {
    // Not our SIGKILL (timeouts were handled above) but RLIMIT_CPU's; rusage is
    // tick-sampled, hence the margin.
    r.reason = fmt::format("cpu time limit ({} s)", limits.cpu_seconds);
  } else if (r.exit_code < 0) {
    r.reason = signal_reason(-r.exit_code, limits);
  } else if (r.exit_code == 0 && child.done == facts.token) {
    r.passed = true;
    r.reason = "passed";
  } else if (r.exit_code == 0) {
    r.reason = unproven_reason(child, type, facts);
  } else if (facts.sandboxed && child.err.rfind("bwrap: ", 0) == 0) {
    r.reason = "sandbox error: " + first_line(child.err);
  } else if (type == "MemoryError") {
    r.reason = fmt::format("memory limit ({}, MemoryError)", memory);
  } else if (child.err.find("[Errno 27] File too large") != std::string::npos) {
    r.reason = fmt::format("file size limit ({})", human_bytes(limits.file_bytes));
  } else if (child.err.find("[Errno 28] No space left on device") != std::string::npos) {
    r.reason = fmt::format("file size limit (/tmp full at {})", human_bytes(limits.tmp_bytes));
  } else {
    r.reason = fmt::format("exit code {}", r.exit_code) + (type.empty() ? "" : " (" + type + ")");
  }
  r.stdout_text = std::move(child.out);
  r.stderr_text = std::move(child.err);
  return r;
}

}  // namespace moebench::eval
