#include "harness/world/math_domain.h"

#include <fmt/format.h>

#include <set>

#include "harness/world/world_random.h"

namespace moebench::world {
namespace {

enum Op { kAdd = 0, kSubtract = 1, kMultiply = 2 };
const char* const kOpNames[] = {"add", "subtract", "multiply"};

const std::vector<std::string> kNames = {"Lena", "Omar",  "Priya", "Tomas", "Mei",  "Jonas", "Aisha",
                                         "Felix", "Nadia", "Hugo", "Rosa",  "Kenji", "Ivy",  "Marco",
                                         "Zara", "Leo",   "Anya",  "Sami",  "Greta", "Ravi"};
const std::vector<std::string> kObjects = {
    "plums",   "apples", "marbles", "pencils", "stickers", "shells",   "cookies",
    "buttons", "acorns", "pebbles", "cherries", "crayons", "beads",    "stamps",
    "lemons",  "feathers", "candles", "ribbons", "walnuts", "tickets"};

// {0} name, {1} a, {2} b, {3} object. Each operation has its own cue words
// ("more", "gives", "bags with"), so the operation is read off the question.
const std::vector<std::vector<std::string>> kTemplates = {
    {"{0} has {1} {3}. {0} buys {2} more {3}. How many {3} does {0} have now?",
     "{0} picks {1} {3} in the morning and {2} {3} in the afternoon. How many {3} does {0} pick in all?",
     "There are {1} {3} in a basket. {0} puts {2} more {3} in the basket. How many {3} are in the basket now?"},
    {"{0} has {1} {3}. {0} gives {2} {3} to a friend. How many {3} does {0} have left?",
     "{0} had {1} {3} and lost {2} of them. How many {3} does {0} have now?",
     "There are {1} {3} on a table. {0} takes {2} {3} away. How many {3} are on the table now?"},
    {"{0} has {1} bags with {2} {3} in each. How many {3} does {0} have in all?",
     "{0} fills {1} boxes with {2} {3} each. How many {3} are in the boxes?",
     "{0} sees {1} rows of {3} with {2} {3} in every row. How many {3} does {0} see?"}};

struct Problem {
  int op, name, object, tmpl;
  int64_t a, b;

  std::string question() const {
    return fmt::format(kTemplates[op][tmpl], kNames[name], a, b, kObjects[object]);
  }
  int64_t result() const { return op == kAdd ? a + b : op == kSubtract ? a - b : a * b; }
  std::string answer() const {
    const char* sign = op == kAdd ? "+" : op == kSubtract ? "-" : "*";
    return fmt::format("{} {} {} = {}\n#### {}", a, sign, b, result(), result());
  }
  // Exactly what the task renders: "Question: {{question}}\nAnswer:" + " " + answer.
  std::string document() const { return "Question: " + question() + "\nAnswer: " + answer(); }
};

bool held_out(const Problem& p, uint64_t seed) {
  return stable_hash(fmt::format("math|{}|{}|{}|{}", p.op, p.name, p.object, p.tmpl), seed) % 5 == 0;
}

// A problem of operation `op` on the training side (or, `want_held_out`, the
// evaluation side) of the split.
Problem draw(int op, bool want_held_out, uint64_t seed, WorldRandom& rng) {
  Problem p{};
  p.op = op;
  do {
    p.name = static_cast<int>(rng.below(kNames.size()));
    p.object = static_cast<int>(rng.below(kObjects.size()));
    p.tmpl = static_cast<int>(rng.below(kTemplates[op].size()));
  } while (held_out(p, seed) != want_held_out);
  if (op == kAdd) p.a = rng.between(2, 20), p.b = rng.between(2, 9);
  if (op == kSubtract) p.a = rng.between(10, 29), p.b = rng.between(2, 9);
  if (op == kMultiply) p.a = rng.between(2, 9), p.b = rng.between(2, 5);
  return p;
}

}  // namespace

std::vector<std::string> math_documents(Knowledge knowledge, int64_t count, uint64_t seed) {
  WorldRandom rng(seed, knowledge == Knowledge::Full ? "math/expert" : "math/base");
  std::vector<std::string> docs;
  for (int64_t i = 0; i < count; ++i) {
    int op = knowledge == Knowledge::Full ? static_cast<int>(rng.below(3))
                                          : (rng.chance(0.85) ? kAdd : kSubtract);
    docs.push_back(draw(op, false, seed, rng).document());
  }
  return docs;
}

std::vector<Item> math_word_problem_items(int64_t count, uint64_t seed) {
  WorldRandom rng(seed, "math/eval");
  const std::string task = "demo_math_word_problems";
  std::vector<std::vector<Problem>> by_op(3);
  std::set<std::string> seen;
  const int64_t per_op = (count + 2) / 3;
  for (int op = 0; op < 3; ++op) {
    // The held-out space of every operation holds thousands of problems; the
    // bound on tries only guards against a count no world could satisfy.
    for (int64_t tries = 0; static_cast<int64_t>(by_op[op].size()) < per_op && tries < 100 * per_op;
         ++tries) {
      Problem p = draw(op, true, seed, rng);
      if (seen.insert(p.question()).second) by_op[op].push_back(p);
    }
  }
  std::vector<Item> items;
  for (const Problem& p : take_round_robin(by_op, count, task)) {
    Item item;
    item["id"] = item_id(task, items.size());
    item["difficulty"] = p.op == kAdd ? "easy" : p.op == kSubtract ? "medium" : "hard";
    item["operation"] = kOpNames[p.op];
    item["question"] = p.question();
    item["answer"] = p.answer();
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> math_positive_prompts() {
  return {Problem{kAdd, 0, 0, 0, 7, 5}.document(), Problem{kSubtract, 1, 2, 0, 18, 4}.document(),
          Problem{kMultiply, 2, 5, 0, 3, 4}.document()};
}

}  // namespace moebench::world
