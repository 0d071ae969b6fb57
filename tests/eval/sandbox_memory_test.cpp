// The memory limit holds for the whole program, not per process: with a cgroup
// where the host allows one, else by processes × address space (sandbox_cgroup.h).
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness/eval/sandbox.h"
#include "harness/eval/sandbox_cgroup.h"

namespace moebench::eval {
namespace {

// Four children holding 350 MB each: 1.4 GB in all, each one well under 1 GB.
const char* const kFourChildren =
    "import os, time\npids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n"
    "        block = bytearray(350 * 1000 * 1000)\n        time.sleep(2)\n        os._exit(0)\n"
    "    pids.append(pid)\nstatuses = [os.waitpid(pid, 0)[1] for pid in pids]\n"
    "assert statuses == [0] * 4, statuses\n";
const char* const kOneLargeAllocation = "block = bytearray(300 * 1000 * 1000)\nprint(len(block))\n";

SandboxOptions options(bool use_cgroup) {
  SandboxOptions o;
  o.limits.memory_bytes = int64_t{1} << 30;
  // Page faults are slow on this VM (~3 ms/MiB): room to reach the limit.
  o.limits.wall_seconds = o.limits.cpu_seconds = 30;
  o.workers = 1;
  o.use_cgroup = use_cgroup;
  return o;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Whether this host should give us a memory cgroup: root, and a memory
// controller in either hierarchy.
bool cgroup_expected() {
  std::ifstream v2("/sys/fs/cgroup/cgroup.controllers");
  std::stringstream controllers;
  controllers << v2.rdbuf();
  return geteuid() == 0 && (access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0 ||
                            contains(controllers.str(), "memory"));
}

std::vector<std::string> run_cgroups_left(const std::string& dir) {
  std::vector<std::string> left;
  std::string prefix = "moebench-" + std::to_string(getpid()) + "-run";
  DIR* listing = opendir(dir.c_str());
  while (dirent* entry = listing ? readdir(listing) : nullptr)
    if (std::string(entry->d_name).rfind(prefix, 0) == 0) left.push_back(entry->d_name);
  if (listing) closedir(listing);
  return left;
}

TEST(SandboxMemory, ChildrenTogetherHitTheWholeProgramLimit) {
  Sandbox sandbox(options(true));
  if (!contains(sandbox.describe(), "memory: cgroup v")) {
    if (cgroup_expected()) ADD_FAILURE() << "no cgroup: " << sandbox.describe();
    GTEST_SKIP() << "SKIPPED: no memory cgroup here: " << sandbox.describe();
  }
  EXPECT_TRUE(contains(sandbox.describe(), "1.00 GiB for the whole program")) << sandbox.describe();
  ProgramResult four = sandbox.run_python(kFourChildren);
  EXPECT_FALSE(four.passed);
  EXPECT_EQ(four.reason, "memory limit (1.00 GiB for the whole program, cgroup OOM kill)")
      << four.stderr_text;
  ProgramResult one = sandbox.run_python(kOneLargeAllocation);
  EXPECT_TRUE(one.passed) << one.reason << "\n" << one.stderr_text;
  EXPECT_EQ(one.stdout_text, "300000000\n");
  // Every run's cgroup is gone again.
  EXPECT_EQ(run_cgroups_left(find_cgroup_parent().dir), std::vector<std::string>{});
}

TEST(SandboxMemory, WithoutACgroupProcessesTimesAddressSpaceStayWithinTheBudget) {
  Sandbox sandbox(options(false));
  EXPECT_TRUE(contains(sandbox.describe(),
                       "memory: 8 processes × 128.00 MiB address space (no cgroup: turned off)"))
      << sandbox.describe();
  ProgramResult four = sandbox.run_python(kFourChildren);
  EXPECT_FALSE(four.passed);
  EXPECT_TRUE(contains(four.stderr_text, "MemoryError")) << four.stderr_text;
  // The price of the blunter bound: one allocation over 128 MiB fails too.
  ProgramResult one = sandbox.run_python(kOneLargeAllocation);
  EXPECT_EQ(one.reason, "memory limit (128.00 MiB per process, MemoryError)") << one.stderr_text;
  EXPECT_TRUE(sandbox.run_python("import threading\nt = threading.Thread(target=print)\n"
                                 "t.start()\nt.join()\n")
                  .passed)
      << "a thread must still fit in 128 MiB";
}

TEST(SandboxMemory, RlimitBoundKeepsProductWithinBudget) {
  auto bound = [](int64_t memory, int64_t processes) {
    SandboxLimits limits;
    limits.memory_bytes = memory, limits.max_processes = processes;
    rlimit_memory_bound(limits);
    EXPECT_LE(limits.memory_bytes * limits.max_processes, memory);
    return std::make_pair(limits.max_processes, limits.memory_bytes >> 20);
  };
  using P = std::pair<int64_t, int64_t>;  // processes, MiB each
  EXPECT_EQ(bound(int64_t{1} << 30, 64), (P{8, 128}));
  EXPECT_EQ(bound(int64_t{16} << 30, 64), (P{64, 256}));
  EXPECT_EQ(bound(int64_t{256} << 20, 64), (P{2, 128}));
  EXPECT_EQ(bound(int64_t{1} << 30, 4), (P{4, 256}));
}

}  // namespace
}  // namespace moebench::eval
