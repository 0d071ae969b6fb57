// PythonRandom against values printed by CPython 3.11 (random.Random), so that
// few-shot draws equal lm-eval's for the same seed and few-shot document order.
#include "harness/eval/fewshot_sampler.h"

#include <gtest/gtest.h>

namespace moebench::eval {
namespace {

std::vector<size_t> idx(std::initializer_list<size_t> v) { return v; }

TEST(PythonRandom, GetrandbitsMatchesCPython) {
  // python3 -c 'import random; r=random.Random(1234); print([r.getrandbits(32) for _ in range(3)])'
  PythonRandom r(1234);
  EXPECT_EQ(r.getrandbits(32), 4150886329u);
  EXPECT_EQ(r.getrandbits(32), 3342196574u);
  EXPECT_EQ(r.getrandbits(32), 1892932127u);
  PythonRandom zero(0);
  EXPECT_EQ(zero.getrandbits(32), 3626764237u);
  EXPECT_EQ(zero.getrandbits(32), 1654615998u);
  // A seed wider than 32 bits is split into two key words.
  PythonRandom wide((uint64_t{1} << 40) + 5);
  EXPECT_EQ(wide.getrandbits(32), 2166296868u);
  EXPECT_EQ(wide.getrandbits(32), 2220160828u);
  // More than 32 bits: low word first.
  PythonRandom many(1234);
  EXPECT_EQ(many.getrandbits(64), 14354624986284130233ull);
  EXPECT_EQ(many.getrandbits(40), 126446983711ull);
}

TEST(PythonRandom, RandomAndRandbelowMatchCPython) {
  PythonRandom r(1234);
  EXPECT_DOUBLE_EQ(r.random(), 0.9664535356921388);
  // [r.randrange(1000) for _ in range(5)] with Random(7)
  PythonRandom s(7);
  std::vector<uint64_t> got;
  for (int i = 0; i < 5; ++i) got.push_back(s.randbelow(1000));
  EXPECT_EQ(got, (std::vector<uint64_t>{331, 970, 154, 404, 666}));
}

TEST(PythonRandom, SampleMatchesCPythonInBothBranches) {
  // random.Random(1234).sample(range(10), 3): the pool branch (n <= setsize)
  EXPECT_EQ(PythonRandom(1234).sample(10, 3), idx({7, 1, 0}));
  // The set branch, twice from one generator: GSM8K's 7,473 training examples.
  PythonRandom gsm(1234);
  EXPECT_EQ(gsm.sample(7473, 5), idx({6374, 3610, 957, 61, 742}));
  EXPECT_EQ(gsm.sample(7473, 5), idx({7462, 6610, 4769, 286, 5501}));
  // k > 5 changes setsize (21 + 4**ceil(log4(3k))): Random(42).sample(range(100), 8),
  // then range(50) (pool: 50 <= 85), then range(21) (whole population).
  PythonRandom r(42);
  EXPECT_EQ(r.sample(100, 8), idx({81, 14, 3, 94, 35, 31, 28, 17}));
  EXPECT_EQ(r.sample(50, 8), idx({47, 6, 43, 34, 5, 37, 27, 2}));
  auto all = r.sample(21, 21);
  EXPECT_EQ(std::vector<size_t>(all.begin(), all.begin() + 5), idx({0, 2, 6, 7, 16}));
}

TEST(DrawFewshot, OneGeneratorAcrossDocumentsInOrder) {
  FewshotDraw draw;
  draw.num_fewshot = 5;
  auto never = [](size_t, size_t) { return false; };
  auto shots = draw_fewshot(2, 7473, draw, never);
  EXPECT_EQ(shots[0], idx({6374, 3610, 957, 61, 742}));
  EXPECT_EQ(shots[1], idx({7462, 6610, 4769, 286, 5501}));
}

TEST(DrawFewshot, SameSplitDrawsOneMoreAndDropsTheDocument) {
  FewshotDraw draw;
  draw.num_fewshot = 2;
  draw.same_split = true;
  // Random(1234).sample(range(10), 3) = [7, 1, 0]: document 1 drops itself.
  auto shots = draw_fewshot(2, 10, draw, [](size_t doc, size_t shot) { return doc == shot; });
  EXPECT_EQ(shots[0], idx({7, 1}));
  EXPECT_EQ(shots[1].size(), 2u);
  for (size_t s : shots[1]) EXPECT_NE(s, 1u);
}

TEST(DrawFewshot, FirstNTakesTheFirstInOrder) {
  FewshotDraw draw;
  draw.num_fewshot = 3;
  draw.sampler = "first_n";
  auto shots = draw_fewshot(3, 5, draw, [](size_t, size_t) { return false; });
  for (const auto& s : shots) EXPECT_EQ(s, idx({0, 1, 2}));
}

}  // namespace
}  // namespace moebench::eval
