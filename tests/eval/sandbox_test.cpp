// The code sandbox against the hostile programs of its acceptance list. Every
// hostile run is followed by a normal one: the harness must keep working.
#include "harness/eval/sandbox.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "harness/eval/sandbox_child.h"
#include "harness/util/error.h"

namespace moebench::eval {
namespace {

SandboxOptions test_options() {
  SandboxOptions options;
  options.limits.wall_seconds = 2;  // short: the timeout tests wait this long
  options.limits.cpu_seconds = 2;
  options.workers = 2;
  return options;
}

// One for the suite: constructing probes bwrap with a sandboxed Python start.
const Sandbox& sandbox() {
  static const Sandbox instance(test_options());
  return instance;
}

ProgramResult run(const std::string& source) { return sandbox().run_python(source); }

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

void expect_still_works() {
  ProgramResult r = run("print('still here')");
  EXPECT_TRUE(r.passed) << r.reason << "\n" << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "still here\n");
}

// Live processes running as one of the per-run uids this test process hands out.
int live_run_uid_processes() {
  uid_t first = run_uid_base();
  int count = 0;
  DIR* proc = opendir("/proc");
  while (dirent* entry = proc ? readdir(proc) : nullptr) {
    struct stat st {};
    std::string dir = std::string("/proc/") + entry->d_name;
    if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9' && stat(dir.c_str(), &st) == 0 &&
        st.st_uid >= first && st.st_uid < first + 0x10000)
      ++count;
  }
  if (proc) closedir(proc);
  return count;
}

