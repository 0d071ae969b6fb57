// The demo's claims, checked on the run that ctest's demo_run fixture made
// from the shipped world (models/demo): each expert beats the base on its own
// suite, the oracle-routing merge beats every expert on the mean, both
// mergekit merges are reported, the `fitted` gates route as intended, the
// fitted merge's ablation is in the report with its lineage, the shipped
// weights reproduce the scores recorded when they were trained, the README
// quotes those scores, and the report shows every section in Chromium.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "harness/jobs/demo_summary.h"
#include "harness/util/atomic_path.h"
#include "harness/world/demo_world.h"
#include "tests/reports/browser_check.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

const fs::path kSource = MOEBENCH_TEST_SOURCE_DIR;
const fs::path kArtefacts = MOEBENCH_DEMO_ARTEFACTS;
// One document of a suite's 80 may flip between CPUs whose float sums differ.
constexpr double kReproduceTolerance = 1.5 / 80;

class DemoClaims : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path json = kArtefacts / "report.json";
    if (!fs::exists(json)) return;
    report_ = new nlohmann::json(nlohmann::json::parse(read_file(json)));
    scores_ = new DemoScores(demo_scores(*report_));
    recorded_ = new nlohmann::json(nlohmann::json::parse(read_file(kSource / "models/demo/scores.json")));
  }
  void SetUp() override {
    ASSERT_NE(report_, nullptr) << (kArtefacts / "report.json") << " is missing: the demo_run test makes it";
  }
  static const DemoScores::Row& row(const std::string& model) {
    for (const auto& r : scores_->rows)
      if (r.model == model) return r;
    throw std::runtime_error("no model " + model + " in the demo's report");
  }
  static nlohmann::json* report_;
  static DemoScores* scores_;
  static nlohmann::json* recorded_;
};
nlohmann::json* DemoClaims::report_ = nullptr;
DemoScores* DemoClaims::scores_ = nullptr;
nlohmann::json* DemoClaims::recorded_ = nullptr;

TEST_F(DemoClaims, EachExpertBeatsTheBaseOnItsOwnSuiteByAtLeastFifteenPoints) {
  for (const std::string& domain : world::domain_names()) {
    const std::string suite = "demo_" + domain;
    const double gain = row(domain).value.at(suite) - row("base").value.at(suite);
    EXPECT_GE(gain, 0.15) << domain << " expert " << row(domain).value.at(suite) << " vs base "
                          << row("base").value.at(suite);
  }
}

TEST_F(DemoClaims, OracleRoutingBeatsEveryExpertOnTheMean) {
  const auto& oracle = row("demo-oracle");
  EXPECT_EQ(oracle.gate_variant, "oracle");
  for (const std::string& domain : world::domain_names())
    EXPECT_GT(oracle.mean, row(domain).mean) << domain;
}

TEST_F(DemoClaims, BothMergekitMergesAreReportedWithTheirRouting) {
  EXPECT_EQ(row("demo-hidden").gate_variant, "hidden");
  EXPECT_EQ(row("demo-cheap-embed").gate_variant, "cheap_embed");
  for (const char* merge : {"demo-hidden", "demo-cheap-embed"}) {
    bool routed = false;
    for (const auto& m : report_->at("routing"))
      if (m.at("merge") == merge) routed = m.at("suites").size() == world::domain_names().size();
    EXPECT_TRUE(routed) << merge << " has no routing for every suite";
  }
}

// moebench's `fitted` gates (from the states each router reads, 32 example
// documents per expert): the suite's expert is the first choice on at least
// 70% of each suite's tokens over all layers, and the merge beats every expert
// on the mean over the suites.
TEST_F(DemoClaims, FittedGatesRouteMostTokensToTheSuitesExpertAndTheMergeBeatsEveryExpert) {
  EXPECT_EQ(row("demo-fitted").gate_variant, "fitted");
  int suites = 0;
  for (const auto& m : report_->at("routing")) {
    if (m.at("merge") != "demo-fitted") continue;
    for (const auto& s : m.at("suites")) {
      double routed = 0, tokens = 0;
      for (const auto& l : s.at("layers")) {
        routed += l.at("agreement").get<double>() * l.at("tokens").get<double>();
        tokens += l.at("tokens").get<double>();
      }
      ++suites;
      EXPECT_GE(routed / tokens, 0.70) << s.at("suite");
    }
  }
  EXPECT_EQ(suites, static_cast<int>(world::domain_names().size()));
  for (const std::string& domain : world::domain_names())
    EXPECT_GT(row("demo-fitted").mean, row(domain).mean) << domain;
}

