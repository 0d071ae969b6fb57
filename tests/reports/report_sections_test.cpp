// The report's numbers on databases whose answers are known by construction
// (tests/reports/report_db.h): verdict and paired test, routing agreement,
// routing vs correctness and the oracle gap, history regressions.
#include <gtest/gtest.h>

#include "reports/report.h"
#include "tests/reports/report_db.h"
#include "tests/testing/test_env.h"

namespace moebench::reports {
namespace {

using testing::Doc;
using testing::ReportDb;

// Ten documents. The merge is right on 0-4. Expert A is right on 0, 5, 6;
// B on 7; C on none. The router favours A on 0-5, B on 6-7, C on 8-9.
struct KnownDb {
  ::moebench::testing::ScratchDir dir;
  ReportDb db{dir.path() / "r.sqlite"};
  int64_t run = db.run("night-1");
  KnownDb() {
    const int favoured[10] = {0, 0, 0, 0, 0, 0, 1, 1, 2, 2};
    std::map<std::string, std::vector<Doc>> docs;
    for (int d = 0; d < 10; ++d) {
      docs["moe"].push_back({d < 5 ? 1.0 : 0.0, favoured[d]});
      docs["A"].push_back({(d == 0 || d == 5 || d == 6) ? 1.0 : 0.0});
      docs["B"].push_back({d == 7 ? 1.0 : 0.0});
      docs["C"].push_back({0.0});
      docs["base"].push_back({d % 2 == 0 ? 1.0 : 0.0});
    }
    db.score_family(run, docs);
  }
};

TEST(ReportSections, VerdictComparesWithTheBestExpertPaired) {
  KnownDb k;
  const auto r = build_report(k.db.store(), {});
  ASSERT_EQ(r["verdict"].size(), 1u);
  const auto& v = r["verdict"][0];
  const auto& row = v["rows"][0];
  EXPECT_EQ(row["best_expert"], "A");  // A 0.3 > B 0.1 > C 0
  EXPECT_NEAR(row["diff"].get<double>(), 0.5 - 0.3, 1e-12);
  EXPECT_EQ(row["test"]["test"], "mcnemar");
  EXPECT_EQ(row["test"]["a_only"], 4);  // docs 1-4: merge right, A wrong
  EXPECT_EQ(row["test"]["b_only"], 2);  // docs 5, 6
  // By hand: 2 * P[X <= 2], X ~ Bin(6, 1/2) = 2 * (1 + 6 + 15) / 64.
  EXPECT_NEAR(row["test"]["p"].get<double>(), 44.0 / 64.0, 1e-12);
  EXPECT_EQ(v["beats"], 1);
  EXPECT_EQ(v["significant"], 0);
  EXPECT_EQ(v["sentence"], "moe beats its best expert on 1 of 1 suite; significantly on 0.");
  // Order: merge, base, experts by index; roles and labels from the lineage.
  ASSERT_EQ(row["scores"].size(), 5u);
  EXPECT_EQ(row["scores"][1]["role"], "base");
  EXPECT_EQ(row["scores"][2]["label"], "A");
  // ci = 1.96 x stderr, stderr = sample sd / sqrt(n): merge 0.5 with sd sqrt(10/36).
  EXPECT_NEAR(row["scores"][0]["ci"].get<double>(), 1.959963984540054 * std::sqrt(10.0 / 36.0) / std::sqrt(10.0), 1e-12);
}

TEST(ReportSections, RoutingAgreementAndCorrectnessKnownByConstruction) {
  KnownDb k;
  const auto r = build_report(k.db.store(), {});
  const auto& layers = r["routing"][0]["suites"][0]["layers"];
  ASSERT_EQ(layers.size(), 2u);
  // 40 tokens per layer; A first on docs 0-5 (24 tokens).
  EXPECT_EQ(layers[0]["tokens"], 40);
  EXPECT_NEAR(layers[0]["agreement"].get<double>(), 24.0 / 40.0, 1e-12);
  EXPECT_NEAR(layers[0]["first_choice_share"][1].get<double>(), 8.0 / 40.0, 1e-12);
  EXPECT_NEAR(layers[0]["chance"].get<double>(), 1.0 / 3.0, 1e-12);

  const auto& s = r["routing_correctness"][0]["suites"][0];
  const auto& gap = s["oracle_gap"];
  EXPECT_EQ(gap["documents"], 10);
  EXPECT_EQ(gap["merge_wrong_expert_right"], 3);      // docs 5, 6, 7
  EXPECT_NEAR(gap["rate"].get<double>(), 0.3, 1e-12);
  EXPECT_EQ(gap["some_expert_right"], 4);             // docs 0, 5, 6, 7
  EXPECT_EQ(gap["router_favoured_right_expert"], 3);  // 0 (A), 5 (A), 7 (B); not 6 (B wrong)
  EXPECT_EQ(gap["logged_gap_documents"], 3);
  EXPECT_EQ(gap["favoured_right_in_gap"], 2);         // 5, 7
  ASSERT_EQ(s["documents"].size(), 10u);
  EXPECT_EQ(s["documents"][6]["favoured"], 1);
  EXPECT_NEAR(s["documents"][6]["favoured_share"].get<double>(), 0.75, 1e-12);
  EXPECT_EQ(s["documents"][6]["correct"]["A"], true);
  EXPECT_EQ(s["documents"][6]["correct"]["moe"], false);
  // Samples: docs where the merge is wrong and an expert right come first.
  const auto& docs = r["samples"]["documents"];
  ASSERT_GE(docs.size(), 3u);
  EXPECT_EQ(docs[0]["merge_wrong_expert_right"], nlohmann::ordered_json::array({"moe"}));
  EXPECT_EQ(docs[3]["merge_right_experts_wrong"], nlohmann::ordered_json::array({"moe"}));
  EXPECT_EQ(r["samples"]["total"], 10);
}

TEST(ReportSections, GatesShowStoredStatisticsAndThePromptSetHash) {
  KnownDb k;
  const auto r = build_report(k.db.store(), {});
  const auto& g = r["gates"][0];
  EXPECT_EQ(g["gate_mode"], "hidden");
  // python3: hashlib.sha256(json.dumps([{"negative": [], "positive": ["prompt for " + e]}
  //   for e in "ABC"], separators=(",", ":")).encode()).hexdigest()
  EXPECT_EQ(g["prompt_set_hash"], "890edbaef4da0df17007c0bd83489cba217770c5c545ca9715bb687c04fdedbd");
  ASSERT_EQ(g["layers"].size(), 1u);
  EXPECT_EQ(g["layers"][0]["condition_number"], 2.5);
  EXPECT_EQ(g["layers"][0]["max_cosine"], 0.7);  // the largest off-diagonal entry
}

// Three nightly runs of the same 20 documents: night 2 loses one document
// (inside the paired interval), night 3 loses eight more (outside).
TEST(ReportSections, HistoryFlagsADropBeyondThePairedIntervalOnly) {
  ::moebench::testing::ScratchDir dir;
  ReportDb db(dir.path() / "h.sqlite");
  const int64_t task = db.task("t", "s");
  int64_t merge = 0;
  for (int night = 1; night <= 3; ++night) {
    const int64_t run = db.run("night-" + std::to_string(night));
    merge = db.merge("moe", "base", {"A", "B"});
    std::vector<Doc> docs(20);
    const int wrong = night == 1 ? 2 : night == 2 ? 3 : 11;
    for (int d = 0; d < 20; ++d) docs[d].value = d < wrong ? 0.0 : 1.0;
    db.score(run, merge, task, docs);
    db.finish(run);
  }
  const auto r = build_report(db.store(), {});
  ASSERT_EQ(r["history"]["runs"].size(), 3u);
  const auto& points = r["history"]["series"][0]["points"];
  ASSERT_EQ(points.size(), 3u);
  // Night 2: d = -1 on one document of 20: mean -0.05, sd sqrt(0.05),
  // half width 1.96 x sqrt(0.05) / sqrt(20) = 0.098 > 0.05: no flag.
  EXPECT_NEAR(points[1]["change"]["diff"].get<double>(), -0.05, 1e-12);
  EXPECT_NEAR(points[1]["change"]["half_width"].get<double>(),
              1.959963984540054 * std::sqrt(0.05) / std::sqrt(20.0), 1e-12);
  EXPECT_FALSE(points[1]["change"]["regression"].get<bool>());
  // Night 3: d = -1 on eight: mean -0.4, sd sqrt((8 x 0.36 + 12 x 0.16) / 19).
  EXPECT_NEAR(points[2]["change"]["diff"].get<double>(), -0.4, 1e-12);
  EXPECT_NEAR(points[2]["change"]["half_width"].get<double>(),
              1.959963984540054 * std::sqrt((8 * 0.36 + 12 * 0.16) / 19.0) / std::sqrt(20.0), 1e-12);
  EXPECT_TRUE(points[2]["change"]["regression"].get<bool>());
  ASSERT_EQ(r["history"]["regressions"].size(), 1u);
  EXPECT_EQ(r["history"]["regressions"][0]["run_key"], "night-3");
  EXPECT_EQ(r["history"]["regressions"][0]["previous_run_key"], "night-2");
  const auto lines = summary_lines(r);
  EXPECT_NE(lines.back().find("regression: moe on s dropped -0.4000"), std::string::npos) << lines.back();
}

// An expert evaluated on one suite only keeps its column, empty on the other.
TEST(ReportSections, VerdictColumnsAreTheSameInEveryRow) {
  ::moebench::testing::ScratchDir dir;
  ReportDb db(dir.path() / "c.sqlite");
  const int64_t run = db.run("night");
  const int64_t merge = db.merge("moe", "base", {"A", "B"});
  const int64_t t1 = db.task("t1", "s1"), t2 = db.task("t2", "s2");
  const std::vector<Doc> docs = {{1}, {0}, {1}};
  const int64_t a = db.dense("A"), b = db.dense("B");
  for (int64_t task : {t1, t2}) {
    db.score(run, merge, task, docs);
    db.score(run, a, task, docs);
  }
  db.score(run, b, t1, docs);
  db.finish(run);
  const auto r = build_report(db.store(), {});
  const auto& rows = r["verdict"][0]["rows"];
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0]["scores"].size(), 3u);  // merge, A, B (no base evaluated)
  ASSERT_EQ(rows[1]["scores"].size(), 3u);
  EXPECT_EQ(rows[1]["scores"][2]["model"], "B");
  EXPECT_TRUE(rows[1]["scores"][2]["value"].is_null());
  EXPECT_EQ(rows[1]["best_expert"], "A");
}

TEST(ReportSections, UnknownRunAndModelAreClearErrors) {
  KnownDb k;
  ReportOptions o;
  o.run = "nope";
  ::moebench::testing::expect_input_error([&] { build_report(k.db.store(), o); },
                                          {"r.sqlite", "--run 'nope'", "night-1"});
  o.run = "latest";
  o.models = {"ghost"};
  ::moebench::testing::expect_input_error([&] { build_report(k.db.store(), o); },
                                          {"--model 'ghost'", "night-1"});
}

}  // namespace
}  // namespace moebench::reports
