#include "tests/testing/test_env.h"

#include "harness/util/error.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace moebench::testing {

fs::path shared_dir() {
  const char* env = std::getenv("MOEBENCH_SHARED");
  const std::string dir = env && *env ? env : MOEBENCH_DEFAULT_SHARED;
  return fs::is_directory(fs::path(dir) / "reference") ? fs::path(dir) : fs::path();
}

ScratchDir::ScratchDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("moebench-test-" + std::to_string(rd()) + std::to_string(getpid()));
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

static std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_moebench(const std::vector<std::string>& args) {
  const char* env = std::getenv("MOEBENCH_BIN");
  std::vector<std::string> command{env && *env ? env : MOEBENCH_DEFAULT_BIN};
  command.insert(command.end(), args.begin(), args.end());
  return run_command(command);
}

CommandResult run_command(const std::vector<std::string>& command) {
  ScratchDir io;
  fs::path out_path = io.path() / "out", err_path = io.path() / "err";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  CommandResult r;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

void write_text(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

void expect_one_line_error(const CommandResult& r, const std::vector<std::string>& fragments,
                           const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err.substr(0, 500);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err.substr(0, 500);
  for (const auto& fragment : fragments)
    EXPECT_NE(r.err.find(fragment), std::string::npos)
        << what << ": stderr \"" << r.err.substr(0, 500) << "\" lacks \"" << fragment << "\"";
}

void expect_input_error(const std::function<void()>& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "no InputError thrown";
  } catch (const InputError& e) {
    for (const auto& fragment : fragments) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message \"" << e.what() << "\" lacks \"" << fragment << "\"";
    }
  }
}

}  // namespace moebench::testing
