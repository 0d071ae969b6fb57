// Completions that end the program with status 0 before its tests could fail
// must not pass: the sandbox's driver proves a run reached the end of its tests
// with a per-run token (sandbox_driver.h). Each is tried sandboxed and
// unsandboxed (--allow-unsandboxed-code), and through the whole scoring path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "harness/eval/code_programs.h"
#include "harness/eval/evaluator.h"
#include "harness/eval/sandbox.h"
#include "harness/eval/suite.h"

namespace moebench::eval {
namespace {

namespace fs = std::filesystem;

SandboxOptions options(bool sandboxed) {
  SandboxOptions o;
  o.limits.wall_seconds = o.limits.cpu_seconds = 5;
  o.workers = 2;
  if (!sandboxed) o.bwrap = "/nonexistent/bwrap", o.allow_unsandboxed = true;
  return o;
}

const Sandbox& sandbox(bool sandboxed) {
  static const Sandbox with_bwrap(options(true)), without(options(false));
  return sandboxed ? with_bwrap : without;
}

// HumanEval's shape; the right body is `return a + b`. Its check ends with
// `assert True`, as many of HumanEval's do: a place to jump to.
const nlohmann::json kDoc = {
    {"prompt", "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n"},
    {"test",
     "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 5) == 7\n"
     "    assert True\n"},
    {"entry_point", "add"}};

const char* const kTraceHook =
    "    return 0\nimport sys\n"
    "def _hook(frame, event, arg):\n"
    "    if frame.f_code.co_name != 'check':\n        return None\n"
    "    last = max(line for _, _, line in frame.f_code.co_lines() if line)\n"
    "    def _line(frame, event, arg):\n"
    "        if event == 'line' and frame.f_lineno < last:\n"
    "            frame.f_lineno = last\n"
    "        return _line\n"
    "    return _line\n"
    "sys.settrace(_hook)\n";

struct FalsePass {
  const char* name;
  const char* completion;  // a wrong answer that tries to end with status 0
  const char* reason;      // how its verdict starts
};

const char* const kSystemExit = "SystemExit before its tests finished";
const char* const kNoToken = "exit status 0 without the completion token";
const char* const kAssertion = "exit code 1 (AssertionError)";

const FalsePass kFalsePasses[] = {
    {"exit()", "    exit()\n", kSystemExit},
    {"quit()", "    quit()\n", kSystemExit},
    {"sys.exit(0)", "    return 0\nimport sys\nsys.exit(0)\n", kSystemExit},
    {"raise SystemExit", "    return 0\nraise SystemExit\n", kSystemExit},
    {"os._exit(0)", "    return 0\nimport os\nos._exit(0)\n", kNoToken},
    {"atexit os._exit", "    return 0\nimport atexit, os\natexit.register(os._exit, 0)\n",
     kAssertion},
    {"excepthook os._exit",
     "    return 0\nimport os, sys\nsys.excepthook = lambda *a: os._exit(0)\n", kAssertion},
    {"thread os._exit",
     "    import time\n    time.sleep(3)\n    return 0\nimport os, threading, time\n"
     "threading.Thread(target=lambda: (time.sleep(0.3), os._exit(0))).start()\n",
     kNoToken},
    {"forked parent exits", "    return 0\nimport os\nif os.fork():\n    os._exit(0)\n", kNoToken},
    {"ctypes _exit", "    return 0\nimport ctypes\nctypes.CDLL(None)._exit(0)\n", kNoToken},
    {"ctypes libc exit", "    return 0\nimport ctypes\nctypes.CDLL('libc.so.6').exit(0)\n",
     kNoToken},
    {"settrace skips check's asserts", kTraceHook, kAssertion},
    {"candidate calls sys.exit(0)", "    import sys\n    sys.exit(0)\n", kSystemExit},
    {"execv /bin/true", "    return 0\nimport os\nos.execv('/bin/true', ['true'])\n", kNoToken},
    {"alarm handler os._exit",
     "    import time\n    time.sleep(3)\n    return 0\nimport os, signal\n"
     "signal.signal(signal.SIGALRM, lambda *a: os._exit(0))\nsignal.alarm(1)\n",
     kNoToken},
    {"forged token", "    return 0\nimport os\nos.write(5, b'0' * 32)\nos._exit(0)\n",
     "exit status 0 with a wrong completion token"},
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

void expect_no_false_pass(bool sandboxed) {
  std::vector<PythonProgram> programs;
  for (const FalsePass& f : kFalsePasses) programs.push_back(build_program(kDoc, f.completion));
  programs.push_back(build_program(kDoc, "    return a + b\n"));  // the control
  auto results = sandbox(sandboxed).run_programs(programs);
  for (size_t i = 0; i + 1 < results.size(); ++i) {
    const FalsePass& f = kFalsePasses[i];
    EXPECT_FALSE(results[i].passed) << f.name;
    EXPECT_TRUE(starts_with(results[i].reason, f.reason))
        << f.name << ": " << results[i].reason << "\n" << results[i].stderr_text;
  }
  EXPECT_TRUE(results.back().passed) << results.back().reason << "\n" << results.back().stderr_text;
}

TEST(SandboxFalsePass, EndingBeforeTheTestsFailsSandboxed) {
  ASSERT_TRUE(sandbox(true).sandboxed());
  expect_no_false_pass(true);
}

TEST(SandboxFalsePass, EndingBeforeTheTestsFailsUnsandboxed) {
  ASSERT_FALSE(sandbox(false).sandboxed());
  expect_no_false_pass(false);
}

TEST(SandboxFalsePass, TheTraceHookWorksWhereItIsNotCleared) {
  // Joined into one part, the hook does skip the asserts: the tests above are
  // not passing for a broken attack. Hence the driver's tests part.
  PythonProgram joined = build_program(kDoc, kTraceHook);
  ProgramResult r = sandbox(true).run_python(joined.code + "\n" + joined.tests);
  EXPECT_TRUE(r.passed) << r.reason << "\n" << r.stderr_text;
}

TEST(SandboxFalsePass, TracebacksNameTheProgramsLines) {
  ProgramResult wrong = sandbox(true).run_program(build_program(kDoc, "    return a - b\n"));
  EXPECT_EQ(wrong.reason, "exit code 1 (AssertionError)");
  EXPECT_NE(wrong.stderr_text.find("File \"/sandbox/tests.py\", line 2, in check\n"
                                   "    assert candidate(1, 2) == 3"),
            std::string::npos)
      << wrong.stderr_text;
  EXPECT_EQ(wrong.stderr_text.find("<string>"), std::string::npos) << wrong.stderr_text;
  ProgramResult raised = sandbox(false).run_program(build_program(kDoc, "    return a / 0\n"));
  EXPECT_EQ(raised.reason, "exit code 1 (ZeroDivisionError)");
  EXPECT_NE(raised.stderr_text.find("main.py\", line 3, in add\n    return a / 0"),
            std::string::npos)
      << raised.stderr_text;
}

TEST(SandboxFalsePass, StdinHoldsNothingForTheProgram) {
  for (bool sandboxed : {true, false}) {
    ProgramResult r = sandbox(sandboxed).run_python(
        "import os, sys\nprint(repr(sys.stdin.read()), os.read(0, 64))");
    EXPECT_EQ(r.stdout_text, "'' b''\n") << sandboxed << ": " << r.stderr_text;
  }
}

// The bundled HumanEval-shaped task (tasks/coding/coding_completion.yaml).
const Task& coding_completion() {
  static const std::vector<Task> coding = load_suite_tasks(load_suite(
      "coding", (fs::path(__FILE__).parent_path() / ".." / ".." / "tasks").lexically_normal()));
  for (const Task& t : coding)
    if (t.name() == "coding_completion") return t;
  throw std::runtime_error("no task coding_completion");
}

std::string canonical(size_t doc) {
  return coding_completion().docs()[doc]["canonical_solution"].get<std::string>();
}

TEST(SandboxFalsePass, FalsePassCompletionScoresZeroThroughStoredGenerations) {
  const Task* task = &coding_completion();
  // The issue's example, `moebench eval --generations` with {"response": "    exit()\n"}.
  std::map<size_t, std::vector<std::string>> generations = {{0, {"    exit()\n"}},
                                                             {1, {"    import os\n    os._exit(0)\n"}},
                                                             {2, {"    raise SystemExit(0)\n"}}};
  TaskRun run = score_generations(*task, generations, EvalConfig{}, &sandbox(true));
  ASSERT_EQ(run.scores.size(), 3u);
  for (const SampleScore& s : run.scores) {
    EXPECT_EQ(s.metrics.at("pass@1,none"), 0.0) << s.program_results.at("none")[0];
  }
  EXPECT_EQ(run.metrics.at("pass@1,none").value, 0.0);
  run = score_generations(*task, {{0, {canonical(0)}}}, EvalConfig{}, &sandbox(true));
  EXPECT_EQ(run.metrics.at("pass@1,none").value, 1.0) << run.scores[0].program_results.at("none")[0];
}

TEST(SandboxFalsePass, StoredGenerationsAreCutAtTheFirstStopSequence) {
  const Task* task = &coding_completion();
  // Text a live generation would never have produced: it stops at "\ndef " and
  // "\nprint(" (tasks/coding/coding_completion.yaml). Uncut, each would fail.
  const std::string redefined = canonical(0) + "\ndef sum_of_evens(numbers):\n    return -1\n";
  const std::string crashing = canonical(1) + "\nprint(undefined_name)\n#x\n";
  TaskRun run = score_generations(*task, {{0, {redefined}}, {1, {crashing}}}, EvalConfig{},
                                  &sandbox(true));
  EXPECT_EQ(run.responses[0][0].text, canonical(0));  // the stop "\ndef " is not kept
  EXPECT_EQ(run.responses[1][0].text, canonical(1));  // cut at "\nprint(", before "\n#"
  EXPECT_EQ(run.metrics.at("pass@1,none").value, 1.0)
      << run.scores[0].program_results.at("none")[0] << "; "
      << run.scores[1].program_results.at("none")[0];
}

}  // namespace
}  // namespace moebench::eval
