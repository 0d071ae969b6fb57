// Hostile YAML: deep nesting, alias bombs, bad bytes and NULs fail fast with a
// line number; ordinary anchors and aliases still work.
#include "harness/io/yaml_input.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using testing::expect_input_error;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The classic: nine levels of ten aliases each, 10^9 nodes when walked.
std::string billion_laughs() {
  std::string text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char p = c - 1;
    text += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n",
                        c, p);
  }
  return text;
}

TEST(YamlInput, AMillionLevelsFailFastInEveryStyle) {
  for (const std::string& deep : {std::string(1000000, '['),             // flow sequences
                                  repeat("- ", 1000000) + "x",           // block sequences
                                  repeat("{a: ", 1000000),               // flow mappings
                                  repeat("[", 100) + repeat("]", 100)})  // just past the limit
    expect_input_error([&] { parse_yaml_text(deep, "deep.yml"); },
                       {"deep.yml:1: YAML nested deeper than 64 levels"});
}

TEST(YamlInput, BillionLaughsFailsInUnderASecond) {
  const auto start = std::chrono::steady_clock::now();
  expect_input_error([] { parse_yaml_text(billion_laughs(), "lol.yml"); },
                     {"lol.yml:", "aliases expand to more than 200000 nodes"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
}

TEST(YamlInput, OrdinaryAnchorsAndAliasesStillWork) {
  const YAML::Node root =
      parse_yaml_text("base: &b {lr: 1, steps: 2}\nrun: *b\nlist: [*b, *b]\n", "ok.yml");
  EXPECT_EQ(root["run"]["steps"].as<int>(), 2);
  EXPECT_EQ(root["list"].size(), 2u);
  EXPECT_TRUE(parse_yaml_text("", "empty.yml").IsNull());
}

TEST(YamlInput, BytesThatAreNotUtf8NameTheirLine) {
  expect_input_error([] { parse_yaml_text("a: 1\nname: caf\xE9\n", "latin1.yml"); },
                     {"latin1.yml", "line 2", "0xE9", "not UTF-8"});
}

TEST(YamlInput, NulInAValueIsRefused) {
  expect_input_error([] { parse_yaml_text("path: \"models/a\\0b.yml\"\n", "nul.yml"); },
                     {"nul.yml:1", "NUL character"});
}

TEST(YamlInput, MalformedYamlNamesTheLine) {
  expect_input_error([] { parse_yaml_text("a: 1\nb: [1, 2\n", "bad.yml"); },
                     {"bad.yml:", "malformed YAML"});
}

}  // namespace
}  // namespace moebench::io
