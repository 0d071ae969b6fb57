// Hostile JSON: nesting and size are refused with a message before a parser or
// a copy recurses; strings do not count as nesting.
#include "harness/io/json_input.h"

#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

namespace fs = std::filesystem;
using testing::expect_input_error;

TEST(JsonInput, AMillionLevelsAreRefusedWithTheirDepth) {
  const std::string deep(1000000, '[');
  expect_input_error([&] { parse_json_text(deep, "deep.json"); },
                     {"deep.json", "nested deeper than 128 levels", "at byte 128"});
  const std::string objects = std::string(1000000, '{').insert(1, "\"a\":");
  expect_input_error([&] { parse_json_text(objects, "o.json"); }, {"o.json", "nested deeper"});
}

TEST(JsonInput, BracketsInsideStringsAreText) {
  const std::string text = R"({"a": "[[[[[\"{{{{", "b": [[1]]})";
  EXPECT_NO_THROW(check_json_depth(text, "x", 3));  // the object and two arrays
  EXPECT_EQ(parse_json_text(text, "x")["a"], "[[[[[\"{{{{");
  expect_input_error([&] { check_json_depth(text, "x", 2); }, {"nested deeper than 2 levels"});
}

TEST(JsonInput, MalformedJsonNamesTheFileAndPositionWithoutLibraryPrefix) {
  try {
    parse_json_text("{\"a\": 1,}", "cfg.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cfg.json: malformed JSON"), std::string::npos) << message;
    EXPECT_NE(message.find("column"), std::string::npos) << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
  }
  // Invalid UTF-8 inside a string is malformed, not something to crash on later.
  expect_input_error([] { parse_json_text("{\"a\": \"\xE9\"}", "latin1.json"); },
                     {"latin1.json", "malformed JSON"});
}

TEST(JsonInput, FilesAreCappedAndDirectoriesNamed) {
  testing::ScratchDir dir;
  testing::write_text(dir.path() / "c.json", "{\"pad\": \"" + std::string(2000, 'x') + "\"}");
  expect_input_error([&] { read_json_file(dir.path() / "c.json", 1024); },
                     {"c.json", "over the 1.00 KiB"});
  EXPECT_NO_THROW(read_json_file(dir.path() / "c.json"));
  expect_input_error([&] { read_json_file(dir.path()); }, {"is a directory, expected a file"});
  expect_input_error([&] { read_json_file(dir.path() / "missing.json"); }, {"file not found"});
  // A sparse 3 GiB config.json is refused from its size alone, at once.
  fs::path big = dir.path() / "big.json";
  testing::write_text(big, "{}");
  fs::resize_file(big, uintmax_t{3} << 30);
  expect_input_error([&] { read_json_file(big); }, {"big.json", "3.00 GiB", "64.00 MiB"});
}

}  // namespace
}  // namespace moebench::io
