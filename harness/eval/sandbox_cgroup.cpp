#include "harness/eval/sandbox_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/util/text.h"

namespace moebench::eval {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// 0 on success, else errno.
int write_text(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text.data(), text.size());
  int error = n == static_cast<ssize_t>(text.size()) ? 0 : n < 0 ? errno : EIO;
  close(fd);
  return error;
}

bool has_word(const std::string& text, const std::string& word) {
  std::istringstream words(text);
  for (std::string w; words >> w;)
    if (w == word) return true;
  return false;
}

// "oom_kill 3" in memory.events (v2) or memory.oom_control (v1).
int64_t counter_of(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string name; lines >> name;) {
    int64_t value = 0;
    lines >> value;
    if (name == key) return value;
  }
  return 0;
}

// Our cgroup in the hierarchy /proc/self/cgroup names for `controller` ("" for
// v2), as a directory under the mount of `fstype` whose super options name it.
std::string own_cgroup_dir(const std::string& controller, const std::string& fstype) {
  std::string path;
  std::istringstream groups(read_text("/proc/self/cgroup"));
  for (std::string line; std::getline(groups, line);) {
    size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string list = line.substr(a + 1, b - a - 1);
    std::replace(list.begin(), list.end(), ',', ' ');
    if (controller.empty() ? line.compare(0, b + 1, "0::") == 0 : has_word(list, controller))
      path = line.substr(b + 1);
  }
  if (path.empty()) return "";
  std::istringstream mounts(read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    // id parent major:minor root mountpoint options... - fstype source super-options
    std::vector<std::string> f = split(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || f.end() - dash < 4 || dash[1] != fstype) continue;
    std::string options = dash[3];
    std::replace(options.begin(), options.end(), ',', ' ');
    if (!controller.empty() && !has_word(options, controller)) continue;
    const std::string& root = f[3];
    if (root == "/") return f[4] + (path == "/" ? "" : path);
    if (path.compare(0, root.size(), root) == 0) return f[4] + path.substr(root.size());
  }
  return "";
}

std::string name_prefix() { return fmt::format("moebench-{}-", getpid()); }

// Run cgroups (and harness leaves) of moebench processes that no longer exist.
void remove_stale(const std::string& dir) {
  DIR* listing = opendir(dir.c_str());
  while (dirent* entry = listing ? readdir(listing) : nullptr) {
    std::string name = entry->d_name;
    if (name.rfind("moebench-", 0) != 0) continue;
    long pid = std::strtol(name.c_str() + 9, nullptr, 10);
    if (pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      rmdir((dir + "/" + name).c_str());
  }
  if (listing) closedir(listing);
}

// v2: `dir` (our cgroup) with memory in its subtree_control, or "" and `why`.
std::string prepare_v2(std::string dir, std::string& why) {
  // Already in the harness leaf of a moebench (ours from an earlier Sandbox, or a
  // parent moebench's): the runs go beside it.
  std::string base = dir.substr(dir.rfind('/') + 1);
  if (base.rfind("moebench-", 0) == 0 && base.size() > 8 &&
      base.compare(base.size() - 8, 8, "-harness") == 0)
    dir = dir.substr(0, dir.rfind('/'));
  if (!has_word(read_text(dir + "/cgroup.controllers"), "memory")) {
    why = fmt::format("cgroup v2 {} offers no memory controller", dir);
    return "";
  }
  if (has_word(read_text(dir + "/cgroup.subtree_control"), "memory")) return dir;
  int error = write_text(dir + "/cgroup.subtree_control", "+memory");
  if (error == EBUSY) {  // processes in `dir`: only ours may be moved out of the way
    std::string procs = read_text(dir + "/cgroup.procs");
    if (procs != std::to_string(getpid()) + "\n") {
      why = fmt::format("cgroup v2 {} holds other processes than moebench", dir);
      return "";
    }
    std::string leaf = dir + "/" + name_prefix() + "harness";
    if (mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
      why = fmt::format("cgroup v2: mkdir {}: {}", leaf, std::strerror(errno));
      return "";
    }
    error = write_text(leaf + "/cgroup.procs", "0");
    if (error == 0) error = write_text(dir + "/cgroup.subtree_control", "+memory");
  }
  if (error != 0) {
    why = fmt::format("cgroup v2: +memory in {}/cgroup.subtree_control: {}", dir,
                      std::strerror(error));
    return "";
  }
  if (has_word(read_text(dir + "/cgroup.controllers"), "pids"))
    write_text(dir + "/cgroup.subtree_control", "+pids");  // optional: RLIMIT_NPROC applies too
  return dir;
}

// Whether `dir` takes a child cgroup (else `why`).
bool can_make_children(const std::string& dir, int version, std::string& why) {
  std::string probe = dir + "/" + name_prefix() + "probe";
  if (mkdir(probe.c_str(), 0755) != 0) {
    why = fmt::format("cgroup v{}: mkdir {}: {}", version, probe, std::strerror(errno));
    return false;
  }
  rmdir(probe.c_str());
  return true;
}

CgroupParent find_parent_once() {
  std::string why2 = "no cgroup v2 mount", why1 = "no cgroup v1 memory hierarchy";
  CgroupParent parent;
  if (std::string own = own_cgroup_dir("", "cgroup2"); !own.empty()) {
    std::string dir = prepare_v2(own, why2);
    if (!dir.empty() && can_make_children(dir, 2, why2)) parent = {dir, 2, ""};
  }
  if (parent.dir.empty()) {
    std::string dir = own_cgroup_dir("memory", "cgroup");
    if (!dir.empty() && can_make_children(dir, 1, why1)) parent = {dir, 1, ""};
  }
  if (parent.dir.empty())
    parent.why = why2 + "; " + why1;
  else
    remove_stale(parent.dir);
  return parent;
}

}  // namespace

