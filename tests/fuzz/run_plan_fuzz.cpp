// A run plan (models/*.yml) through load_run_plan, written as a file next to
// copies of the project's recipes so that its `recipe:` entries resolve and
// are read too (their models are not there: that is an InputError).
#include "harness/jobs/run_plan.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

const fs::path& plan_dir() {
  static const fs::path dir = [] {
    fs::path d = fuzz::scratch_dir() / "models";
    fs::create_directories(d);
    for (const auto& entry : fs::directory_iterator(fs::path(MOEBENCH_SOURCE_DIR) / "models"))
      if (entry.path().extension() == ".yml") fuzz::copy_fixture(entry.path(), d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path path = plan_dir() / "fuzz-plan.yml";
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::reject_only_with_input_error([&] {
    const jobs::RunPlan plan = jobs::load_run_plan(path);
    MOEBENCH_FUZZ_CHECK(!plan.models.empty());
  });
  return 0;
}
