// The files compiled into the binary for the report: byte for byte what npm
// installed in reports/node_modules and what reports/assets holds, the
// vega-interpreter module turned into a classic script, and a clear error for
// a name that is not there.
#include "reports/report_assets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace moebench::reports {
namespace {

namespace fs = std::filesystem;

const fs::path kReports = fs::path(MOEBENCH_TEST_SOURCE_DIR) / "reports";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ReportAssets, LibrariesAreTheMinifiedBuildsFromNpm) {
  for (const char* package : {"vega", "vega-lite", "vega-embed"}) {
    const fs::path dir = kReports / "node_modules" / package;
    EXPECT_EQ(report_asset(std::string(package) + ".js"),
              read_file(dir / "build" / (std::string(package) + ".min.js")))
        << package;
  }
}

TEST(ReportAssets, EveryLibraryCarriesItsLicence) {
  for (const char* package : {"vega", "vega-lite", "vega-embed", "vega-interpreter"}) {
    EXPECT_EQ(report_asset(std::string(package) + ".LICENSE"),
              read_file(kReports / "node_modules" / package / "LICENSE"))
        << package;
  }
}

TEST(ReportAssets, InterpreterIsAClassicScriptOnTheVegaGlobal) {
  const std::string_view js = report_asset("vega-interpreter.js");
  EXPECT_NE(js.find("vega.expressionInterpreter = expression;"), std::string_view::npos);
  EXPECT_EQ(js.find("\nimport "), std::string_view::npos);
  EXPECT_EQ(js.find("\nexport "), std::string_view::npos);
  EXPECT_EQ(js.substr(js.size() - 10), "})(vega);\n");
}

TEST(ReportAssets, EveryFileOfReportsAssetsUnderItsName) {
  const std::vector<std::string> names = report_asset_names();
  for (const auto& entry : fs::directory_iterator(kReports / "assets")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.front() == '.') continue;
    EXPECT_EQ(report_asset(name), read_file(entry.path())) << name;
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(ReportAssets, NamesAreSortedAndUnique) {
  const std::vector<std::string> names = report_asset_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  for (const std::string& name : names) EXPECT_NO_THROW(report_asset(name)) << name;
}

TEST(ReportAssets, UnknownNameThrowsNamingIt) {
  try {
    report_asset("vega-lite.min.js");
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("'vega-lite.min.js'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace moebench::reports
