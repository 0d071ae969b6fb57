// The fixed Python driver that runs every program, and the channels that let it
// prove the program ran to its end.
//
// Exit status 0 proves nothing: exit(), os._exit(0), an atexit hook, a forked
// parent or execv("/bin/true") all give it before a single test ran. So the
// program is data, not __main__: the driver reads a per-run random token from
// stdin (a pipe the host closed after writing it) and re-points stdin to
// /dev/null before any program code runs; it keeps its own references to what it
// needs (exec, compile, sys.settrace, os.write, os._exit, traceback printing);
// runs the code part, clears trace and profile hooks, runs the tests part, and
// only when they returned writes the token to fd kDoneFd and leaves by
// os._exit(0), so atexit handlers and sys.excepthook never run. The host passes a
// run only on exit status 0 and exactly the token in that pipe.
// Code in the same interpreter can still reach the token (gc, frames); see
// tasks/README.md, "The sandbox".
#pragma once

#include <string>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

// The child's fd on which the driver writes the token (bwrap passes it through).
constexpr int kDoneFd = 5;

// The driver's source, run as `python3 -I -B -c <source> <data file>`.
const std::string& driver_source();

// The data file the driver reads: "<bytes of code> <1|0: has tests>\n" + code +
// tests. Tracebacks name the parts <dir of the data file>/main.py and /tests.py.
std::string driver_data(const PythonProgram& program);

// One run's token and pipes. stdin_read: the child's stdin, holding the token
// and then end-of-file; done_write: the child's kDoneFd; done_read: the host's.
// All close-on-exec; closed by the destructor.
class DriverChannels {
 public:
  DriverChannels();  // throws std::runtime_error when the host is out of fds
  ~DriverChannels();
  DriverChannels(const DriverChannels&) = delete;
  DriverChannels& operator=(const DriverChannels&) = delete;

  const std::string& token() const { return token_; }
  int stdin_read() const { return stdin_read_; }
  int done_write() const { return done_write_; }
  // What the pipe holds now (at most 4 KiB), without waiting: call once the
  // child has exited (a grandchild may still hold the write end).
  std::string take_done() const;

 private:
  void close_all();

  std::string token_;  // 32 hex digits from getrandom(2)
  int stdin_read_ = -1, done_read_ = -1, done_write_ = -1;
};

// A read-only-looking file holding `data`, for bwrap --ro-bind-data (no host
// path a neighbour could alter). Close-on-exec; the caller closes it.
int data_memfd(const std::string& data);

}  // namespace moebench::eval
