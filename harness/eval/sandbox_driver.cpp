#include "harness/eval/sandbox_driver.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace moebench::eval {
namespace {

[[noreturn]] void fail_system(const char* what) {
  throw std::runtime_error(fmt::format("sandbox: {}: {}", what, std::strerror(errno)));
}

// Python 3.8+. Names bound before the program runs are the driver's own: the
// program may rebind builtins, module attributes and sys hooks, not these.
// The token goes to fd 5 (kDoneFd).
const char* const kDriver = R"PY(
def _driver():
    import builtins, os, sys, types, linecache, traceback
    read, write, _exit, getpid = os.read, os.write, os._exit, os.getpid
    settrace, setprofile = sys.settrace, sys.setprofile
    monitor = getattr(sys, 'monitoring', None)  # Python 3.12+
    monitor = monitor and (monitor.set_events, getattr(monitor, 'clear_tool_id', None))
    compile_, exec_, type_, isinstance_, int_, str_ = compile, exec, type, isinstance, int, str
    type_name = type.__dict__['__name__'].__get__
    BaseException_, SystemExit_ = BaseException, SystemExit
    print_exception = traceback.print_exception
    streams = [(s, type_(s).flush) for s in (sys.stdout, sys.stderr)]
    stderr = sys.stderr
    token = b''
    while True:  # stdin holds the token, then end-of-file
        chunk = read(0, 64)
        if not chunk:
            break
        token += chunk
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    path = sys.argv[1]
    with open(path, 'rb') as f:
        data = f.read()
    header, _, data = data.partition(b'\n')
    size, has_tests = [int(x) for x in header.split()]
    base = os.path.dirname(path)
    parts = [(data[:size], base + '/main.py')]
    if has_tests:
        parts.append((data[size:], base + '/tests.py'))
    for source, name in parts:  # where tracebacks and inspect find the lines
        lines = source.decode('utf-8', 'replace').splitlines(True)
        linecache.cache[name] = (len(source), None, lines, name)
    module = types.ModuleType('__main__')
    module.__file__, module.__builtins__ = parts[0][1], builtins
    sys.modules['__main__'] = module
    sys.argv = [parts[0][1]]
    namespace, here, pid = module.__dict__, globals(), getpid()

    def leave(status, message=None, done=False):
        for stream, flush in streams:
            try:
                flush(stream)
            except BaseException_:
                pass
        if message is not None:
            try:
                write(2, message.encode('utf-8', 'replace'))
            except BaseException_:
                pass
        if done and getpid() == pid:  # not a forked child that came back here
            write(5, token)
        _exit(status)

    end = 'its tests finished' if has_tests else 'its end'
    try:
        for step, (source, name) in enumerate(parts):
            if step:  # a hook the code part set must not steer the tests
                settrace(None)
                setprofile(None)
                for tool in (0, 1, 2, 3, 4, 5) if monitor else ():
                    try:
                        monitor[0](tool, 0)
                        if monitor[1]:
                            monitor[1](tool)
                    except BaseException_:
                        pass
            exec_(compile_(source, name, 'exec', dont_inherit=True), namespace)
    except SystemExit_ as e:
        code = e.code
        if code is None or isinstance_(code, int_):
            status, shown = (0, 'None') if code is None else (code & 0xFF, int_.__repr__(code))
        else:
            status, shown = 1, str_.__repr__(code) if isinstance_(code, str_) else 'an object'
        leave(status, 'SystemExit: %s (the program exited before %s)\n' % (shown, end))
    except BaseException_ as e:
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_globals is here:
            tb = tb.tb_next  # the driver's own frames
        try:
            print_exception(type_(e), e, tb, file=stderr)
        except BaseException_:
            leave(1, '%s (its traceback could not be printed)\n' % type_name(type_(e)))
        leave(1)
    leave(0, done=True)


_driver()
)PY";

}  // namespace

const std::string& driver_source() {
  static const std::string source = kDriver;
  return source;
}

std::string driver_data(const PythonProgram& program) {
  return fmt::format("{} {}\n", program.code.size(), program.has_tests ? 1 : 0) + program.code +
         (program.has_tests ? program.tests : "");
}

DriverChannels::DriverChannels() {
  unsigned char bytes[16];
  for (size_t done = 0; done < sizeof bytes;) {
    ssize_t n = getrandom(bytes + done, sizeof bytes - done, 0);
    if (n < 0 && errno != EINTR) fail_system("getrandom");
    done += static_cast<size_t>(std::max<ssize_t>(n, 0));
  }
  for (unsigned char b : bytes) token_ += fmt::format("{:02x}", b);
  int in[2], done[2];
  if (pipe2(in, O_CLOEXEC) != 0) fail_system("pipe2");
  if (pipe2(done, O_CLOEXEC | O_NONBLOCK) != 0) {
    int saved = errno;
    close(in[0]), close(in[1]);
    errno = saved;
    fail_system("pipe2");
  }
  stdin_read_ = in[0], done_read_ = done[0], done_write_ = done[1];
  // The child's end blocks as a pipe normally does; only the host's read is
  // non-blocking.
  fcntl(done_write_, F_SETFL, 0);
  // 32 bytes always fit a fresh pipe's buffer: the write cannot block. Closing
  // the write end now gives the driver its end-of-file.
  ssize_t written = write(in[1], token_.data(), token_.size());
  int saved = errno;
  close(in[1]);
  if (written != static_cast<ssize_t>(token_.size())) {
    close_all();
    errno = saved;
    fail_system("write token pipe");
  }
}

DriverChannels::~DriverChannels() { close_all(); }

void DriverChannels::close_all() {
  for (int* fd : {&stdin_read_, &done_read_, &done_write_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

std::string DriverChannels::take_done() const {
  std::string text;
  char buffer[4096];
  while (text.size() < sizeof buffer) {
    ssize_t n = read(done_read_, buffer, sizeof buffer - text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

int data_memfd(const std::string& data) {
  int memfd = memfd_create("program", MFD_CLOEXEC);
  if (memfd < 0) fail_system("memfd_create");
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(memfd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) {
      int saved = errno;
      close(memfd);
      errno = saved;
      fail_system("write memfd");
    }
    done += static_cast<size_t>(std::max<ssize_t>(n, 0));
  }
  lseek(memfd, 0, SEEK_SET);
  return memfd;
}

}  // namespace moebench::eval
