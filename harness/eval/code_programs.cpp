#include "harness/eval/code_programs.h"

namespace moebench::eval {
namespace {

bool is_string_field(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string();
}

}  // namespace

ProgramShape program_shape(const nlohmann::json& doc) {
  if (!doc.is_object()) return ProgramShape::None;
  if (is_string_field(doc, "prompt") && is_string_field(doc, "test") &&
      is_string_field(doc, "entry_point")) {
    return ProgramShape::HumanEval;
  }
  auto tests = doc.find("test_list");
  if (tests != doc.end() && tests->is_array() && !tests->empty()) {
    for (const auto& t : *tests) {
      if (!t.is_string()) return ProgramShape::None;
    }
    return ProgramShape::Mbpp;
  }
  return ProgramShape::None;
}

PythonProgram build_program(const nlohmann::json& doc, const std::string& completion) {
  if (program_shape(doc) == ProgramShape::HumanEval) {
    return {doc["prompt"].get<std::string>() + completion,
            doc["test"].get<std::string>() + "\n" + "check(" +
                doc["entry_point"].get<std::string>() + ")"};
  }
  PythonProgram program{completion, ""};
  const auto& tests = doc["test_list"];
  for (size_t i = 0; i < tests.size(); ++i) {
    program.tests += (i ? "\n" : "") + tests[i].get<std::string>();
  }
  return program;
}

}  // namespace moebench::eval
