// Ctrl-C and SIGTERM (a Slurm time limit, a cron kill) as a request to stop
// at the next safe point instead of dying mid-write. While an InterruptScope
// lives, the first SIGINT/SIGTERM only sets a flag that long work polls; a
// second one restores the default action and re-raises, so a stuck process
// can still be killed from the keyboard.
#pragma once

#include <stdexcept>
#include <string>

namespace moebench {

class InterruptScope {
 public:
  InterruptScope();   // installs the handlers and clears the flag
  ~InterruptScope();  // restores the previous handlers
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  static bool requested();  // a signal arrived since the scope began
  static int signal();      // which one (SIGINT or SIGTERM); 0 when none
};

// Thrown once work stopped cleanly because of a signal; main() exits with
// 128 + signal after printing the message (which says how to resume).
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message) : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace moebench
