#include "harness/util/atomic_path.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "harness/util/error.h"
#include "harness/util/file_input.h"
#include "harness/util/output_path.h"

namespace fs = std::filesystem;

namespace moebench {
namespace {

std::error_code errno_code(int err) { return {err, std::generic_category()}; }

// Clock ticks between boot and the start of `pid` (field 22 of
// /proc/<pid>/stat); 0 when unknown.
uint64_t process_start_ticks(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index < 22) continue;
    uint64_t ticks = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), ticks);
    return ec == std::errc() && end == field.data() + field.size() ? ticks : 0;
  }
  return 0;
}

uint32_t host_tag() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  uint32_t hash = 2166136261u;  // FNV-1a: stable across builds, unlike std::hash
  for (const char* c = name; *c; ++c) hash = (hash ^ static_cast<unsigned char>(*c)) * 16777619u;
  return hash;
}

uint32_t random_tag() {
  std::random_device rd;
  return rd();
}

bool all_of_class(const std::string& s, const char* chars, size_t min_len, size_t max_len) {
  return s.size() >= min_len && s.size() <= max_len && s.find_first_not_of(chars) == std::string::npos;
}

std::optional<uint64_t> number(const std::string& s, int base) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// What a temporary's name says about its writer.
struct TempOwner {
  long pid = 0;
  uint64_t start = 0;  // 0: not recorded (the older name form)
  std::optional<uint32_t> host;
};

// Parses ".<name>.tmp-<pid>-<start>-<host>-<random>[-wal|-shm|-journal]"
// (SQLite's own siblings of a temporary database included) and the older
// ".<name>.tmp-<pid>-<hex>"; nullopt for anything else.
std::optional<TempOwner> parse_temp_name(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  if (name.empty() || name[0] != '.' || at == std::string::npos || at == 0) return std::nullopt;
  std::vector<std::string> parts;
  std::stringstream rest(name.substr(at + 5));
  for (std::string part; std::getline(rest, part, '-');) parts.push_back(part);
  if (parts.size() >= 3 && (parts.back() == "wal" || parts.back() == "shm" || parts.back() == "journal"))
    parts.pop_back();
  const char* digits = "0123456789";
  const char* hex = "0123456789abcdef";
  if (parts.empty() || !all_of_class(parts[0], digits, 1, 9)) return std::nullopt;  // pid_max < 2^22
  TempOwner owner;
  owner.pid = static_cast<long>(*number(parts[0], 10));
  if (owner.pid <= 0) return std::nullopt;
  if (parts.size() == 2 && all_of_class(parts[1], hex, 1, 16)) return owner;
  if (parts.size() != 4 || !all_of_class(parts[2], hex, 8, 8) || !all_of_class(parts[3], hex, 8, 8))
    return std::nullopt;
  const auto start = all_of_class(parts[1], digits, 1, 20) ? number(parts[1], 10) : std::nullopt;
  if (!start) return std::nullopt;
  owner.start = *start;
  owner.host = static_cast<uint32_t>(*number(parts[2], 16));
  return owner;
}

bool writer_is_gone(const TempOwner& owner) {
  if (owner.host && *owner.host != host_tag()) return false;  // written on another machine
  if (kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno == ESRCH) return true;
  if (owner.start == 0) return false;
  const uint64_t start = process_start_ticks(owner.pid);
  return start != 0 && start != owner.start;  // the pid now belongs to another process
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto owner = parse_temp_name(entry.path().filename().string());
    if (!owner || !writer_is_gone(*owner)) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

}  // namespace

AtomicPath::AtomicPath(fs::path final_path) : final_(std::move(final_path)) {
  final_ = final_.lexically_normal();
  if (!final_.has_filename()) final_ = final_.parent_path();  // "out/" names "out"
  const fs::path parent = final_.parent_path().empty() ? fs::path(".") : final_.parent_path();
  remove_stale_temporaries(parent);
  static const uint64_t start = process_start_ticks(getpid());
  temp_ = parent / fmt::format(".{}.tmp-{}-{}-{:08x}-{:08x}", final_.filename().string(), getpid(), start,
                               host_tag(), random_tag());
}

AtomicPath::~AtomicPath() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicPath::write(const std::string& content) const {
  std::ofstream out(temp_, std::ios::binary);
  out << content;
  out.flush();
  if (!out) fail_input(final_.string(), "cannot write {}: {}", temp_.string(), std::strerror(errno));
}

void AtomicPath::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) fail_input(final_.string(), "cannot move {} into place: {}", temp_.string(), ec.message());
  committed_ = true;
}

void AtomicPath::commit_without_replacing() {
  const std::error_code ec = rename_no_replace(temp_, final_);
  if (ec == std::errc::file_exists)
    fail_input(final_.string(), "was created by someone else while this was being written; refusing to "
               "replace it (nothing was written)");
  if (ec) fail_input(final_.string(), "cannot move {} into place: {}", temp_.string(), ec.message());
  committed_ = true;
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  ParentDirectories parents(path);
  AtomicPath target(path);
  target.write(content);
  target.commit();
  parents.keep();
}

std::string read_file(const fs::path& path) {
  return read_input_file(path, std::numeric_limits<int64_t>::max());
}

std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
  if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) return detail::rename_no_replace_by_link(from, to);
  return errno_code(errno == ENOTEMPTY ? EEXIST : errno);
}

std::error_code exchange_paths(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return {};
  if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) return detail::exchange_by_renames(a, b);
  return errno_code(errno);
}

namespace detail {

std::error_code rename_no_replace_by_link(const fs::path& from, const fs::path& to) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) return errno_code(errno);
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(to.c_str(), 0700) != 0) return errno_code(errno);
    if (::rename(from.c_str(), to.c_str()) == 0) return {};
    const int err = errno;
    ::rmdir(to.c_str());  // succeeds only while it is still our empty directory
    return errno_code(err == ENOTEMPTY ? EEXIST : err);
  }
  if (::link(from.c_str(), to.c_str()) != 0) return errno_code(errno);
  ::unlink(from.c_str());
  return {};
}

std::error_code exchange_by_renames(const fs::path& a, const fs::path& b) {
  const fs::path aside =
      b.parent_path() / fmt::format(".{}.aside-{}-{:08x}", b.filename().string(), getpid(), random_tag());
  if (std::error_code ec = rename_no_replace(b, aside)) return ec;
  if (std::error_code ec = rename_no_replace(a, b)) {
    rename_no_replace(aside, b);
    return ec;
  }
  if (std::error_code ec = rename_no_replace(aside, a)) {
    rename_no_replace(b, a);
    rename_no_replace(aside, b);
    return ec;
  }
  return {};
}

}  // namespace detail

}  // namespace moebench
