// Database size per 1,000 scored tokens for a 32-layer, 4-expert, top-2
// model, measured on the real encoding, and the projected size of a suite
// with the default token cap on a 4x7B-shaped model (the numbers;
// the test prints them and checks them against the encoding's payload).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/testing/size_estimate.h"
#include "harness/util/text.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;

TEST(DatabaseSize, BytesPer1000ScoredTokensFor32Layers4ExpertsTop2) {
  ScratchDir dir;
  const ModelShape shape{32, 4, 2};
  // Payload per token and layer: 2 one-byte ids + 2 fp16 weights = 6 bytes.
  const double payload = 1000.0 * shape.layers * shape.top_k * 3;
  RoutingSizeMeasurement raw = measure_routing_size(dir.path(), shape, 48, 250, 0);
  RoutingSizeMeasurement zstd =
      measure_routing_size(dir.path(), shape, 48, 250, RoutingOptions{}.zstd_level);
  fmt::print("routing, 32 layers x top-2 of 4, 250-token samples, {} tokens:\n", raw.tokens);
  fmt::print("  raw blobs : {:.0f} bytes per 1,000 scored tokens ({} -> {})\n",
             raw.bytes_per_1000_tokens, human_bytes(raw.bytes_without), human_bytes(raw.bytes_with));
  fmt::print("  zstd -{}   : {:.0f} bytes per 1,000 scored tokens\n", RoutingOptions{}.zstd_level,
             zstd.bytes_per_1000_tokens);
  RecordProperty("raw_bytes_per_1000_tokens", static_cast<int>(raw.bytes_per_1000_tokens));
  RecordProperty("zstd_bytes_per_1000_tokens", static_cast<int>(zstd.bytes_per_1000_tokens));
  // Raw: the payload plus row, page and aggregate overhead (under 15%).
  EXPECT_GE(raw.bytes_per_1000_tokens, payload);
  EXPECT_LE(raw.bytes_per_1000_tokens, payload * 1.15);
  // Independent random routing is the worst case for compression; it still helps.
  EXPECT_LT(zstd.bytes_per_1000_tokens, raw.bytes_per_1000_tokens * 0.9);

  // A 4x7B-shaped model (32 layers, 4 experts, top-2) on a large suite: 8
  // tasks x 5,000 documents x 1,500 routed tokens (multiple choice repeats the
  // context per choice), 4 KB of stored text per document.
  const SuiteShape suite{8, 5000, 1500, 4096};
  const RoutingOptions defaults;
  SuiteSizeProjection capped =
      project_suite_size(suite, shape, defaults.token_cap, zstd.bytes_per_1000_tokens);
  SuiteSizeProjection uncapped = project_suite_size(suite, shape, -1, zstd.bytes_per_1000_tokens);
  fmt::print("4x7B-shaped model, suite of 8 tasks x 5,000 docs x 1,500 tokens, default cap {}:\n",
             with_thousands(defaults.token_cap));
  fmt::print("  routing {} + text {} = {} per suite (without the cap: {})\n",
             human_bytes(capped.routing_bytes), human_bytes(capped.text_bytes),
             human_bytes(capped.total_bytes), human_bytes(uncapped.total_bytes));
  RecordProperty("suite_bytes_default_cap", std::to_string(static_cast<int64_t>(capped.total_bytes)));
  EXPECT_LT(capped.total_bytes, 1e9);
  EXPECT_GT(uncapped.total_bytes, 1e9);  // why the cap exists
}

TEST(DatabaseSize, ProjectionArithmetic) {
  const ModelShape shape{32, 4, 2};
  SuiteSizeProjection p = project_suite_size({2, 10, 100, 1000}, shape, 500, 2000.0);
  EXPECT_EQ(p.logged_tokens_per_task, 500);
  EXPECT_DOUBLE_EQ(p.text_bytes, 20000);
  EXPECT_DOUBLE_EQ(p.routing_bytes, 2 * (500 * 2.0 + 64.0 * 32 * 5));
  EXPECT_EQ(project_suite_size({2, 10, 100, 1000}, shape, -1, 2000.0).logged_tokens_per_task, 1000);
}

}  // namespace
}  // namespace moebench::store