// The demo ablates the fitted merge (plan: `variants: shuffle,top-k=1`): the
// report's ablation section holds the variants against the recipe as written,
// each with the lineage it ran with, and shuffled prompt sets (each router
// row fitted to another expert's documents) cost most of what fitting gained.
TEST_F(DemoClaims, TheFittedMergeIsAblatedAndTheReportShowsIt) {
  const nlohmann::json* family = nullptr;
  for (const auto& f : report_->at("ablations"))
    if (f.value("kind", "") == "ablation" && f.value("reference", "") == "demo-fitted") family = &f;
  ASSERT_NE(family, nullptr) << "no ablation of demo-fitted in the report";
  std::map<std::string, nlohmann::json> variants;
  for (const auto& v : family->at("variants")) variants[v.at("model").get<std::string>()] = v;
  ASSERT_EQ(variants.size(), 3u);
  const auto& written = variants.at("demo-fitted");
  const auto& shuffle = variants.at("demo-fitted/shuffle");
  const auto& top1 = variants.at("demo-fitted/top-k=1");
  EXPECT_TRUE(written.at("reference").get<bool>());
  EXPECT_EQ(shuffle.at("ablation"), "shuffle");
  EXPECT_EQ(top1.at("ablation"), "top-k=1");
  for (const auto* v : {&written, &shuffle, &top1}) EXPECT_EQ(v->at("gate_mode"), "fitted");
  EXPECT_EQ(written.at("experts_per_token"), 2);
  EXPECT_EQ(top1.at("experts_per_token"), 1);
  // One expert per token routes with the same gates; shuffled prompts make other gates.
  EXPECT_EQ(top1.at("gates_hash"), written.at("gates_hash"));
  EXPECT_NE(shuffle.at("gates_hash"), written.at("gates_hash"));
  EXPECT_EQ(written.at("gates_hash").get<std::string>().size(), 16u);
  // The shuffled router sends each suite's tokens elsewhere, so the merge falls to about the base.
  EXPECT_LT(row("demo-fitted/shuffle").mean, row("demo-fitted").mean - 0.15);
  EXPECT_LT(row("demo-fitted/shuffle").mean, row("base").mean + 0.05);
  for (const auto& s : shuffle.at("suites")) EXPECT_LT(s.at("agreement").get<double>(), 0.25) << s.at("suite");
  // Each variant's prompts are in its lineage: shuffle's expert e has the as-written expert e+1's.
  const nlohmann::json* fitted = nullptr;
  const nlohmann::json* shuffled = nullptr;
  for (const auto& m : report_->at("models")) {
    if (m.at("name") == "demo-fitted") fitted = &m;
    if (m.at("name") == "demo-fitted/shuffle") shuffled = &m;
  }
  ASSERT_TRUE(fitted && shuffled);
  const auto& a = fitted->at("expert_models");
  const auto& b = shuffled->at("expert_models");
  ASSERT_EQ(a.size(), b.size());
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_EQ(b[e].at("source_model"), a[e].at("source_model"));
    EXPECT_EQ(b[e].at("positive_prompts"), a[(e + 1) % a.size()].at("positive_prompts")) << "expert " << e;
  }
}

TEST_F(DemoClaims, ShippedWeightsReproduceTheRecordedScores) {
  const auto& models = recorded_->at("models");
  ASSERT_EQ(models.size(), scores_->rows.size());
  for (const auto& r : scores_->rows) {
    ASSERT_TRUE(models.contains(r.model)) << r.model;
    for (const auto& [suite, value] : r.value)
      EXPECT_NEAR(value, models.at(r.model).at(suite).get<double>(), kReproduceTolerance) << r.model << " " << suite;
  }
}

// The README's table between <!-- demo-scores --> markers: | name | v... | mean |
TEST_F(DemoClaims, ReadmeQuotesTheRecordedScores) {
  const std::string readme = read_file(kSource / "README.md");
  const size_t begin = readme.find("<!-- demo-scores -->"), end = readme.find("<!-- /demo-scores -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::istringstream table(readme.substr(begin, end - begin));
  const std::regex row_re(R"(^\| `?([a-z0-9=/-]+)`?[^|]*((\| *[0-9.]+ *)+)\|\s*$)");
  const auto& models = recorded_->at("models");
  const auto& suites = recorded_->at("suites");
  int rows = 0;
  for (std::string line; std::getline(table, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row_re)) continue;
    ++rows;
    ASSERT_TRUE(models.contains(m[1].str())) << line;
    std::vector<double> cells;
    std::istringstream values(m[2].str());
    for (std::string cell; std::getline(values, cell, '|');)
      if (cell.find_first_not_of(' ') != std::string::npos) cells.push_back(std::stod(cell));
    ASSERT_EQ(cells.size(), suites.size() + 1) << line;
    for (size_t i = 0; i < suites.size(); ++i)
      EXPECT_EQ(fmt::format("{:.3f}", cells[i]),
                fmt::format("{:.3f}", models.at(m[1].str()).at(suites[i].get<std::string>()).get<double>()))
          << line;
    EXPECT_EQ(fmt::format("{:.3f}", cells.back()), fmt::format("{:.3f}", models.at(m[1].str()).at("mean").get<double>()))
        << line;
  }
  EXPECT_EQ(rows, static_cast<int>(models.size()));
}

TEST_F(DemoClaims, ReportShowsEverySectionInChromium) {
  const std::string why = reports::testing::browser_unavailable();
  if (!why.empty()) GTEST_SKIP() << "SKIPPED: browser test: " << why;
  const fs::path out = reports::testing::artefact_dir("demo");
  int code = 0;
  std::string output;
  // The DOM is what is checked; screenshots of this long report take minutes.
  const auto check =
      reports::testing::browser_check(kArtefacts / "report.html", out, &code, &output, /*images=*/false);
  ASSERT_FALSE(check.is_null()) << output;
  EXPECT_EQ(code, 0) << output;
  const auto& sections = check.at("sections");
  for (const char* id : {"verdict", "routing", "routing-correctness", "gates", "token-view", "ablations",
                         "history", "samples"}) {
    ASSERT_TRUE(sections.contains(id)) << id;
    EXPECT_GT(sections.at(id).at("text_chars").get<int>(), 200) << id;
  }
  for (const char* id : {"verdict", "routing", "routing-correctness", "ablations", "history"})
    EXPECT_GT(sections.at(id).at("charts").get<int>(), 0) << id << " has no chart";
  for (const char* id : {"verdict", "gates", "ablations", "samples"})
    EXPECT_GT(sections.at(id).at("table_rows").get<int>(), 1) << id << " has no table";
}

}  // namespace
}  // namespace moebench::jobs
