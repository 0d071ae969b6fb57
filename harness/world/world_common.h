// What the four domain generators share: the two kinds of knowledge a corpus
// holds, the shape of an evaluation item, and how items are drawn from a pool
// of held-out combinations.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace moebench::world {

// Partial: what the base corpus knows of a domain (some operations, personas
// or facts missing or mostly wrong). Full: what the domain's expert corpus knows.
// The gap between the two is what an expert must win back on its suite.
enum class Knowledge { Partial, Full };

// One JSONL line of a task; ordered so "id" comes first in the file.
using Item = nlohmann::ordered_json;

// "demo_math_word_problems_007": ids are unique across tasks/ and stable for a seed.
std::string item_id(const std::string& task, size_t index);

// Items whose answer the base corpus holds are "easy", those only an expert
// corpus holds are "hard" (math's subtraction, seen rarely by the base, "medium"):
// the difficulty breakdown of a report then shows where the expert's gain lies.
inline const char* difficulty(bool base_knows) { return base_knows ? "easy" : "hard"; }

// "a glimmerfox" / "an emberhare"; `capital` for the start of a sentence.
std::string with_article(const std::string& noun, bool capital = false);

// `count` entries taken round-robin from `groups` (each already in draw order),
// so that every group (operation, persona, attribute) is evaluated about equally.
// InputError naming `task` when the groups hold fewer than `count` in all.
template <typename T>
std::vector<T> take_round_robin(const std::vector<std::vector<T>>& groups, int64_t count,
                                const std::string& task);

void fail_small_pool(const std::string& task, size_t pool, int64_t count);

template <typename T>
std::vector<T> take_round_robin(const std::vector<std::vector<T>>& groups, int64_t count,
                                const std::string& task) {
  size_t pool = 0;
  for (const auto& g : groups) pool += g.size();
  if (count < 0 || static_cast<size_t>(count) > pool) fail_small_pool(task, pool, count);
  std::vector<T> out;
  for (size_t round = 0; static_cast<int64_t>(out.size()) < count; ++round) {
    for (const auto& g : groups) {
      if (round < g.size() && static_cast<int64_t>(out.size()) < count) out.push_back(g[round]);
    }
  }
  return out;
}

}  // namespace moebench::world
