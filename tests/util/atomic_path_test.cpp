// AtomicPath: renames that never replace what appeared meanwhile, atomic
// swaps (and their fallbacks), and the cleanup of temporaries whose writer is
// gone, which must never touch anything else.
#include "harness/util/atomic_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScratchDir;

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

pid_t dead_pid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

// The "<pid>-<start>-<host>" part of this process's temporaries.
std::vector<std::string> own_tag(const fs::path& dir) {
  AtomicPath probe(dir / "probe");
  const std::string name = probe.temp().filename().string();
  std::vector<std::string> parts;
  std::stringstream rest(name.substr(name.rfind(".tmp-") + 5));
  for (std::string part; std::getline(rest, part, '-');) parts.push_back(part);
  return parts;  // pid, start, host, random
}

TEST(AtomicPath, WritesCreateParentsAndLeaveNoTemporary) {
  ScratchDir dir;
  write_file_atomic(dir.path() / "a" / "b" / "r.json", "{}\n");
  EXPECT_EQ(read_file(dir.path() / "a" / "b" / "r.json"), "{}\n");
  EXPECT_EQ(names_in(dir.path() / "a" / "b"), std::set<std::string>{"r.json"});
  write_file_atomic(dir.path() / "a" / "b" / "r.json", "[]\n");  // a file is replaced
  EXPECT_EQ(read_file(dir.path() / "a" / "b" / "r.json"), "[]\n");
}

TEST(AtomicPath, CommitWithoutReplacingKeepsWhatAppeared) {
  ScratchDir dir;
  const fs::path target = dir.path() / "new.sqlite";
  {
    AtomicPath staged(target);
    staged.write("ours");
    testing::write_text(target, "theirs");
    testing::expect_input_error([&] { staged.commit_without_replacing(); },
                                {target.string(), "created by someone else"});
  }
  EXPECT_EQ(read_file(target), "theirs");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"new.sqlite"});
  fs::remove(target);
  AtomicPath staged(target);
  staged.write("ours");
  staged.commit_without_replacing();
  EXPECT_EQ(read_file(target), "ours");
}

// Both the renameat2 path and the fallbacks for filesystems without it.
TEST(AtomicPath, RenameNoReplaceRefusesAnExistingTarget) {
  for (bool fallback : {false, true}) {
    ScratchDir dir;
    auto rename = [&](const fs::path& from, const fs::path& to) {
      return fallback ? detail::rename_no_replace_by_link(from, to) : rename_no_replace(from, to);
    };
    testing::write_text(dir.path() / "f", "f");
    testing::write_text(dir.path() / "g", "g");
    testing::write_text(dir.path() / "d" / "x", "x");
    testing::write_text(dir.path() / "e" / "y", "y");
    fs::create_directory(dir.path() / "empty");
    EXPECT_EQ(rename(dir.path() / "f", dir.path() / "g"), std::errc::file_exists) << fallback;
    EXPECT_EQ(rename(dir.path() / "d", dir.path() / "e"), std::errc::file_exists) << fallback;
    // Not even an empty directory is replaced: it could be someone's, just made.
    EXPECT_EQ(rename(dir.path() / "d", dir.path() / "empty"), std::errc::file_exists) << fallback;
    EXPECT_EQ(read_file(dir.path() / "g"), "g");
    EXPECT_EQ(read_file(dir.path() / "e" / "y"), "y");
    EXPECT_TRUE(fs::is_empty(dir.path() / "empty"));
    EXPECT_FALSE(rename(dir.path() / "f", dir.path() / "f2")) << fallback;
    EXPECT_FALSE(rename(dir.path() / "d", dir.path() / "d2")) << fallback;
    EXPECT_EQ(read_file(dir.path() / "f2"), "f");
    EXPECT_EQ(read_file(dir.path() / "d2" / "x"), "x");
    EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"d2", "e", "empty", "f2", "g"}));
  }
}

TEST(AtomicPath, ExchangeSwapsTwoDirectories) {
  for (bool fallback : {false, true}) {
    ScratchDir dir;
    testing::write_text(dir.path() / "a" / "x", "a");
    testing::write_text(dir.path() / "b" / "x", "b");
    const std::error_code ec = fallback ? detail::exchange_by_renames(dir.path() / "a", dir.path() / "b")
                                        : exchange_paths(dir.path() / "a", dir.path() / "b");
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(read_file(dir.path() / "a" / "x"), "b");
    EXPECT_EQ(read_file(dir.path() / "b" / "x"), "a");
    EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"a", "b"}));
    EXPECT_TRUE(exchange_paths(dir.path() / "a", dir.path() / "missing"));  // both must exist
    EXPECT_EQ(read_file(dir.path() / "a" / "x"), "b");
  }
}

// Creating any AtomicPath in a directory removes the temporaries there whose
// writer is gone, whatever file they were for; nothing else.
TEST(AtomicPath, TemporariesOfDeadWritersAreRemovedAndNothingElse) {
  ScratchDir dir;
  const auto tag = own_tag(dir.path());
  ASSERT_EQ(tag.size(), 4u);
  const std::string pid = tag[0], start = tag[1], host = tag[2];
  const std::string dead = std::to_string(dead_pid());
  const std::vector<std::string> removed = {
      ".out.tmp-" + dead + "-abc",                                   // a killed merge, older name form
      ".r.json.tmp-" + dead + "-" + start + "-" + host + "-0123abcd",  // a killed writer of another file
      ".x.sqlite.tmp-" + dead + "-" + start + "-" + host + "-0123abcd-wal",  // and SQLite's sibling of it
      ".y.tmp-" + pid + "-" + start + "1-" + host + "-0123abcd",     // our pid, but another process's
  };
  const std::vector<std::string> kept = {
      ".z.tmp-" + pid + "-" + start + "-" + host + "-0123abcd",  // a live writer (this process)
      ".z.tmp-" + dead + "-" + start + "-0badbeef-0123abcd",     // written on another machine
      ".out.tmp-99999999999999999999-abc",                       // a pid no process can have
      ".out.tmp-" + dead + "-xyz",                                // does not parse
      ".out.tmp-" + dead,
      ".out.tmp--abc",
      ".out.tmp-0-abc",
      "out.tmp-" + dead + "-abc",                                 // not hidden: not ours
      ".notes.tmp-" + dead + "-" + start + "-" + host + "-0123abcd-old",
      "results.json",
  };
  for (const auto& name : removed) testing::write_text(dir.path() / name / "half", "x");
  for (const auto& name : kept) testing::write_text(dir.path() / name / "keep", "x");
  write_file_atomic(dir.path() / "other.json", "{}");
  std::set<std::string> expected(kept.begin(), kept.end());
  expected.insert("other.json");
  EXPECT_EQ(names_in(dir.path()), expected);
}

}  // namespace
}  // namespace moebench
