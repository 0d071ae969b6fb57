#include "tests/reports/browser_check.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "harness/util/text.h"

namespace moebench::reports::testing {
namespace {

const std::filesystem::path kSource = MOEBENCH_TEST_SOURCE_DIR;

}  // namespace

std::string browser_unavailable() {
  if (std::string(MOEBENCH_TEST_NODE).empty()) return "node not found (bash .ci/setup installs it)";
  if (std::string(MOEBENCH_TEST_CHROMIUM).empty()) return "chromium not found (bash .ci/setup installs it)";
  if (!std::filesystem::exists(kSource / "reports/node_modules/playwright-core")) {
    return "reports/node_modules missing (npm ci --prefix reports)";
  }
  return "";
}

std::filesystem::path artefact_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(MOEBENCH_TEST_ARTEFACTS) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

nlohmann::json browser_check(const std::filesystem::path& html, const std::filesystem::path& out,
                             int* exit_code, std::string* output, bool images) {
  const std::filesystem::path log = out / "browser_check.log";
  const std::string command =
      "MOEBENCH_CHROMIUM=" + shell_quote(MOEBENCH_TEST_CHROMIUM) + " " +
      shell_quote(MOEBENCH_TEST_NODE) + " " +
      shell_quote((kSource / "reports/tests/browser_check.mjs").string()) + " " +
      shell_quote(html.string()) + " " + shell_quote(out.string()) + (images ? "" : " --no-images") + " >" +
      shell_quote(log.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream l(log);
  std::stringstream text;
  text << l.rdbuf();
  *output = text.str();
  std::ifstream f(out / "check.json");
  if (!f) return nullptr;
  return nlohmann::json::parse(f);
}

}  // namespace moebench::reports::testing
