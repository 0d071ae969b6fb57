#include "tests/slurm/slurm_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace moebench::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string find_program(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path +=
      ":/usr/sbin:/sbin:/usr/local/sbin:/usr/bin";  // daemons live in sbin, often off a user's PATH
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((fs::path(dir) / name).c_str(), X_OK) == 0)
      return (fs::path(dir) / name).string();
  return "";
}

// Two TCP ports nobody listens on now (both held open while choosing, so they differ).
std::pair<int, int> free_ports() {
  int fds[2], ports[2];
  for (int i = 0; i < 2; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof(addr);
    bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len);
    ports[i] = ntohs(addr.sin_port);
  }
  close(fds[0]);
  close(fds[1]);
  return {ports[0], ports[1]};
}

std::string short_hostname() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string name = host;
  return name.substr(0, name.find('.'));
}

void write_file(const fs::path& path, const std::string& text, fs::perms perms) {
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, perms);
}

bool alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

// Slurm sets these in a job's environment and reads them in its clients: a
// test run inside a Slurm job must not aim at that cluster.
void clear_slurm_environment() {
  std::vector<std::string> names;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    for (const char* prefix : {"SLURM_", "SBATCH_", "SQUEUE_", "SINFO_", "SCANCEL_", "SCONTROL_"})
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  for (const auto& name : names) unsetenv(name.c_str());
}

}  // namespace

std::unique_ptr<SlurmCluster> SlurmCluster::start(std::string* why_not) {
  if (geteuid() != 0) {
    *why_not = "a Slurm node needs root (slurmd starts jobs as their user)";
    return nullptr;
  }
  std::unique_ptr<SlurmCluster> cluster(new SlurmCluster());
  for (const char* name :
       {"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "squeue", "scancel"}) {
    cluster->programs_[name] = find_program(name);
    if (cluster->programs_[name].empty()) {
      *why_not = std::string(name) +
                 " not found (Debian: apt-get install slurmctld slurmd slurm-client munge)";
      return nullptr;
    }
  }
  // A port taken between choosing and binding it is another machine's
  // business: try again with new ones before giving up.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (cluster->boot(why_not)) return cluster;
    cluster->stop();
    cluster->daemons_.clear();
  }
  return nullptr;
}

