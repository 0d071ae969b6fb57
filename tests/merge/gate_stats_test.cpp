// The routers' statistics stored as models.gate_stats, against numbers worked
// out by hand, and for a loaded tiny Mixtral.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "harness/merge/gate_stats.h"
#include "tests/testing/tiny_models.h"

namespace moebench::merge {
namespace {

TEST(GateStats, TwoByTwoRouterWorkedOutByHand) {
  // W = [[1, 0], [1, 1]]: W Wᵀ = [[1, 1], [1, 2]], eigenvalues (3 ± √5) / 2,
  // so the singular values are sqrt((3 ± √5) / 2) and the condition number
  // sqrt((3 + √5) / (3 - √5)) = sqrt((3 + √5)² / 4) = (3 + √5) / 2 ≈ 2.618
  // (the golden ratio squared). The rows' cosine: 1 / (1 · √2) = 1 / √2.
  const at::Tensor w = at::tensor({1.0f, 0.0f, 1.0f, 1.0f}).view({2, 2});
  const LayerGateDiagnostics d = router_diagnostics(5, w);
  EXPECT_EQ(d.layer, 5);
  EXPECT_NEAR(d.condition_number, (3 + std::sqrt(5.0)) / 2, 1e-12);
  ASSERT_EQ(d.cosine.size(), 4u);
  EXPECT_NEAR(d.cosine[0], 1.0, 1e-15);
  EXPECT_NEAR(d.cosine[1], 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(d.cosine[2], 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(d.cosine[3], 1.0, 1e-15);

  const nlohmann::json j = gate_stats_json({d});
  ASSERT_EQ(j["layers"].size(), 1u);
  EXPECT_EQ(j["layers"][0]["layer"], 5);
  EXPECT_NEAR(j["layers"][0]["condition_number"].get<double>(), (3 + std::sqrt(5.0)) / 2, 1e-12);
  ASSERT_EQ(j["layers"][0]["cosine"].size(), 2u);
  EXPECT_NEAR(j["layers"][0]["cosine"][1][0].get<double>(), 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(j["layers"][0]["cosine"][1][1].get<double>(), 1.0, 1e-15);
}

TEST(GateStats, DependentRowsHaveNoFiniteConditionNumberStoredAsNull) {
  // Row 1 = 2 x row 0: rank 1, sigma_min 0.
  const at::Tensor w = at::tensor({1.0, 2.0, 2.0, 4.0}, at::kDouble).view({2, 2});
  const LayerGateDiagnostics d = router_diagnostics(0, w);
  EXPECT_TRUE(std::isinf(d.condition_number));
  EXPECT_NEAR(d.cosine[1], 1.0, 1e-12);
  const nlohmann::json j = gate_stats_json({d});
  EXPECT_TRUE(j["layers"][0]["condition_number"].is_null());
  EXPECT_EQ(j.dump().find("Infinity"), std::string::npos);
  // More experts than hidden dimensions cannot be independent either.
  EXPECT_TRUE(std::isinf(router_diagnostics(0, at::rand({3, 2}, at::kDouble)).condition_number));
  EXPECT_THROW(router_diagnostics(2, at::zeros({4})), std::invalid_argument);
}

TEST(GateStats, CenteredReadingWorkedOutByHand) {
  // Rows a = (2, 0), b = (-1, 1), c = (-1, -1) sum to zero, as fitted rows do.
  // Raw, three rows in two dimensions cannot be independent: no finite
  // condition number. Centered (the mean row is already 0): WᵀW =
  // [[6, 0], [0, 2]], so the E-1 = 2 singular values that route are √6 and
  // √2, condition √3. Cosines: a·b = -2 over 2·√2, b·c = 0.
  const at::Tensor w = at::tensor({2.0, 0.0, -1.0, 1.0, -1.0, -1.0}, at::kDouble).view({3, 2});
  EXPECT_TRUE(std::isinf(router_diagnostics(0, w).condition_number));
  const LayerGateDiagnostics d = router_diagnostics(0, w, GateReading::Centered);
  EXPECT_TRUE(d.centered);
  EXPECT_NEAR(d.condition_number, std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(d.cosine[0 * 3 + 1], -1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(d.cosine[1 * 3 + 2], 0.0, 1e-12);
  EXPECT_EQ(d.closest_a, 1);
  EXPECT_EQ(d.closest_b, 2);
  // Adding one vector to every row routes the same, and reads the same.
  const LayerGateDiagnostics shifted =
      router_diagnostics(0, w + at::tensor({5.0, -3.0}, at::kDouble), GateReading::Centered);
  EXPECT_NEAR(shifted.condition_number, std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(shifted.cosine[1], d.cosine[1], 1e-12);
  // One expert has nothing to be separated from; rows all equal never separate.
  EXPECT_EQ(router_diagnostics(0, at::ones({1, 4}), GateReading::Centered).condition_number, 1.0);
  EXPECT_TRUE(std::isinf(router_diagnostics(0, at::ones({3, 4}), GateReading::Centered).condition_number));
}

TEST(GateStats, FittedGatesThatSeparateTheirExpertsDoNotWarn) {
  // Four unit rows of a regular simplex in 3 of 5 dimensions: they sum to
  // zero (the raw matrix has rank 3) and every pair has cosine -1/3, the
  // best four experts can be separated. mergekit's reading calls that
  // degenerate; fitted gates are read centered and do not warn.
  const double k = 1 / std::sqrt(3.0);
  const std::vector<float> simplex = {
      float(k),  float(k),  float(k),  0, 0,  //
      float(k),  float(-k), float(-k), 0, 0,  //
      float(-k), float(k),  float(-k), 0, 0,  //
      float(-k), float(-k), float(k),  0, 0};
  const GateSet gates{1, 4, 5, simplex};
  ASSERT_EQ(gate_reading(GateMode::Fitted), GateReading::Centered);
  const GateDiagnostics fitted = diagnose_gates(gates, gate_reading(GateMode::Fitted));
  EXPECT_NEAR(fitted.layers[0].condition_number, 1.0, 1e-6);
  EXPECT_NEAR(fitted.layers[0].closest_cosine, -1.0 / 3, 1e-6);
  EXPECT_TRUE(fitted.warnings.empty()) << fitted.warnings[0];
  EXPECT_THAT(fitted.table(), ::testing::HasSubstr("rows less their mean row"));

  // The same rows read as any other mode: mergekit's numbers and its warning.
  for (GateMode mode : {GateMode::Hidden, GateMode::HiddenAvg, GateMode::CheapEmbed, GateMode::Random,
                        GateMode::UniformRandom, GateMode::RouterState}) {
    ASSERT_EQ(gate_reading(mode), GateReading::Raw) << gate_mode_name(mode);
    const GateDiagnostics raw = diagnose_gates(gates, gate_reading(mode));
    EXPECT_FALSE(raw.layers[0].centered);
    EXPECT_TRUE(std::isinf(raw.layers[0].condition_number));
    ASSERT_EQ(raw.warnings.size(), 1u);
    EXPECT_EQ(raw.warnings[0], "layer 0 has degenerate routing parameters (router condition number above 5) - your "
                               "prompts may be too similar; one or more experts will be underutilized");
  }
  // The golden-ratio example above, through diagnose_gates as mergekit's modes read it.
  const GateDiagnostics two = diagnose_gates(GateSet{1, 2, 2, {1, 0, 1, 1}}, GateReading::Raw);
  EXPECT_NEAR(two.layers[0].condition_number, (3 + std::sqrt(5.0)) / 2, 1e-6);

  // Centered fitted rows that do not separate two experts still warn.
  const std::vector<float> collapsed = {1, 0, 0, 0, 0,  1, 0, 0, 0, 0,  -2, 0.01f, 0, 0, 0};
  const GateDiagnostics bad = diagnose_gates(GateSet{1, 3, 5, collapsed}, GateReading::Centered);
  EXPECT_GT(bad.layers[0].condition_number, 5.0);
  ASSERT_EQ(bad.warnings.size(), 2u);
  EXPECT_THAT(bad.warnings[0], ::testing::HasSubstr("layer 0 has degenerate routing parameters (router condition "
                                                    "number of the rows less their mean above 5)"));
  EXPECT_THAT(bad.warnings[1], ::testing::HasSubstr("experts 0 and 1"));
}

TEST(GateStats, EveryMoeLayerOfALoadedModelAndNoneOfADenseOne) {
  model::TinyModelSpec spec;
  spec.num_layers = 3;
  const auto lm = model::LanguageModel::load(model::testing::tiny_model_dir(spec, "gate-stats-mixtral"));
  const nlohmann::json j = model_gate_stats(*lm);
  ASSERT_EQ(j["layers"].size(), 3u);
  for (int l = 0; l < 3; ++l) {
    EXPECT_EQ(j["layers"][l]["layer"], l);
    EXPECT_GE(j["layers"][l]["condition_number"].get<double>(), 1.0);
    EXPECT_EQ(j["layers"][l]["cosine"].size(), static_cast<size_t>(spec.num_experts));
  }
  model::TinyModelSpec dense;
  dense.arch = "llama";
  const auto llama = model::LanguageModel::load(model::testing::tiny_model_dir(dense, "gate-stats-llama"));
  EXPECT_EQ(model_gate_stats(*llama), nlohmann::json::object());
}

}  // namespace
}  // namespace moebench::merge
