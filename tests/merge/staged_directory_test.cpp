// StagedDirectory never replaces what it did not see at its creation: a
// directory made at the output path meanwhile is kept, as is one put in place
// of the directory --overwrite was given for.
#include "harness/merge/staged_directory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using moebench::testing::expect_input_error;
using moebench::testing::ScratchDir;
using moebench::testing::write_text;
using testing::list_dir;

TEST(StagedDirectory, CommitPutsItInPlaceAndLeavesNothingElse) {
  ScratchDir scratch;
  const fs::path out = scratch.path() / "sub" / "out";
  {
    StagedDirectory staged(out, false);
    write_text(staged.path() / "config.json", "{}");
    staged.commit();
  }
  EXPECT_EQ(list_dir(out), std::vector<std::string>{"config.json"});
  EXPECT_EQ(list_dir(scratch.path() / "sub"), std::vector<std::string>{"out"});
  {
    StagedDirectory staged(out, true);
    write_text(staged.path() / "model.safetensors", "new");
    staged.commit();
  }
  EXPECT_EQ(list_dir(out), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(list_dir(scratch.path() / "sub"), std::vector<std::string>{"out"});
}

TEST(StagedDirectory, AFailedMergeLeavesNeitherStagingNorTheParentsItMade) {
  ScratchDir scratch;
  {
    StagedDirectory staged(scratch.path() / "a" / "b" / "out", false);
    write_text(staged.path() / "config.json", "{}");
    EXPECT_TRUE(fs::is_directory(scratch.path() / "a" / "b"));
  }
  EXPECT_EQ(list_dir(scratch.path()), std::vector<std::string>{});
}

TEST(StagedDirectory, ADirectoryCreatedMeanwhileIsKept) {
  for (bool overwrite : {false, true}) {  // --overwrite is no licence for what was not there
    ScratchDir scratch;
    const fs::path out = scratch.path() / "out";
    {
      StagedDirectory staged(out, overwrite);
      write_text(staged.path() / "config.json", "{}");
      write_text(out / "theirs.txt", "precious");
      expect_input_error([&] { staged.commit(); }, {out.string(), "appeared while the merge was running",
                                                    "left as it is"});
    }
    EXPECT_EQ(read_file(out / "theirs.txt"), "precious");
    EXPECT_EQ(list_dir(scratch.path()), std::vector<std::string>{"out"});  // staging removed
    // Even an empty directory: it may be someone's, about to be filled.
    fs::remove_all(out);
    StagedDirectory staged(out, overwrite);
    fs::create_directory(out);
    EXPECT_THROW(staged.commit(), InputError);
    EXPECT_TRUE(fs::is_directory(out));
  }
}

TEST(StagedDirectory, OverwriteReplacesOnlyTheDirectorySeenAtTheStart) {
  ScratchDir scratch;
  const fs::path out = scratch.path() / "out";
  write_text(out / "old.txt", "old");
  {
    StagedDirectory staged(out, true);
    write_text(staged.path() / "config.json", "{}");
    fs::rename(out, scratch.path() / "moved");  // someone moves the old one away ...
    write_text(out / "theirs.txt", "precious");  // ... and puts theirs in its place
    expect_input_error([&] { staged.commit(); }, {out.string(), "was replaced by another one",
                                                  "left as it is"});
  }
  EXPECT_EQ(read_file(out / "theirs.txt"), "precious");
  EXPECT_EQ(read_file(scratch.path() / "moved" / "old.txt"), "old");
  EXPECT_EQ(list_dir(scratch.path()), (std::vector<std::string>{"moved", "out"}));
  // The directory seen is replaced, even when its content changed meanwhile.
  {
    StagedDirectory staged(out, true);
    write_text(staged.path() / "config.json", "{}");
    write_text(out / "more.txt", "x");
    staged.commit();
  }
  EXPECT_EQ(list_dir(out), std::vector<std::string>{"config.json"});
  EXPECT_EQ(list_dir(scratch.path()), (std::vector<std::string>{"moved", "out"}));
}

TEST(StagedDirectory, ABadOutputIsRefusedAtConstruction) {
  ScratchDir scratch;
  write_text(scratch.path() / "file", "x");
  expect_input_error([&] { StagedDirectory(scratch.path() / "file", true); }, {"not a directory"});
  expect_input_error([&] { StagedDirectory(scratch.path() / "file" / "out", false); },
                     {"--out", "is not a directory"});
  fs::create_directories(scratch.path() / "out");
  expect_input_error([&] { StagedDirectory(scratch.path() / "out", false); }, {"pass --overwrite"});
  EXPECT_EQ(list_dir(scratch.path()), (std::vector<std::string>{"file", "out"}));
}

// A stray sibling whose name looks like a temporary but does not parse (here a
// pid too large for any integer) is left alone, not an internal error.
TEST(StagedDirectory, StraySiblingsThatDoNotParseAreIgnored) {
  ScratchDir scratch;
  const std::vector<std::string> strays = {".out.tmp-99999999999999999999-abc", ".out.tmp-x-1", ".out.tmp-"};
  for (const auto& name : strays) fs::create_directories(scratch.path() / name / "keep");
  {
    StagedDirectory staged(scratch.path() / "out", false);
    staged.commit();
  }
  std::vector<std::string> expected = strays;
  expected.push_back("out");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_dir(scratch.path()), expected);
}

}  // namespace
}  // namespace moebench::merge
