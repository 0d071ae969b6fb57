// The routers' statistics stored as models.gate_stats, against numbers worked
// out by hand, and for a loaded tiny Mixtral.
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
