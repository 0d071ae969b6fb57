#include "harness/util/text.h"

#include <gtest/gtest.h>

#include "harness/util/error.h"

namespace moebench {

TEST(Text, ThousandsSeparators) {
  EXPECT_EQ(with_thousands(24153690112), "24,153,690,112");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(-1000), "-1,000");
}

TEST(Text, HumanReadable) {
  EXPECT_EQ(human_count(24153690112.0), "24.15B");
  EXPECT_EQ(human_count(12.0), "12");
  EXPECT_EQ(human_bytes(1536.0), "1.50 KiB");
}

TEST(Text, IntListRejectsGarbage) {
  EXPECT_EQ(parse_int_list("1, 2,3", "--ids"), (std::vector<int64_t>{1, 2, 3}));
  try {
    parse_int_list("1,x,3", "--ids");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--ids"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos);
  }
  EXPECT_THROW(parse_int_list("", "--ids"), InputError);
  EXPECT_THROW(parse_int_list("99999999999999999999", "--ids"), InputError);
}

TEST(Text, ClosestMatchSuggestsNearNames) {
  std::vector<std::string> archs{"LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM"};
  EXPECT_EQ(closest_match("MixtralForCausalLm", archs), "MixtralForCausalLM");
  EXPECT_EQ(closest_match("GPT2LMHeadModel", archs), "");
}

TEST(Text, Utf8Length) {
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("F\xC3\xBChrer"), 6u);
}

}  // namespace moebench
