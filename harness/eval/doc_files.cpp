#include "harness/eval/doc_files.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>

#include "harness/io/json_input.h"
#include "harness/util/error.h"
#include "harness/util/file_input.h"
#include "harness/util/text.h"

extern char** environ;

namespace fs = std::filesystem;

namespace moebench::eval {
namespace {

// `gzip -dc -- path` without a shell; its stdout is the decompressed text.
std::string gunzip(const fs::path& path) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) fail_input(path.string(), "cannot create a pipe for gzip");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fd[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fd[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string file = path.string();
  char* argv[] = {const_cast<char*>("gzip"), const_cast<char*>("-dc"), const_cast<char*>("--"),
                  const_cast<char*>(file.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gzip", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fd[1]);
  std::string out;
  if (rc == 0) {
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(pipe_fd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out.append(buf, static_cast<size_t>(n));
      if (static_cast<int64_t>(out.size()) > kMaxDatasetBytes) break;  // a gzip bomb
    }
  }
  close(pipe_fd[0]);
  if (rc != 0) fail_input(file, "cannot run gzip to decompress it");
  if (static_cast<int64_t>(out.size()) > kMaxDatasetBytes) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    fail_input(file, "decompresses to more than {}, over the cap for an items file",
               human_bytes(static_cast<double>(kMaxDatasetBytes)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail_input(file, "not a valid gzip file (gzip -dc failed)");
  }
  return out;
}

}  // namespace

std::string read_text_file(const fs::path& path) {
  if (!fs::is_regular_file(path)) fail_input(path.string(), "file not found");
  if (path.extension() == ".gz") return gunzip(path);
  return read_input_file(path, kMaxDatasetBytes);
}

std::vector<nlohmann::json> parse_jsonl(const std::string& text, const std::string& where) {
  require_line_lengths(text, where, kMaxLineBytes);
  std::vector<nlohmann::json> out;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json item = io::parse_json_text(line, where + ":" + std::to_string(line_no));
    if (!item.is_object()) {
      fail_input(where + ":" + std::to_string(line_no), "expected a JSON object per line, got {}",
                 item.dump().substr(0, 60));
    }
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  return parse_jsonl(read_text_file(path), path.string());
}

}  // namespace moebench::eval
