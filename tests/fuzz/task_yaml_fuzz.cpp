// A task YAML (tasks/<suite>/<task>.yaml) through load_task_spec, and the same
// file as a suite YAML through load_suite. The input is written next to copies
// of every bundled task and suite file, so `include:` and a suite's `task:`
// list resolve to real files.
#include "harness/eval/suite.h"
#include "harness/eval/task_spec.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

const fs::path& tasks_dir() {
  static const fs::path dir = [] {
    fs::path d = fuzz::scratch_dir() / "tasks";
    fs::create_directories(d);
    for (const auto& suite : fs::directory_iterator(fs::path(MOEBENCH_SOURCE_DIR) / "tasks")) {
      if (!suite.is_directory()) continue;
      for (const auto& entry : fs::directory_iterator(suite.path()))
        if (entry.path().extension() == ".yaml") fuzz::copy_fixture(entry.path(), d);
    }
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path path = tasks_dir() / "fuzz_task.yaml";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::reject_only_with_input_error([&] {
    const eval::TaskSpec spec = eval::load_task_spec(path);
    MOEBENCH_FUZZ_CHECK(!spec.task.empty());
  });
  fuzz::reject_only_with_input_error([&] { eval::load_suite(path.string(), tasks_dir()); });
  return 0;
}
