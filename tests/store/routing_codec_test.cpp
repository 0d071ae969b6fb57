// fp16 conversion, routing blobs, segment blobs and routing statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "harness/store/routing_codec.h"
#include "harness/store/routing_stats.h"
#include "harness/store/sqlite_db.h"

namespace moebench::store {
namespace {

TEST(Fp16, EveryHalfRoundTripsExactly) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = float_from_fp16(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(float_from_fp16(fp16_from_float(f)))) << std::hex << h;
      continue;
    }
    EXPECT_EQ(fp16_from_float(f), h) << std::hex << h;
  }
}

TEST(Fp16, KnownValuesAndSpecialCases) {
  EXPECT_EQ(fp16_from_float(1.0f), 0x3C00);
  EXPECT_EQ(fp16_from_float(-2.0f), 0xC000);
  EXPECT_EQ(fp16_from_float(0.5f), 0x3800);
  EXPECT_EQ(fp16_from_float(65504.0f), 0x7BFF);  // largest finite half
  EXPECT_EQ(fp16_from_float(65520.0f), 0x7C00);  // halfway to 2^16 rounds (to even) to infinity
  EXPECT_EQ(fp16_from_float(65519.0f), 0x7BFF);
  EXPECT_EQ(fp16_from_float(1e10f), 0x7C00);
  EXPECT_EQ(fp16_from_float(-INFINITY), 0xFC00);
  EXPECT_EQ(fp16_from_float(-0.0f), 0x8000);
  EXPECT_EQ(fp16_from_float(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(fp16_from_float(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and 2^-24: even
  EXPECT_EQ(fp16_from_float(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(fp16_from_float(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_TRUE(std::isnan(float_from_fp16(fp16_from_float(NAN))));
  // A NaN whose payload sits only in the low bits must not become infinity.
  float low_nan;
  uint32_t b = 0x7F800001u;
  std::memcpy(&low_nan, &b, 4);
  EXPECT_TRUE(std::isnan(float_from_fp16(fp16_from_float(low_nan))));
}

TEST(Fp16, RoundsToNearestTiesToEven) {
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
  EXPECT_EQ(fp16_from_float(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  // 1 + 3*2^-11 lies halfway between 1+2^-10 (odd) and 1+2^-9 (even).
  EXPECT_EQ(fp16_from_float(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(fp16_from_float(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3C01);
  // Against a reference: nearest of the two neighbouring halves, for random floats.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-70000.f, 70000.f);
  for (int i = 0; i < 200000; ++i) {
    const float f = i % 2 ? u(rng) : u(rng) * 1e-6f;
    const uint16_t h = fp16_from_float(f);
    const float got = float_from_fp16(h);
    if (std::isinf(got)) {
      EXPECT_GE(std::fabs(f), 65520.0f);
      continue;
    }
    const float up = float_from_fp16(static_cast<uint16_t>(h + 1));
    const float down = float_from_fp16(static_cast<uint16_t>(h - 1));
    EXPECT_LE(std::fabs(got - f), std::fabs(up - f)) << f;
    if ((h & 0x7FFF) != 0) {
      EXPECT_LE(std::fabs(got - f), std::fabs(down - f)) << f;
    }
  }
}

LayerRouting sample_layer(int32_t experts, int64_t tokens, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  LayerRouting r{3, 2, experts, {}, {}};
  for (int64_t t = 0; t < tokens; ++t) {
    int32_t a = static_cast<int32_t>(rng() % experts), b = static_cast<int32_t>(rng() % experts);
    if (b == a) b = (a + 1) % experts;
    float w = 0.5f + 0.5f * std::uniform_real_distribution<float>(0, 1)(rng);
    r.expert_ids.insert(r.expert_ids.end(), {a, b});
    r.weights.insert(r.weights.end(), {w, 1 - w});
  }
  return r;
}

TEST(RoutingBlobs, RoundTripRawAndZstd) {
  for (int level : {0, 3}) {
    for (int32_t experts : {4, 8, 300}) {
      LayerRouting in = sample_layer(experts, 500, 11);
      EncodedRouting blobs = encode_routing(in, level);
      if (level == 0) {
        EXPECT_FALSE(blobs.zstd);
      }
      if (!blobs.zstd) {
        EXPECT_EQ(blobs.expert_ids.size(), 1000u * (experts > 256 ? 2 : 1));
        EXPECT_EQ(blobs.weights.size(), 2000u);
      }
      LayerRouting out = decode_routing(blobs, 3, 2, experts, 500, "test");
      EXPECT_EQ(out.expert_ids, in.expert_ids);
      ASSERT_EQ(out.weights.size(), in.weights.size());
      for (size_t i = 0; i < in.weights.size(); ++i) {
        EXPECT_EQ(out.weights[i], float_from_fp16(fp16_from_float(in.weights[i])));
        EXPECT_NEAR(out.weights[i], in.weights[i], std::ldexp(1.0, -11));
      }
    }
  }
}

TEST(RoutingBlobs, CompressionIsUsedOnlyWhenSmaller) {
  LayerRouting one{0, 2, 4, {0, 1}, {0.75f, 0.25f}};
  EncodedRouting blobs = encode_routing(one, 3);
  EXPECT_FALSE(blobs.zstd);  // 6 bytes: zstd's frame header alone is larger
  EXPECT_EQ(blobs.expert_ids, std::string("\x00\x01", 2));
  LayerRouting many = sample_layer(4, 4000, 5);
  EXPECT_TRUE(encode_routing(many, 3).zstd);
}

TEST(RoutingBlobs, BadInputIsRefusedWithTheOffendingValue) {
  LayerRouting bad{0, 2, 4, {0, 4}, {0.5f, 0.5f}};
  try {
    encode_routing(bad, 0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expert id 4 outside [0, 4)"), std::string::npos);
  }
  LayerRouting good{0, 2, 4, {0, 3}, {0.5f, 0.5f}};
  EncodedRouting blobs = encode_routing(good, 0);
  EXPECT_THROW(decode_routing(blobs, 0, 2, 4, 2, "row"), StoreError);  // wrong token count
  EXPECT_THROW(decode_routing(blobs, 0, 2, 3, 1, "row"), StoreError);  // id 3 of 3 experts
  blobs.zstd = true;
  try {
    decode_routing(blobs, 0, 2, 4, 1, "results.sqlite: sample 7, layer 0");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 7, layer 0: corrupt zstd"), std::string::npos);
  }
}

TEST(RoutingBlobs, SegmentsRoundTrip) {
  std::vector<RoutingSegment> segs = {{0, 0, 17}, {1, 0, 19}, {1, 40, 3}, {2, 1LL << 40, 1}};
  EXPECT_EQ(decode_segments(encode_segments(segs), "x"), segs);
  EXPECT_THROW(decode_segments("12345", "x"), StoreError);
}

TEST(RoutingStats, CountsPairsWithinSegmentsOnly) {
  // Two segments: tokens 0-2 and 3-4. Top-2 of 4 experts.
  LayerRouting r{1, 2, 4, {0, 1, /**/ 0, 2, /**/ 3, 1, /**/ 3, 2, /**/ 3, 0},
                 {0.75f, 0.25f, 0.5f, 0.5f, 0.625f, 0.375f, 1.0f, 0.0f, 0.875f, 0.125f}};
  RoutingStats s = routing_stats(r, {{0, 0, 3}, {1, 0, 2}});
  EXPECT_EQ(s.tokens, 5);
  EXPECT_EQ(s.pairs, 3);       // (0,1) (1,2) in the first segment, (3,4) in the second
  EXPECT_EQ(s.same_first, 2);  // 0->0, 3->3
  EXPECT_EQ(s.same_topk, 2);   // {0,1}&{0,2}; {0,2}&{3,1}: no; {3,2}&{3,0}
  EXPECT_EQ(s.first, (std::vector<int64_t>{2, 0, 0, 3}));
  EXPECT_EQ(s.assigned, (std::vector<int64_t>{3, 2, 2, 3}));
  EXPECT_DOUBLE_EQ(s.mass[0], 0.75 + 0.5 + 0.125);
  EXPECT_DOUBLE_EQ(s.mass[3], 0.625 + 1.0 + 0.875);
  RoutingStats twice = s;
  twice.add(s);
  EXPECT_EQ(twice.pairs, 6);
  EXPECT_EQ(twice.first[3], 6);
  RoutingStats other = s;
  other.layer = 2;
  EXPECT_THROW(twice.add(other), std::invalid_argument);
}

TEST(RoutingStats, EntropyInBits) {
  EXPECT_DOUBLE_EQ(entropy_bits({1, 1, 1, 1}), 2.0);
  EXPECT_DOUBLE_EQ(entropy_bits({5, 0, 0, 0}), 0.0);
  EXPECT_DOUBLE_EQ(entropy_bits({0, 0}), 0.0);
  EXPECT_NEAR(entropy_bits({3, 1}), 0.811278, 1e-6);
}

}  // namespace
}  // namespace moebench::store
