// A real single-node Slurm on localhost for tests: Debian's munged, slurmctld
// and slurmd, started in the foreground on free ports with a minimal generated
// slurm.conf (no cgroups, no accounting) and a node with three stand-in GPUs
// (gres entries backed by /dev/null, enough for Slurm to schedule --gres=gpu:1
// and set CUDA_VISIBLE_DEVICES), all in one temporary directory. Clients find
// it through SLURM_CONF, which start() sets in this process's environment, so
// the commands a test runs (sbatch, scontrol, the jobs they submit) talk to it.
// The destructor cancels its jobs, stops the daemons it started, by their pids,
// and removes the directory. Nothing else on the machine is touched: a system
// munge or Slurm keeps running beside it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/test_env.h"

namespace moebench::testing {

class SlurmCluster {
 public:
  static constexpr int kGpus = 3;

  // A running cluster, or nullptr with the reason it cannot run here in
  // `why_not` (not root, a program missing, a daemon that did not come up).
  static std::unique_ptr<SlurmCluster> start(std::string* why_not);
  ~SlurmCluster();
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  // Runs a Slurm client (sbatch, scancel, ...) against this cluster.
  CommandResult client(const std::vector<std::string>& command) const;

  // The state of each job of `job_id` (`scontrol show job`): for an array, one
  // entry per task id ("0-2" for tasks not started yet), else one under "".
  std::map<std::string, std::string> job_states(const std::string& job_id) const;
  // A field of `scontrol show job` for a job that is not an array ("Reason").
  std::string job_field(const std::string& job_id, const std::string& field) const;
  // Waits until every job of `job_id` has ended (COMPLETED, FAILED, CANCELLED,
  // ...) and returns job_states; what they are at `timeout_s` otherwise.
  std::map<std::string, std::string> wait_until_ended(const std::string& job_id,
                                                      double timeout_s) const;

  // The last lines of each daemon's log, for failure messages.
  std::string daemon_logs() const;

 private:
  SlurmCluster() = default;
  bool boot(std::string* why_not);
  pid_t spawn(const std::string& name, const std::vector<std::string>& argv);
  void stop();

  std::filesystem::path dir_;
  std::map<std::string, std::string> programs_;         // name -> path
  std::vector<std::pair<std::string, pid_t>> daemons_;  // in start order
};

}  // namespace moebench::testing
