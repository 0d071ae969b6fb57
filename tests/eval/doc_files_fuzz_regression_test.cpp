// Items JSONL that tests/fuzz/items_jsonl_fuzz found escaping parse_jsonl as
// nlohmann's out_of_range (a number beyond a double) instead of an InputError
// naming the file and line.
#include <gtest/gtest.h>

#include "harness/eval/doc_files.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

using testing::expect_input_error;

TEST(DocFilesFuzzRegression, NumberBeyondDoubleNamesTheLine) {
  expect_input_error([] { parse_jsonl("1E734", "items.jsonl"); },
                     {"items.jsonl:1", "number overflow"});
  expect_input_error([] { parse_jsonl("{\"id\": 1}\n{\"answer\": 1e309}\n", "items.jsonl"); },
                     {"items.jsonl:2", "number overflow"});
}

}  // namespace
}  // namespace moebench::eval
