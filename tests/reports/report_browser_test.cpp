// The report as a person opens it: headless Chromium with networking disabled
// loads the file, nothing fails or runs that should not, and the verdict
// table shows what the database holds. Screenshots of every section are kept
// under <build>/report-artefacts/.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "harness/store/results_store.h"
#include "harness/util/atomic_path.h"
#include "reports/html_report.h"
#include "reports/report.h"
#include "tests/reports/browser_check.h"
#include "tests/reports/report_db.h"
#include "tests/testing/test_env.h"

namespace moebench::reports {
namespace {

using ::moebench::testing::run_moebench;
using ::moebench::testing::ScratchDir;
using testing::Doc;

#define REQUIRE_BROWSER()                                                   \
  do {                                                                      \
    const std::string why = testing::browser_unavailable();                 \
    if (!why.empty()) GTEST_SKIP() << "SKIPPED: browser test: " << why;     \
  } while (0)

void expect_clean(const nlohmann::json& check, int exit_code, const std::string& output) {
  ASSERT_FALSE(check.is_null()) << output;
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_EQ(check["console"], nlohmann::json::array()) << check["console"].dump(1);
  EXPECT_EQ(check["page_errors"], nlohmann::json::array()) << check["page_errors"].dump(1);
  EXPECT_EQ(check["requests"], nlohmann::json::array()) << check["requests"].dump(1);
  EXPECT_EQ(check["csp_violations"], nlohmann::json::array()) << check["csp_violations"].dump(1);
  EXPECT_EQ(check["dialogs"], nlohmann::json::array());
  EXPECT_TRUE(check["pwned"].is_null()) << "a planted script ran: " << check["pwned"].dump();
}

std::string score_text(double value, double stderr_value) {
  if (std::isnan(value)) return "—";
  if (std::isnan(stderr_value)) return fmt::format("{:.4f}", value);
  return fmt::format("{:.4f} ± {:.4f}", value, 1.959963984540054 * stderr_value);
}

// A tiny merged MoE, its base and experts through `moebench run`, then
// `moebench report`; the page's verdict table against SQL on the database.
TEST(ReportBrowser, EndToEndRunReportAndVerdictTableAgainstSql) {
  REQUIRE_BROWSER();
  ScratchDir dir;
  const auto models = dir.path() / "tiny-frankenmoe";
  const std::pair<const char*, const char*> tiny[] = {
      {"base", "100"}, {"stories", "101"}, {"math", "102"}, {"code", "103"}};
  for (const auto& [name, seed] : tiny) {
    ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--seed", seed, "--out",
                            (models / name).string()}).exit_code, 0);
  }
  const std::filesystem::path source = MOEBENCH_TEST_SOURCE_DIR;
  std::filesystem::copy_file(source / "models/tiny-frankenmoe.yml", dir.path() / "tiny-frankenmoe.yml");
  ::moebench::testing::write_text(dir.path() / "plan.yml", R"(plan: report-e2e
suites: [math, coding, truthfulness, roleplay]
settings: {limit: 4, batch_size: 8, dtype: float32, routing: tokens}
models:
  - name: tiny-frankenmoe
    recipe: tiny-frankenmoe.yml
    expected_experts: {math: tiny-frankenmoe/math, coding: tiny-frankenmoe/code}
)");
  const auto db = dir.path() / "results.sqlite";
  auto r = run_moebench({"run", (dir.path() / "plan.yml").string(), "--db", db.string(),
                         "--models-dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto html = dir.path() / "report.html";
  r = run_moebench({"report", "--db", db.string(), "--out", html.string(), "--json",
                    (dir.path() / "report.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tiny-frankenmoe beats its best expert on"), std::string::npos) << r.out;
  EXPECT_LT(std::filesystem::file_size(html), 5u << 20);

  const auto out = testing::artefact_dir("end_to_end");
  std::filesystem::copy_file(html, out / "report.html");
  int code = 0;
  std::string output;
  const auto check = testing::browser_check(html, out, &code, &output);
  expect_clean(check, code, output);
  for (const char* section : {"verdict", "routing", "routing-correctness", "gates", "token-view",
                              "ablations", "history", "samples"}) {
    EXPECT_TRUE(std::filesystem::exists(out / (std::string("section-") + section + ".png"))) << section;
  }

  // Every score cell of the verdict table is the database's suite score.
  const auto& table = check["tables"]["verdict-tiny-frankenmoe"];
  ASSERT_GE(table.size(), 5u) << check["tables"].dump();  // header + 4 suites
  store::StoreOptions read_only;
  read_only.database.read_only = true;
  auto store = store::ResultsStore::open(db, read_only);
  const std::vector<std::string> names = {"tiny-frankenmoe", "tiny-frankenmoe/base",
                                          "tiny-frankenmoe/stories", "tiny-frankenmoe/math",
                                          "tiny-frankenmoe/code"};
  for (size_t c = 0; c < names.size(); ++c) {
    const std::string header = table[0][2 + c].get<std::string>();
    EXPECT_EQ(header.rfind(names[c], 0), 0u) << header;  // the name, then its role
  }
  for (size_t row = 1; row < table.size(); ++row) {
    const std::string suite = table[row][0], metric = table[row][1];
    double merge = NAN, best = NAN;
    for (size_t c = 0; c < names.size(); ++c) {
      auto q = store.database().prepare(
          "SELECT value, stderr FROM suite_score_rows WHERE model = ? AND suite = ? AND metric = ?");
      q.bind_all(names[c], suite, metric);
      ASSERT_TRUE(q.step()) << names[c] << " " << suite << " " << metric;
      EXPECT_EQ(table[row][2 + c].get<std::string>(), score_text(q.real(0), q.real(1)))
          << names[c] << " on " << suite;
      if (c == 0) merge = q.real(0);
      if (c >= 2 && (std::isnan(best) || q.real(0) > best)) best = q.real(0);
    }
    EXPECT_EQ(table[row][7].get<std::string>(), fmt::format("{:+.4f}", merge - best)) << suite;
    const std::string test = table[row][8];
    EXPECT_TRUE(test.rfind("McNemar p=", 0) == 0 || test.rfind("bootstrap p=", 0) == 0) << test;
  }
}

// Hostile text in every place a report shows text renders as text.
TEST(ReportBrowser, HostileStringsRenderAsText) {
  REQUIRE_BROWSER();
  ScratchDir dir;
  const std::string script = "<script>window.__moebench_pwned='script'</script>";
  const std::string close = "</script><script>window.__moebench_pwned='close'</script>";
  const std::string img = "\"><img src=x onerror=\"window.__moebench_pwned='img'\">";
  const std::string textarea = "</textarea><svg onload=\"window.__moebench_pwned='svg'\">";
  const std::string braces = "{{7*7}}";
  const std::string invalid = "bad\xff\xfe utf8";
  const std::string long_line(1 << 20, 'x');
  testing::ReportDb db(dir.path() / "hostile.sqlite");
  const int64_t run = db.run("night" + script);
  const std::string merge_name = "moe" + script;
  const std::vector<std::string> experts = {"A" + img, "B" + close, "C" + braces + invalid};
  const int64_t merge = db.merge(merge_name, "base" + textarea, experts,
                                 "base_model: base\n# " + close + img + long_line + "\n");
  const int64_t task = db.task("task" + img, "suite" + braces, experts[0]);
  std::vector<Doc> docs;
  for (int d = 0; d < 6; ++d) {
    Doc doc{static_cast<double>(d % 2), d % 3};
    doc.prompt = "Q " + script + close + textarea + braces + invalid + (d == 0 ? long_line : "");
    doc.response = "A " + img + close + (d == 1 ? long_line : "");
    docs.push_back(doc);
  }
  db.score(run, merge, task, docs);
  for (const auto& e : experts) db.score(run, db.dense(e), task, docs);
  db.score(run, db.dense("base" + textarea), task, docs);
  db.finish(run);

  const auto html = dir.path() / "hostile.html";
  write_file_atomic(html, render_html(build_report(db.store(), {})));
  const auto out = testing::artefact_dir("hostile");
  std::filesystem::copy_file(html, out / "report.html");
  int code = 0;
  std::string output;
  const auto check = testing::browser_check(html, out, &code, &output);
  expect_clean(check, code, output);
  // The merge's verdict table exists under its (hostile) name and shows the names as text.
  ASSERT_TRUE(check["tables"].contains("verdict-" + merge_name)) << check["tables"].dump().substr(0, 2000);
  const auto& header = check["tables"]["verdict-" + merge_name][0];
  EXPECT_EQ(header[2].get<std::string>().rfind(merge_name, 0), 0u) << header.dump();
  EXPECT_NE(header.dump().find("C{{7*7}}bad\uFFFD\uFFFD utf8"), std::string::npos) << header.dump();
}

}  // namespace
}  // namespace moebench::reports