pid_t SlurmCluster::spawn(const std::string& name, const std::vector<std::string>& args) {
  const fs::path out = dir_ / "log" / (name + ".out");
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Should this process die without stopping the daemons, they stop too.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(programs_.at(name).c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  daemons_.push_back({name, pid});
  return pid;
}

bool SlurmCluster::boot(std::string* why_not) {
  char tmpl[] = "/tmp/moebench-slurm-XXXXXX";
  if (!mkdtemp(tmpl)) {
    *why_not = "cannot create a temporary directory";
    return false;
  }
  dir_ = tmpl;
  for (const char* sub : {"munge", "state", "spool", "log", "gpu"})
    fs::create_directories(dir_ / sub);
  fs::permissions(dir_ / "munge",
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  std::string key(1024, '\0');
  std::random_device random;
  for (char& c : key) c = static_cast<char>(random());
  write_file(dir_ / "munge" / "munge.key", key, fs::perms::owner_read);
  for (int g = 0; g < kGpus; ++g) fs::create_symlink("/dev/null", dir_ / "gpu" / std::to_string(g));

  const std::string host = short_hostname(), d = dir_.string();
  const auto [ctld_port, slurmd_port] = free_ports();
  std::ostringstream conf;
  conf << "ClusterName=moebench-test\nSlurmctldHost=" << host << "(127.0.0.1)\n"
       << "SlurmUser=root\nSlurmdUser=root\n"
       << "SlurmctldPort=" << ctld_port << "\nSlurmdPort=" << slurmd_port << "\n"
       << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << d
       << "/munge/munge.socket\n"
       << "StateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d << "/spool\n"
       << "SlurmctldPidFile=" << d << "/slurmctld.pid\nSlurmdPidFile=" << d << "/slurmd.pid\n"
       << "SlurmctldLogFile=" << d << "/log/slurmctld.log\nSlurmdLogFile=" << d
       << "/log/slurmd.log\n"
       << "PlugStackConfig=" << d
       << "/plugstack.conf\n"
       // No cgroups: processes tracked by their parents, tasks not bound.
       << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
       << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
       << "JobCompType=jobcomp/none\nMpiDefault=none\nMailProg=/bin/true\n"
       << "SchedulerType=sched/builtin\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
       << "ReturnToService=2\nKillWait=5\nMinJobAge=600\n"
       // The node claims what the shipped templates ask for (8 CPUs and 64G per
       // shard, a merge job beside them), whatever this machine has.
       << "SlurmdParameters=config_overrides\nGresTypes=gpu\n"
       << "NodeName=" << host << " NodeAddr=127.0.0.1 CPUs=32 RealMemory=262144 Gres=gpu:" << kGpus
       << " State=UNKNOWN\n"
       << "PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";
  write_file(dir_ / "slurm.conf", conf.str(),
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  write_file(
      dir_ / "gres.conf",
      "NodeName=" + host + " Name=gpu File=" + d + "/gpu/[0-" + std::to_string(kGpus - 1) + "]\n",
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  write_file(dir_ / "plugstack.conf", "",
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  clear_slurm_environment();
  setenv("SLURM_CONF", (dir_ / "slurm.conf").c_str(), 1);

  spawn("munged",
        {"--foreground", "--force", "--socket=" + d + "/munge/munge.socket",
         "--key-file=" + d + "/munge/munge.key", "--pid-file=" + d + "/munge/munged.pid",
         "--seed-file=" + d + "/munge/munged.seed", "--log-file=" + d + "/log/munged.log"});
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(dir_ / "munge" / "munge.socket") && Clock::now() < deadline &&
         alive(daemons_[0].second))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  spawn("slurmctld", {"-D", "-f", d + "/slurm.conf"});
  spawn("slurmd", {"-D", "-f", d + "/slurm.conf"});
  while (Clock::now() < deadline) {
    for (const auto& [name, pid] : daemons_) {
      if (!alive(pid)) {
        *why_not = name + " exited at start (ports " + std::to_string(ctld_port) + ", " +
                   std::to_string(slurmd_port) + "):\n" + daemon_logs();
        return false;
      }
    }
    const CommandResult r = client({"sinfo", "-h", "-N", "-o", "%T"});
    if (r.exit_code == 0 && r.out.rfind("idle", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *why_not = "the Slurm node did not become idle within 30 s:\n" + daemon_logs();
  return false;
}

SlurmCluster::~SlurmCluster() { stop(); }

void SlurmCluster::stop() {
  bool up = !daemons_.empty();
  for (const auto& [name, pid] : daemons_) up = up && alive(pid);
  if (up) {  // jobs left by a failed test: their processes outlive slurmd
    client({"scancel", "--partition=local"});
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      const CommandResult r = client({"squeue", "-h"});
      if (r.exit_code != 0 || r.out.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    const pid_t pid = it->second;
    kill(pid, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (alive(pid) && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (alive(pid)) kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  daemons_.clear();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
  dir_.clear();
}

CommandResult SlurmCluster::client(const std::vector<std::string>& command) const {
  std::vector<std::string> argv = command;
  if (auto it = programs_.find(argv[0]); it != programs_.end()) argv[0] = it->second;
  return run_command(argv);
}

std::map<std::string, std::string> SlurmCluster::job_states(const std::string& job_id) const {
  std::map<std::string, std::string> states;
  const CommandResult r = client({"scontrol", "show", "job", "-o", job_id});
  static const std::regex state(R"(\bJobState=(\S+))"), task(R"(\bArrayTaskId=(\S+))");
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch s, t;
    if (!std::regex_search(line, s, state)) continue;
    states[std::regex_search(line, t, task) ? t[1].str() : ""] = s[1];
  }
  return states;
}

std::string SlurmCluster::job_field(const std::string& job_id, const std::string& field) const {
  const CommandResult r = client({"scontrol", "show", "job", "-o", job_id});
  std::smatch m;
  const std::regex pattern("\\b" + field + "=(\\S*)");
  return std::regex_search(r.out, m, pattern) ? m[1].str() : "";
}

std::map<std::string, std::string> SlurmCluster::wait_until_ended(const std::string& job_id,
                                                                  double timeout_s) const {
  static const std::vector<std::string> ended = {"COMPLETED", "FAILED",    "CANCELLED",
                                                 "TIMEOUT",   "NODE_FAIL", "PREEMPTED",
                                                 "BOOT_FAIL", "DEADLINE",  "OUT_OF_MEMORY"};
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const auto states = job_states(job_id);
    bool done = !states.empty();
    for (const auto& [task, state] : states)
      done = done && std::find(ended.begin(), ended.end(), state) != ended.end();
    if (done || Clock::now() > deadline) return states;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string SlurmCluster::daemon_logs() const {
  std::string text;
  for (const char* name :
       {"munged.log", "slurmctld.log", "slurmd.log", "munged.out", "slurmctld.out", "slurmd.out"}) {
    std::ifstream in(dir_ / "log" / name);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.empty()) continue;
    text += std::string("--- ") + name + "\n";
    for (size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i)
      text += lines[i] + "\n";
  }
  return text;
}

}  // namespace moebench::testing
