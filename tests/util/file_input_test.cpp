#include "harness/util/file_input.h"

#include <gtest/gtest.h>

#include "harness/util/text.h"
#include "harness/util/thread_count.h"
#include "tests/testing/test_env.h"

namespace moebench {
namespace {

using testing::expect_input_error;

TEST(FileInput, ReadsUnderTheCapAndRefusesOverIt) {
  testing::ScratchDir dir;
  testing::write_text(dir.path() / "f", std::string(100, 'x'));
  EXPECT_EQ(read_input_file(dir.path() / "f", 100).size(), 100u);
  expect_input_error([&] { read_input_file(dir.path() / "f", 99); }, {"/f", "100 B long", "99 B"});
  expect_input_error([&] { read_input_file(dir.path(), 99); }, {"is a directory, expected a file"});
  expect_input_error([&] { read_input_file(dir.path() / "none", 99); }, {"/none", "file not found"});
}

TEST(FileInput, Utf8IsCheckedWithLineAndColumn) {
  EXPECT_NO_THROW(require_utf8("plain\nna\xC3\xAFve \xE2\x82\xAC\n", "ok"));
  expect_input_error([] { require_utf8("a\nbc\xFF", "f.yaml"); },
                     {"f.yaml: line 2: byte 0xFF at column 3 is not UTF-8"});
  expect_input_error([] { require_utf8("\xC0\xAF", "overlong"); }, {"0xC0"});
}

TEST(FileInput, LineLengthsAreCapped) {
  EXPECT_NO_THROW(require_line_lengths("abc\nde\n", "x", 3));
  expect_input_error([] { require_line_lengths("abc\ndefg\n", "x.jsonl", 3); },
                     {"x.jsonl: line 2 is 4 B long"});
}

TEST(OneLine, EscapesControlCharactersAndCutsLongText) {
  EXPECT_EQ(one_line("Question:\n{{q\r\t\x1b"), "Question:\\n{{q\\r\\t\\x1b");
  EXPECT_EQ(one_line("caf\xE9"), "caf\xEF\xBF\xBD");  // invalid byte -> U+FFFD
  EXPECT_EQ(one_line(std::string(10, 'a'), 4), "aaaa...");
  EXPECT_EQ(one_line("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC...");  // no half character
}

TEST(ThreadCount, BoundsRequests) {
  EXPECT_NO_THROW(check_thread_count(0, "--threads"));
  EXPECT_NO_THROW(check_thread_count(max_thread_count(), "--threads"));
  expect_input_error([] { check_thread_count(100000, "--threads"); }, {"--threads", "100000"});
  expect_input_error([] { check_thread_count(-1, "--threads"); }, {"-1"});
}

}  // namespace
}  // namespace moebench