bool no_run_uid_processes_within(double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (live_run_uid_processes() > 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(SandboxTest, IsSandboxedAndDescribesItself) {
  EXPECT_TRUE(sandbox().sandboxed()) << "bubblewrap must work on this machine";
  EXPECT_TRUE(starts_with(sandbox().describe(), "bubblewrap ")) << sandbox().describe();
  EXPECT_NE(sandbox().describe().find("2 workers, 2 s wall"), std::string::npos);
}

TEST(SandboxTest, PassingProgramPasses) {
  ProgramResult r = run("import math\nassert math.gcd(12, 18) == 6\nprint('hello')\n");
  EXPECT_TRUE(r.passed) << r.stderr_text;
  EXPECT_EQ(r.reason, "passed");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "hello\n");
  EXPECT_LT(r.wall_seconds, 2.0);
}

TEST(SandboxTest, FailuresNameTheException) {
  ProgramResult assert_fails = run("def f(x):\n    return x + 1\nassert f(1) == 3\n");
  EXPECT_FALSE(assert_fails.passed);
  EXPECT_EQ(assert_fails.reason, "exit code 1 (AssertionError)");
  EXPECT_EQ(assert_fails.exit_code, 1);
  ProgramResult syntax = run("def f(:\n    pass\n");
  EXPECT_EQ(syntax.reason, "exit code 1 (SyntaxError)") << syntax.stderr_text;
  EXPECT_EQ(run("import sys\nsys.exit(3)").reason, "exit code 3 (SystemExit)");
  ProgramResult crashed = run("import ctypes\nctypes.string_at(0)");
  EXPECT_EQ(crashed.reason, "killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(crashed.exit_code, -11);
}

TEST(SandboxTest, NetworkIsUnreachable) {
  // No interface but a loopback of its own: nothing here can reach the host or beyond.
  ProgramResult lo = run("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)");
  EXPECT_FALSE(lo.passed);
  EXPECT_NE(lo.stderr_text.find("Connection refused"), std::string::npos) << lo.stderr_text;
  ProgramResult pub = run("import socket\nsocket.create_connection(('8.8.8.8', 53), timeout=1)");
  EXPECT_FALSE(pub.passed);
  EXPECT_NE(pub.stderr_text.find("Network is unreachable"), std::string::npos) << pub.stderr_text;
  EXPECT_EQ(run("import socket\nprint([n for _, n in socket.if_nameindex()])").stdout_text,
            "['lo']\n");
  expect_still_works();
}

TEST(SandboxTest, WritesOnlyToItsOwnTmp) {
  for (const char* path : {"/usr/x", "/etc/x", "/x", "/dev/x", "/sandbox/main.py", "/root/x"}) {
    ProgramResult r = run(std::string("open('") + path + "', 'w').write('x')");
    EXPECT_FALSE(r.passed) << path;
    EXPECT_TRUE(starts_with(r.reason, "exit code 1 (")) << path << ": " << r.reason;
  }
  EXPECT_FALSE(std::ifstream("/usr/x").good());
  ProgramResult tmp = run("open('/tmp/x', 'w').write('x')\nprint(open('/tmp/x').read())");
  EXPECT_TRUE(tmp.passed) << tmp.stderr_text;
  // Private: the next run's /tmp is empty again.
  EXPECT_EQ(run("import os\nprint(os.listdir('/tmp'))").stdout_text, "[]\n");
  expect_still_works();
}

TEST(SandboxTest, CannotReadSecrets) {
  for (const char* source :
       {"print(open('/etc/shadow').read())", "import os\nprint(os.listdir('/root'))",
        "import os\nprint(os.listdir('/home'))", "print(open('/etc/passwd').read())"}) {
    ProgramResult r = run(source);
    EXPECT_FALSE(r.passed) << source;
    EXPECT_EQ(r.reason, "exit code 1 (FileNotFoundError)") << source;
    EXPECT_EQ(r.stdout_text, "") << source;
  }
  expect_still_works();
}

TEST(SandboxTest, ForkBombIsContained) {
  // Children that stay alive: fork fails once the process limit (64, of which
  // bwrap holds one) is reached.
  ProgramResult counted =
      run("import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
          "            time.sleep(60)\n            os._exit(0)\n        n += 1\n"
          "finally:\n    print(n, flush=True)\n");
  EXPECT_EQ(counted.reason, "exit code 1 (BlockingIOError)") << counted.stderr_text;
  int forked = std::atoi(counted.stdout_text.c_str());
  EXPECT_GT(forked, 10);
  EXPECT_LT(forked, 64);
  // The classic bomb spins until the wall clock; everything it made dies with it.
  ProgramResult bomb = run(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n");
  EXPECT_TRUE(starts_with(bomb.reason, "timeout")) << bomb.reason;
  EXPECT_LT(bomb.wall_seconds, 5.0);
  if (geteuid() == 0) {
    EXPECT_TRUE(no_run_uid_processes_within(3.0));
  }
  expect_still_works();
}

TEST(SandboxTest, InfiniteLoopTimesOut) {
  ProgramResult r = run("while True:\n    pass\n");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "timeout (2 s wall clock)");
  EXPECT_EQ(r.exit_code, -9);
  EXPECT_GE(r.wall_seconds, 2.0);
  EXPECT_LT(r.wall_seconds, 4.0);
  expect_still_works();
}

TEST(SandboxTest, CpuTimeLimit) {
  SandboxOptions options = test_options();
  options.limits.cpu_seconds = 1;
  options.limits.wall_seconds = 20;  // the CPU limit must trigger first even on a busy machine
  ProgramResult r = Sandbox(options).run_python("while True:\n    pass\n");
  EXPECT_EQ(r.reason, "cpu time limit (1 s)");
}

TEST(SandboxTest, AllocatingTenGigabytesHitsMemoryLimit) {
  ProgramResult r = run("x = bytearray(10 * 1024**3)\n");
  EXPECT_TRUE(starts_with(r.reason, "memory limit")) << r.reason << "\n" << r.stderr_text;
  // Growing step by step: a smaller limit, as page faults are slow on this VM (~3 ms/MiB).
  SandboxOptions options = test_options();
  options.limits.memory_bytes = 256 << 20;
  options.limits.wall_seconds = 20;  // ~1.8 s on a loaded machine, close to the usual 2
  ProgramResult grow = Sandbox(options).run_python(
      "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n");
  EXPECT_TRUE(starts_with(grow.reason, "memory limit")) << grow.reason;
  expect_still_works();
}

TEST(SandboxTest, PrintingAGigabyteHitsOutputLimit) {
  for (const char* stream : {"stdout", "stderr"}) {
    ProgramResult r = run(std::string("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n"
                                      "    sys.") +
                          stream + ".write(chunk)\n");
    EXPECT_TRUE(starts_with(r.reason, "output limit")) << stream << ": " << r.reason;
    EXPECT_LE(r.stdout_text.size(), size_t{1} << 20);
    EXPECT_LE(r.stderr_text.size(), size_t{1} << 20);
  }
  expect_still_works();
}

TEST(SandboxTest, WritingAGigabyteHitsFileLimits) {
  ProgramResult one =
      run("with open('/tmp/big', 'wb') as f:\n    for _ in range(1024):\n"
          "        f.write(b'x' * (1 << 20))\n");
  EXPECT_EQ(one.reason, "file size limit (16.00 MiB)") << one.stderr_text;
  ProgramResult many =
      run("for i in range(1024):\n    with open(f'/dev/shm/{i}', 'wb') as f:\n"
          "        f.write(b'x' * (8 << 20))\n");
  EXPECT_TRUE(starts_with(many.reason, "file size limit (/tmp full")) << many.reason;
  expect_still_works();
}

TEST(SandboxTest, BatchRunsInParallelInOrder) {
  std::vector<std::string> sources;
  for (int i = 0; i < 50; ++i) sources.push_back("print(" + std::to_string(i) + ")");
  sources[7] = "assert False";
  std::vector<int> seen(sources.size(), 0);
  auto start = std::chrono::steady_clock::now();
  auto results =
      sandbox().run_python_batch(sources, [&](size_t i, const ProgramResult&) { ++seen[i]; });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(results.size(), sources.size());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(seen[i], 1);
    if (i == 7) continue;
    EXPECT_TRUE(results[i].passed) << i << ": " << results[i].reason;
    EXPECT_EQ(results[i].stdout_text, std::to_string(i) + "\n");
  }
  EXPECT_EQ(results[7].reason, "exit code 1 (AssertionError)");
  EXPECT_LT(seconds, 15.0);
  std::cerr << "[          ] 50 programs on 2 workers: " << seconds << " s\n";
}

int open_fds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir)) ++count;
  closedir(dir);
  return count;
}

