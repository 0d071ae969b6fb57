// Task and suite YAML that tests/fuzz/task_yaml_fuzz found escaping the loaders
// as yaml-cpp's BadConversion instead of an InputError: a mapping key that is
// not a plain scalar ("? [a]", "{[a]: 1}"), read as a string by check_keys and
// by the YAML -> JSON copy kept for results.
#include <gtest/gtest.h>

#include "harness/eval/suite.h"
#include "harness/eval/task_spec.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

using testing::expect_input_error;
using testing::ScratchDir;
using testing::write_text;

// The input as the fuzzer found it: an explicit key ("? ") whose content is a
// mapping, with control bytes that yaml-cpp accepts in a comment and a scalar.
const std::string kFound(
    "? Wh\\x00icts holds 1-: in-chara\x06\x06\x06\x06\x06\x06" "cter replies\n"
    "# r\x06\x06\x06\x06\x06labe");

TEST(TaskSpecFuzzRegression, ComplexKeyAtTopLevel) {
  ScratchDir dir;
  for (const std::string& text : {kFound, std::string("{[a]: 1}\n"), std::string("? {a: b}\n: c\n")}) {
    write_text(dir.path() / "t.yaml", text);
    expect_input_error([&] { load_task_spec(dir.path() / "t.yaml"); },
                       {"t.yaml", "must be a plain name"});
    expect_input_error([&] { load_suite((dir.path() / "t.yaml").string(), dir.path()); },
                       {"t.yaml", "must be a plain name"});
  }
}

TEST(TaskSpecFuzzRegression, ComplexKeyInsideAValue) {
  ScratchDir dir;
  write_text(dir.path() / "d.jsonl", "{\"q\": \"x\"}\n");
  for (const char* nested : {"metadata: {[a]: 1}\n", "tag: {[a]: 1}\n", "alias: [{? [x]: y}]\n"}) {
    write_text(dir.path() / "t.yaml",
               std::string("task: t\ndataset_path: d.jsonl\noutput_type: loglikelihood_rolling\n") +
                   nested);
    expect_input_error([&] { load_task_spec(dir.path() / "t.yaml"); },
                       {"t.yaml", "must be a plain name"});
  }
}

}  // namespace
}  // namespace moebench::eval