CgroupParent find_cgroup_parent() {
  // Once per process: the v2 set-up may move us into a leaf, which must not nest.
  static const CgroupParent parent = find_parent_once();
  return parent;
}

RunCgroup::RunCgroup(const CgroupParent& parent, const SandboxLimits& limits)
    : version_(parent.version) {
  static std::atomic<uint64_t> counter{0};
  dir_ = fmt::format("{}/{}run{}", parent.dir, name_prefix(), counter.fetch_add(1));
  if (mkdir(dir_.c_str(), 0755) != 0)
    throw std::runtime_error(fmt::format("sandbox: mkdir {}: {}", dir_, std::strerror(errno)));
  auto set = [&](const char* file, int64_t value, bool required) {
    int error = write_text(dir_ + "/" + file, std::to_string(value));
    if (error != 0 && required) {
      rmdir(dir_.c_str());
      throw std::runtime_error(
          fmt::format("sandbox: write {} to {}/{}: {}", value, dir_, file, std::strerror(error)));
    }
  };
  if (version_ == 2) {
    set("memory.max", limits.memory_bytes, true);
    set("memory.swap.max", 0, false);  // absent without swap accounting
    set("memory.oom.group", 1, false);  // an OOM kill ends the whole program
    set("pids.max", limits.max_processes, false);
  } else {
    set("memory.limit_in_bytes", limits.memory_bytes, true);
    set("memory.memsw.limit_in_bytes", limits.memory_bytes, false);  // no swap beyond it
  }
  procs_fd_ = open((dir_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (procs_fd_ < 0) {
    int error = errno;
    rmdir(dir_.c_str());
    throw std::runtime_error(
        fmt::format("sandbox: open {}/cgroup.procs: {}", dir_, std::strerror(error)));
  }
}

RunCgroup::~RunCgroup() {
  close(procs_fd_);
  // Normally empty by now (bwrap's pid namespace died with the program); an
  // unsandboxed program may leave processes behind.
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (rmdir(dir_.c_str()) == 0 || errno != EBUSY) return;
    if (version_ != 2 || write_text(dir_ + "/cgroup.kill", "1") != 0) {
      std::istringstream pids(read_text(dir_ + "/cgroup.procs"));
      for (long pid; pids >> pid;) kill(static_cast<pid_t>(pid), SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}  // left behind: removed as stale by the next moebench

int64_t RunCgroup::oom_kills() const {
  return counter_of(read_text(dir_ + (version_ == 2 ? "/memory.events" : "/memory.oom_control")),
                    "oom_kill");
}

void rlimit_memory_bound(SandboxLimits& limits) {
  const int64_t kMinPerProcess = int64_t{128} << 20;
  const int64_t budget = std::max<int64_t>(limits.memory_bytes, 0);
  int64_t n = std::max<int64_t>(limits.max_processes, 1);
  if (budget / n < kMinPerProcess) n = std::min(n, std::max<int64_t>(2, budget / kMinPerProcess));
  limits.max_processes = n;
  limits.memory_bytes = budget / n;
}

}  // namespace moebench::eval
