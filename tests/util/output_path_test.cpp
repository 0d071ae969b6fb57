// Output paths are checked before any work: the message names the flag and
// the path; an output on top of (or around) an input is refused.
#include "harness/util/output_path.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::expect_input_error;
using testing::ScratchDir;

TEST(OutputPath, FilesThatCanBeWrittenPass) {
  ScratchDir dir;
  testing::write_text(dir.path() / "old.json", "{}");
  check_output_file(dir.path() / "new.json", "--out");
  check_output_file(dir.path() / "old.json", "--out");                  // replaced atomically
  check_output_file(dir.path() / "not" / "yet" / "r.json", "--out");     // created when written
  EXPECT_FALSE(fs::exists(dir.path() / "not"));                          // ... not now
  check_output_parent(dir.path() / "merged", "--out");
}

TEST(OutputPath, BadFilesAreRefusedNamingFlagAndPath) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "d");
  testing::write_text(dir.path() / "file", "x");
  const std::string d = (dir.path() / "d").string(), file = (dir.path() / "file").string();
  expect_input_error([&] { check_output_file(d, "--samples"); }, {"--samples", d, "is an existing directory"});
  expect_input_error([&] { check_output_file(file + "/r.json", "--out"); },
                     {"--out", file + "/r.json", file + " is not a directory"});
  expect_input_error([&] { check_output_file(file + "/a/b/r.json", "--out"); }, {file + " is not a directory"});
  expect_input_error([&] { check_output_file("", "--out"); }, {"--out", "expected a file path"});
  expect_input_error([&] { check_output_file(d + "/", "--out"); }, {"--out", "directory"});
  expect_input_error([&] { check_output_file("/dev/null", "--out"); }, {"--out", "not a regular file"});
  expect_input_error([&] { check_output_parent(file + "/merged", "--out"); }, {"--out", "is not a directory"});
  if (geteuid() != 0) {  // root may write anywhere
    fs::permissions(dir.path() / "d", fs::perms::owner_read | fs::perms::owner_exec);
    expect_input_error([&] { check_output_file(d + "/r.json", "--out"); }, {"--out", "cannot write in the directory"});
    fs::permissions(dir.path() / "d", fs::perms::owner_all);
  }
}

TEST(OutputPath, OutputsApartFromInputs) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "models" / "base");
  fs::create_symlink(dir.path() / "models", dir.path() / "link");
  const fs::path base = dir.path() / "models" / "base";
  check_output_apart(dir.path() / "merged", "--out", base, "base_model 'base'");
  check_output_apart(dir.path() / "models" / "base2", "--out", base, "base_model 'base'");  // a prefix, not a parent
  expect_input_error([&] { check_output_apart(base, "--out", base, "base_model 'base'"); },
                     {"--out", base.string(), "the same path as base_model 'base'"});
  expect_input_error([&] { check_output_apart(dir.path() / "link" / "base" / "sub", "--out", base, "base_model 'base'"); },
                     {"--out", "inside base_model 'base'"});
  expect_input_error([&] { check_output_apart(dir.path() / "link", "--out", base, "base_model 'base'"); },
                     {"--out", "contains base_model 'base'"});
  expect_input_error([&] { check_output_apart(dir.path() / "models" / ".", "--out", base / "..", "x"); },
                     {"the same path as x"});
  EXPECT_TRUE(path_is_within(dir.path() / "link" / "base" / "new" / "deeper", base));
  EXPECT_FALSE(path_is_within(base, dir.path() / "link" / "base" / "new"));
}

}  // namespace
}  // namespace moebench

namespace moebench {
namespace {

TEST(OutputPath, ParentDirectoriesAreRemovedUnlessKept) {
  ScratchDir dir;
  const fs::path file = dir.path() / "a" / "b" / "r.json";
  {
    ParentDirectories parents(file);
    EXPECT_TRUE(fs::is_directory(dir.path() / "a" / "b"));
  }
  EXPECT_FALSE(fs::exists(dir.path() / "a"));  // a failed write leaves no trace
  {
    ParentDirectories parents(file);
    testing::write_text(dir.path() / "a" / "theirs.txt", "x");  // someone else's: a stays
  }
  EXPECT_EQ(read_file(dir.path() / "a" / "theirs.txt"), "x");
  EXPECT_FALSE(fs::exists(dir.path() / "a" / "b"));
  {
    ParentDirectories parents(file);
    parents.keep();
  }
  EXPECT_TRUE(fs::is_directory(dir.path() / "a" / "b"));
  testing::write_text(dir.path() / "f", "x");
  testing::expect_input_error([&] { ParentDirectories(dir.path() / "f" / "x" / "r.json"); },
                              {(dir.path() / "f" / "x" / "r.json").string(), "cannot create the directory"});
}

}  // namespace
}  // namespace moebench
