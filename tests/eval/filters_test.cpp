// lm-eval's RegexFilter and the other filter steps, with expected values printed
// by Python's re (the engine lm-eval uses), and RE2 on hostile input.
#include "harness/eval/filters.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <chrono>

#include "harness/util/error.h"

namespace moebench::eval {
namespace {

const char* kStrict = R"(#### (\-?[0-9\.\,]+))";
const char* kFlexible = R"((-?[$0-9.,]{2,})|(-?[0-9]+))";

std::string extract(const char* pattern, const std::string& text, int64_t group = 0) {
  auto re = compile_regex(pattern, "test");
  return regex_extract(*re, text, group, "[invalid]");
}

TEST(RegexFilter, MatchesPythonFindallOnGsm8kPatterns) {
  // Expected values: lm-eval's RegexFilter logic run under Python 3.11's re.
  EXPECT_EQ(extract(kStrict, "The answer is #### 1,234. And #### 5"), "1,234.");
  EXPECT_EQ(extract(kFlexible, "The answer is #### 1,234. And #### 5", -1), "5");
  EXPECT_EQ(extract(kStrict, "I have 3 apples and $1,000.50 total."), "[invalid]");
  EXPECT_EQ(extract(kFlexible, "I have 3 apples and $1,000.50 total.", -1), "$1,000.50");
  EXPECT_EQ(extract(kFlexible, "x 7 y", -1), "7");
  EXPECT_EQ(extract(kFlexible, "-12 and -3", -1), "-3");
  EXPECT_EQ(extract(kFlexible, "no numbers", -1), "[invalid]");
  EXPECT_EQ(extract(kStrict, "#### -4.5\n"), "-4.5");
}

TEST(RegexFilter, GroupsSelectionAndFallback) {
  // No group: the whole match; findall(r"[a-z]+", "  Hello world  ") = ['ello', 'world'].
  EXPECT_EQ(extract("[a-z]+", "  Hello world  ", 1), "world");
  EXPECT_EQ(extract("[a-z]+", "  Hello world  ", -2), "ello");
  // Several groups: the first non-empty one of the selected match.
  EXPECT_EQ(extract(R"((\w+) (\w+))", "ab cd ef gh", -1), "ef");
  // Where lm-eval would raise IndexError: the fallback.
  EXPECT_EQ(extract("[a-z]+", "one", 3), "[invalid]");
  EXPECT_EQ(extract("[a-z]+", "one", -2), "[invalid]");
  EXPECT_EQ(extract("(x)?(y)?", "zz"), "[invalid]");
  // The selected text is str.strip()ped (Unicode whitespace too).
  EXPECT_EQ(extract("A:(.*)", "A: \xC2\xA0 42 \xE3\x80\x80"), "42");
  auto re = compile_regex("(z)", "t");
  EXPECT_EQ(regex_extract(*re, "abc", 0, "none found"), "none found");
}

TEST(RegexFilter, BadPatternIsInputErrorNamingTheSpec) {
  try {
    compile_regex("(?=lookahead)", "tasks/math/x.yaml: filter_list[0].filter[0].regex_pattern");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("tasks/math/x.yaml"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(?=lookahead)"), std::string::npos) << msg;
  }
  EXPECT_THROW(compile_regex("(unclosed", "t"), InputError);
  EXPECT_THROW(compile_regex(R"((a)\1)", "t"), InputError);  // back-references
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(RegexFilter, HostileInputStaysLinear) {
  // Patterns that backtrack exponentially in Python's re, on a megabyte of output.
  const std::string a_s(1 << 20, 'a');
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(extract("(a+)+$", a_s + "!"), "[invalid]");
  EXPECT_EQ(extract("(x+x+)+y", std::string(1 << 20, 'x')), "[invalid]");
  EXPECT_EQ(extract("(a|aa)+b", a_s), "[invalid]");
  EXPECT_LT(seconds_since(t0), 5.0);
  // A megabyte of numbers: the last of ~350k matches, without keeping them all.
  std::string numbers;
  while (numbers.size() < (1 << 20)) numbers += "12 ";
  numbers += "99";
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(extract(kFlexible, numbers, -1), "99");
  EXPECT_EQ(extract(kStrict, numbers + "#### 7"), "7");
  EXPECT_LT(seconds_since(t0), 5.0);
  // Invalid UTF-8 and NULs do not break matching.
  EXPECT_EQ(extract(kFlexible, std::string("\xff\xfe 42 \0 x", 10), -1), "42");
  // Empty matches advance: findall('x*', 'abc') has 4 empty matches.
  EXPECT_EQ(extract("x*", "abc", 3), "");
  EXPECT_EQ(extract("x*", "abc", 4), "[invalid]");
}

FilterSpec pipeline(const std::string& name, std::vector<std::string> functions) {
  FilterSpec spec{name, {}};
  for (auto& f : functions) spec.steps.push_back(FilterStep{f});
  return spec;
}

TEST(FilterPipeline, StepsApplyInOrder) {
  FilterSpec gsm{"strict-match", {FilterStep{"regex", kStrict}, FilterStep{"take_first"}}};
  FilterPipeline strict(gsm, "t");
  EXPECT_EQ(strict.apply({"so #### 12", "#### 13"}), std::vector<std::string>{"12"});

  FilterPipeline text(pipeline("text", {"strip", "lowercase"}), "t");
  EXPECT_EQ(text.apply({"  \xC3\x80\xC3\x89 Yes\n"}),
            std::vector<std::string>{"\xC3\xA0\xC3\xA9 yes"});
  FilterPipeline upper(pipeline("u", {"uppercase"}), "t");
  EXPECT_EQ(upper.apply({"abc \xC3\xA9"}), std::vector<std::string>{"ABC \xC3\x89"});
  FilterPipeline vote(pipeline("v", {"majority_vote"}), "t");
  EXPECT_EQ(vote.apply({"b", "a", "a", "b", "c"}), std::vector<std::string>{"b"});
  FilterPipeline ws(pipeline("w", {"remove_whitespace"}), "t");
  EXPECT_EQ(ws.apply({"  x", "y"}), (std::vector<std::string>{" x", "y"}));
  FilterSpec k{"k", {FilterStep{"take_first_k"}}};
  k.steps[0].k = 2;
  EXPECT_EQ(FilterPipeline(k, "t").apply({"1", "2", "3"}), (std::vector<std::string>{"1", "2"}));
}

TEST(FilterPipeline, NoneByDefaultIsTakeFirst) {
  TaskSpec spec;
  spec.task = "t";
  auto filters = build_filters(spec);
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].name(), "none");
  EXPECT_EQ(filters[0].apply({"a", "b"}), std::vector<std::string>{"a"});
  // pass@k counts every sample: there "none" keeps them all.
  MetricSpec pass;
  pass.metric = "pass@1";
  spec.metric_list = {pass};
  EXPECT_EQ(build_filters(spec)[0].apply({"a", "b"}), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace moebench::eval
