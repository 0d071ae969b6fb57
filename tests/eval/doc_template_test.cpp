// The template subset of task specs, rendered as Jinja (through Python's str()) would.
#include "harness/eval/doc_template.h"

#include <gtest/gtest.h>

#include "harness/util/error.h"

namespace moebench::eval {
namespace {

using nlohmann::json;

const json kDoc = json::parse(R"({
  "question": "What is 2+2?", "answer": 4, "ratio": 0.5, "whole": 3.0, "flag": true,
  "none": null, "test_list": ["assert f(1) == 2", "assert f(2) == 3"],
  "mc1_targets": {"choices": ["Yes", "It's \"no\""], "labels": [1, 0]}
})");

TEST(DocTemplate, SubstitutesFieldsSubfieldsAndIndices) {
  EXPECT_EQ(DocTemplate("Question: {{question}}\nAnswer:", "t").render(kDoc, "d"),
            "Question: What is 2+2?\nAnswer:");
  EXPECT_EQ(DocTemplate("{{ test_list[1] }}|{{test_list[-1]}}", "t").render(kDoc, "d"),
            "assert f(2) == 3|assert f(2) == 3");
  EXPECT_EQ(DocTemplate("{{mc1_targets.choices[0]}}", "t").render(kDoc, "d"), "Yes");
  EXPECT_EQ(DocTemplate("no placeholders", "t").render(kDoc, "d"), "no placeholders");
}

TEST(DocTemplate, RendersValuesAsPythonStr) {
  EXPECT_EQ(DocTemplate("{{answer}} {{ratio}} {{whole}} {{flag}} {{none}}", "t").render(kDoc, "d"),
            "4 0.5 3.0 True None");
  // Lists render as Python's repr of their items (quotes chosen as Python does).
  EXPECT_EQ(DocTemplate("{{mc1_targets.choices}}", "t").render(kDoc, "d"),
            R"(['Yes', 'It\'s "no"'])");
  EXPECT_EQ(python_str(json::array({"a'b", "c\nd", 1})), R"(["a'b", 'c\nd', 1])");
  EXPECT_EQ(python_str(json::parse(R"({"k": [1, 2]})")), "{'k': [1, 2]}");
}

TEST(DocTemplate, SinglePlaceholderAndBareFieldGiveTheValue) {
  const json* v = DocTemplate("{{ mc1_targets.choices }}", "t").value(kDoc, "d");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->is_array());
  // lm-eval's feature-name form: a bare top-level field name selects the field.
  v = DocTemplate("answer", "t").value(kDoc, "d");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 4);
  EXPECT_EQ(DocTemplate("Answer: {{answer}}", "t").value(kDoc, "d"), nullptr);
  EXPECT_EQ(DocTemplate("not a field", "t").value(kDoc, "d"), nullptr);
}

TEST(DocTemplate, MissingFieldNamesTheFieldAndSuggests) {
  try {
    DocTemplate("Q: {{questoin}}", "spec.yaml: doc_to_text").render(kDoc, "items.jsonl: item 3");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("items.jsonl: item 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'questoin'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'question'"), std::string::npos) << msg;
  }
  EXPECT_THROW(DocTemplate("{{test_list[5]}}", "t").render(kDoc, "d"), InputError);
  EXPECT_THROW(DocTemplate("{{question.sub}}", "t").render(kDoc, "d"), InputError);
  EXPECT_THROW(DocTemplate("{{answer[0]}}", "t").render(kDoc, "d"), InputError);
}

TEST(DocTemplate, SyntaxErrorsAreInputErrors) {
  EXPECT_THROW(DocTemplate("Q: {{question", "t"), InputError);
  EXPECT_THROW(DocTemplate("{{}}", "t"), InputError);
  EXPECT_THROW(DocTemplate("{{ a + b }}", "t"), InputError);
  EXPECT_THROW(DocTemplate("{{ a[x] }}", "t"), InputError);
  EXPECT_THROW(DocTemplate("{{ a[99999999999999999999999] }}", "t"), InputError);
  EXPECT_THROW(DocTemplate("{% if x %}y{% endif %}{{", "t"), InputError);
}

}  // namespace
}  // namespace moebench::eval
