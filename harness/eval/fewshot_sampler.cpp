#include "harness/eval/fewshot_sampler.h"

#include <cmath>
#include <unordered_set>

namespace moebench::eval {
namespace {
constexpr int kN = 624, kM = 397;
constexpr uint32_t kUpper = 0x80000000U, kLower = 0x7fffffffU, kMatrixA = 0x9908b0dfU;

int bit_length(uint64_t n) { return n == 0 ? 0 : 64 - __builtin_clzll(n); }
}  // namespace

void PythonRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  index_ = kN;
}

PythonRandom::PythonRandom(uint64_t seed) {
  // random_seed(): the absolute value split into 32-bit words, least significant
  // first; zero is one word.
  std::vector<uint32_t> key;
  do {
    key.push_back(static_cast<uint32_t>(seed & 0xffffffffU));
    seed >>= 32;
  } while (seed != 0);
  // init_by_array()
  init_genrand(19650218U);
  size_t i = 1, j = 0;
  for (size_t k = std::max<size_t>(kN, key.size()); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key.size()) j = 0;
  }
  for (size_t k = kN - 1; k; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;
}

uint32_t PythonRandom::next_u32() {
  if (index_ >= kN) {
    auto twist = [&](int a, int b, int c) {
      uint32_t y = (mt_[a] & kUpper) | (mt_[b] & kLower);
      mt_[a] = mt_[c] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    };
    int k = 0;
    for (; k < kN - kM; ++k) twist(k, k + 1, k + kM);
    for (; k < kN - 1; ++k) twist(k, k + 1, k + kM - kN);
    twist(kN - 1, 0, kM - 1);
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

uint64_t PythonRandom::getrandbits(int k) {
  if (k <= 32) return next_u32() >> (32 - k);
  const uint64_t low = next_u32();
  const uint64_t high = next_u32() >> (64 - k);
  return low | (high << 32);
}

uint64_t PythonRandom::randbelow(uint64_t n) {
  const int k = bit_length(n);  // CPython uses n, not n - 1: one wasted bit for powers of 2
  uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

double PythonRandom::random() {
  const uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

std::vector<size_t> PythonRandom::sample(size_t n, size_t k) {
  std::vector<size_t> result(k);
  // Lib/random.py: a pool list when it is smaller than a set of k entries would be.
  size_t setsize = 21;
  if (k > 5) {
    setsize += static_cast<size_t>(
        std::pow(4.0, std::ceil(std::log(static_cast<double>(k) * 3) / std::log(4.0))));
  }
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      const size_t j = randbelow(n - i);
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<size_t> selected;
    for (size_t i = 0; i < k; ++i) {
      size_t j = randbelow(n);
      while (selected.count(j)) j = randbelow(n);
      selected.insert(j);
      result[i] = j;
    }
  }
  return result;
}

std::vector<std::vector<size_t>> draw_fewshot(size_t n_docs, size_t n_fewshot_docs,
                                              const FewshotDraw& draw,
                                              const std::function<bool(size_t, size_t)>& same_doc) {
  std::vector<std::vector<size_t>> out(n_docs);
  if (draw.num_fewshot <= 0) return out;
  const size_t want = static_cast<size_t>(draw.num_fewshot);
  const size_t n_draw = draw.same_split ? want + 1 : want;
  PythonRandom rnd(draw.seed);
  for (size_t doc = 0; doc < n_docs; ++doc) {
    std::vector<size_t> drawn;
    if (draw.sampler == "first_n") {
      for (size_t i = 0; i < n_draw && i < n_fewshot_docs; ++i) drawn.push_back(i);
    } else {
      drawn = rnd.sample(n_fewshot_docs, n_draw);
    }
    for (size_t idx : drawn) {
      if (out[doc].size() < want && !same_doc(doc, idx)) {
        out[doc].push_back(idx);
      }
    }
  }
  return out;
}

}  // namespace moebench::eval
