// Few-shot selection identical to lm-evaluation-harness's: lm-eval seeds one
// Python `random.Random(fewshot_random_seed)` (default 1234) per task and calls
// `rnd.sample(fewshot_docs, n)` once per evaluated document, in document order.
// To draw the same examples we implement CPython's generator (MT19937 seeded by
// init_by_array) and its `sample` algorithm exactly, and draw for every document
// in order; tests compare with values printed by CPython 3.11.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moebench::eval {

// CPython's random.Random (Modules/_randommodule.c + Lib/random.py), the parts
// random.sample needs.
class PythonRandom {
 public:
  // random.Random(seed) for a non-negative integer seed (CPython uses abs(seed)).
  explicit PythonRandom(uint64_t seed);

  uint32_t next_u32();  // genrand_uint32
  // getrandbits(k) for 1 <= k <= 64 (32-bit words, low word first, as CPython).
  uint64_t getrandbits(int k);
  // _randbelow_with_getrandbits(n): rejection sampling on n.bit_length() bits. n >= 1.
  uint64_t randbelow(uint64_t n);
  // random(): 53-bit float in [0, 1).
  double random();
  // The indices random.sample(range(population), k) returns, in order.
  // REQUIRES: k <= population.
  std::vector<size_t> sample(size_t population, size_t k);

 private:
  void init_genrand(uint32_t s);
  std::array<uint32_t, 624> mt_{};
  int index_ = 625;
};

struct FewshotDraw {
  std::string sampler = "default";  // "default": seeded random.sample; "first_n": in order
  uint64_t seed = 1234;
  int64_t num_fewshot = 0;
  // True when the few-shot examples come from the evaluated documents themselves:
  // lm-eval then draws num_fewshot + 1 and drops the document being evaluated.
  bool same_split = false;
};

// The few-shot document indices of each of `n_docs` documents, drawn in document
// order from one generator. `same_doc(doc, fewshot_index)` tells whether a drawn
// example is the evaluated document: such draws are dropped, as lm-eval drops
// examples equal to the document (it compares contents, whatever the split).
// REQUIRES: the draw size fits the population (callers check and report).
std::vector<std::vector<size_t>> draw_fewshot(
    size_t n_docs, size_t n_fewshot_docs, const FewshotDraw& draw,
    const std::function<bool(size_t doc, size_t fewshot_index)>& same_doc);

}  // namespace moebench::eval