TEST(SandboxTest, LeavesNoZombiesAndNoOpenFds) {
  run("print(1)");  // the static sandbox exists before counting
  int before = open_fds();
  sandbox().run_python_batch({"print(1)", "while True: pass", "import os\nos.fork()", "x = ("});
  EXPECT_EQ(open_fds(), before);
  int status;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  // Nor a zombie handed to the host's init: a run ends with everything it started reaped.
  if (geteuid() == 0) {
    EXPECT_EQ(live_run_uid_processes(), 0);
  }
}

TEST(SandboxTest, RefusesWithoutBubblewrap) {
  for (const char* bwrap : {"/nonexistent/bwrap", "/bin/false"}) {
    SandboxOptions options = test_options();
    options.bwrap = bwrap;
    try {
      Sandbox refused(options);
      ADD_FAILURE() << bwrap << ": expected an InputError";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--allow-unsandboxed-code"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(bwrap), std::string::npos) << e.what();
    }
  }
}

TEST(SandboxTest, UnsandboxedOnlyWhenAllowedAndStillLimited) {
  SandboxOptions options = test_options();
  options.bwrap = "/nonexistent/bwrap";
  options.allow_unsandboxed = true;
  options.limits.wall_seconds = 1;
  Sandbox unsandboxed(options);
  EXPECT_FALSE(unsandboxed.sandboxed());
  EXPECT_TRUE(starts_with(unsandboxed.describe(), "UNSANDBOXED")) << unsandboxed.describe();
  ProgramResult cwd = unsandboxed.run_python("import os\nprint(os.getcwd() == os.environ['HOME'])");
  EXPECT_EQ(cwd.stdout_text, "True\n") << cwd.stderr_text;
  EXPECT_TRUE(starts_with(unsandboxed.run_python("while True: pass").reason, "timeout"));
  EXPECT_TRUE(
      starts_with(unsandboxed.run_python("x = bytearray(10 * 1024**3)").reason, "memory limit"));
  if (geteuid() == 0) {  // it runs as a fresh unprivileged uid, even without bwrap
    EXPECT_FALSE(unsandboxed.run_python("print(open('/etc/shadow').read())").passed);
    EXPECT_FALSE(unsandboxed.run_python("open('/usr/x', 'w')").passed);
    // A daemon that leaves the process group is still found through its uid.
    ProgramResult daemon = unsandboxed.run_python(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n");
    EXPECT_TRUE(daemon.passed) << daemon.reason;
    EXPECT_TRUE(no_run_uid_processes_within(2.0));
  }
}

}  // namespace
}  // namespace moebench::eval
