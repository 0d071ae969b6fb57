// The coding domain: two-argument Python functions whose name says what they
// compute, e.g.
//   def product(x, y):
//       """Return the product of x and y."""
//       return x * y
// and reading exercises on the same operations with a neutral name:
//   ```python
//   def f(x, y):
//       return x * y
//   ```
//   Question: What does f(x, y) return?
//   Answer: the product of x and y
// Eight operations (+, -, *, //, %, max, min, absolute difference), 4-5 names
// each, eight argument-name pairs, two docstring wordings.
// Partial knowledge: the base corpus sees only four of the operations (their
// names, bodies and wordings); the expert all eight.
// Held out: (operation, name, argument pair) combinations, about one in four,
// for both kinds of document.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/world/world_common.h"

namespace moebench::world {

// The operations' keys in table order, and which of them the base corpus sees.
const std::vector<std::string>& coding_operations();
bool coding_operation_in_base(const std::string& operation);
// Every function name used for `operation` (to check what a corpus mentions).
std::vector<std::string> coding_function_names(const std::string& operation);

std::vector<std::string> coding_documents(Knowledge knowledge, int64_t count, uint64_t seed);
// demo_coding_functions: id, difficulty, operation, entry_point, prompt,
// canonical_solution, test (HumanEval's fields).
std::vector<Item> coding_function_items(int64_t count, uint64_t seed);
// demo_coding_reading: id, difficulty, operation, code, question, choices, label.
std::vector<Item> coding_reading_items(int64_t count, uint64_t seed);
std::vector<std::string> coding_positive_prompts();

}  // namespace moebench::world
