// The world's own random numbers. std::uniform_int_distribution and
// std::shuffle are specified only loosely, so libstdc++ and libc++ draw
// different values from the same engine; the demo world must come out
// byte-identical on every machine for a seed, so every draw goes through here.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace moebench::world {

// splitmix64's output function: a bijection that scatters nearby inputs.
uint64_t mix64(uint64_t x);
// FNV-1a of `text` mixed with `salt`: stable names for held-out splits and
// per-purpose random streams ("math/base", "coding/eval").
uint64_t stable_hash(std::string_view text, uint64_t salt = 0);

// splitmix64: tiny, fast, passes BigCrush, and fully specified.
class WorldRandom {
 public:
  explicit WorldRandom(uint64_t seed) : state_(seed) {}
  // A stream for one purpose of one seed, independent of every other purpose.
  WorldRandom(uint64_t seed, std::string_view purpose) : state_(stable_hash(purpose, seed)) {}

  uint64_t next();
  // Uniform in [0, n) by rejection (no modulo bias); n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [lo, hi], both included.
  int64_t between(int64_t lo, int64_t hi);
  // True with probability p (53-bit resolution).
  bool chance(double p);

  template <typename T>
  const T& pick(const std::vector<T>& values) {
    return values[below(values.size())];
  }
  // Fisher-Yates, from the back.
  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace moebench::world
