// The math domain: one-step word problems in GSM8K's "#### N" form, e.g.
//   Question: Lena has 7 plums. Lena buys 5 more plums. How many plums does Lena have now?
//   Answer: 7 + 5 = 12
//   #### 12
// Three operations (add a 2..20 + b 2..9, subtract a 10..29 - b 2..9, multiply
// "a bags with b plums in each", a 2..9, b 2..5), three templates each.
// Partial knowledge: the base sees 85% addition, 15% subtraction, never a
// multiplication; the expert all three evenly; evaluation is even over them.
// Held out: (name, object, template) triples, about one in five, chosen by a
// hash of the seed; they occur only in evaluation items.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/world/world_common.h"

namespace moebench::world {

// `count` training documents (prompt + answer exactly as an item renders them).
std::vector<std::string> math_documents(Knowledge knowledge, int64_t count, uint64_t seed);
// Items of demo_math_word_problems: id, difficulty, operation, question, answer.
std::vector<Item> math_word_problem_items(int64_t count, uint64_t seed);
// Example documents for the math expert's positive prompts.
std::vector<std::string> math_positive_prompts();

}  // namespace moebench::world
