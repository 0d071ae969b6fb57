#include "harness/world/coding_domain.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "harness/util/error.h"
#include "harness/world/world_random.h"

namespace moebench::world {
namespace {

// Patterns take {0} and {1}, the two argument names.
struct CodingOp {
  std::string key;
  std::vector<std::string> names;  // the function names that imply the operation
  std::string body;                // the returned expression
  std::string phrase;              // what it returns, in words (the reading answer)
  std::string verb_docstring;      // the second docstring wording
  bool in_base;
};

const std::vector<CodingOp>& ops() {
  static const std::vector<CodingOp> table = {
      {"add", {"add", "plus", "sum_of", "add_up", "total_of"}, "{0} + {1}", "the sum of {0} and {1}",
       "Add {0} and {1} and return the result.", true},
      {"subtract", {"subtract", "minus", "take_away", "reduce_by"}, "{0} - {1}",
       "the value of {0} minus {1}", "Subtract {1} from {0} and return the result.", true},
      {"multiply", {"multiply", "product", "times_of", "mul"}, "{0} * {1}",
       "the product of {0} and {1}", "Multiply {0} by {1} and return the result.", false},
      {"floor_divide", {"divide", "quotient", "floor_div", "split_evenly"}, "{0} // {1}",
       "the whole quotient of {0} divided by {1}", "Divide {0} by {1}, rounding down, and return it.",
       false},
      {"remainder", {"remainder", "modulo", "mod_of", "leftover"}, "{0} % {1}",
       "the remainder of {0} divided by {1}", "Return what is left over when {0} is divided by {1}.",
       false},
      {"maximum", {"maximum", "larger", "max_of", "bigger"}, "max({0}, {1})",
       "the larger of {0} and {1}", "Compare {0} and {1} and return the larger one.", true},
      {"minimum", {"minimum", "smaller", "min_of", "lesser"}, "min({0}, {1})",
       "the smaller of {0} and {1}", "Compare {0} and {1} and return the smaller one.", true},
      {"distance", {"distance", "abs_diff", "gap_between", "spread"}, "abs({0} - {1})",
       "the distance between {0} and {1}", "Return how far apart {0} and {1} are.", false},
  };
  return table;
}

const std::vector<std::pair<std::string, std::string>> kArgs = {
    {"a", "b"}, {"x", "y"}, {"m", "n"}, {"p", "q"}, {"u", "v"},
    {"left", "right"}, {"first", "second"}, {"lhs", "rhs"}};
// Reading exercises use names that say nothing, so the body must be read.
const std::vector<std::string> kNeutralNames = {"f", "g", "h", "calc", "compute", "combine",
                                                "mystery", "work_out"};

int64_t apply(const std::string& key, int64_t a, int64_t b) {
  if (key == "add") return a + b;
  if (key == "subtract") return a - b;
  if (key == "multiply") return a * b;
  if (key == "floor_divide") return a / b;  // only positive arguments are drawn
  if (key == "remainder") return a % b;
  if (key == "maximum") return std::max(a, b);
  if (key == "minimum") return std::min(a, b);
  return a > b ? a - b : b - a;
}

struct Function {
  int op, name, args, docstring;  // name: in ops()[op].names, or kNeutralNames for reading
  const CodingOp& o() const { return ops()[op]; }
  std::string fmt2(const std::string& pattern) const {
    return fmt::format(pattern, kArgs[args].first, kArgs[args].second);
  }
  std::string body() const { return "    return " + fmt2(o().body) + "\n"; }
  std::string signature(const std::string& fn) const {
    return fmt::format("def {}({}, {}):\n", fn, kArgs[args].first, kArgs[args].second);
  }
  // Signature and docstring, without HumanEval's final line break: the
  // completion starts with it. A completion that started with the body's
  // indentation would lose its first space when decoded (SentencePiece drops
  // the leading space of a decoded continuation, as Hugging Face's Llama
  // tokenizer does), and the program would not parse.
  std::string prompt() const {
    std::string doc = docstring == 0 ? "Return " + fmt2(o().phrase) + "." : fmt2(o().verb_docstring);
    return signature(o().names[name]) + "    \"\"\"" + doc + "\"\"\"";
  }
  std::string completion() const { return "\n" + body(); }
  std::string code() const {  // reading: without the final newline, as the fence wants
    std::string text = signature(kNeutralNames[name]) + body();
    text.pop_back();
    return text;
  }
  std::string question() const {
    return fmt::format("What does {}({}, {}) return?", kNeutralNames[name], kArgs[args].first,
                       kArgs[args].second);
  }
  std::string reading_text() const {
    return "```python\n" + code() + "\n```\nQuestion: " + question() + "\nAnswer:";
  }
  // Training documents: a reading question with its answer, or a whole function.
  std::string reading_document() const { return reading_text() + " " + fmt2(o().phrase); }
  std::string function_document() const { return prompt() + completion(); }
};

bool held_out(const Function& f, bool reading, uint64_t seed) {
  return stable_hash(fmt::format("coding|{}|{}|{}|{}", reading, f.op, f.name, f.args), seed) % 4 == 0;
}

Function draw(int op, bool reading, bool want_held_out, uint64_t seed, WorldRandom& rng) {
  Function f{op, 0, 0, 0};
  const size_t names = reading ? kNeutralNames.size() : ops()[op].names.size();
  do {
    f.name = static_cast<int>(rng.below(names));
    f.args = static_cast<int>(rng.below(kArgs.size()));
  } while (held_out(f, reading, seed) != want_held_out);
  f.docstring = static_cast<int>(rng.below(2));
  return f;
}

std::string check_function(const Function& f, WorldRandom& rng) {
  std::string test = "def check(candidate):\n";
  for (int i = 0; i < 4; ++i) {
    int64_t a = rng.between(2, 30), b = rng.between(2, 12);
    if (a == b) ++a;
    if ((i == 2) != (a < b)) std::swap(a, b);  // one call with the smaller number first
    test += fmt::format("    assert candidate({}, {}) == {}\n", a, b, apply(f.o().key, a, b));
  }
  return test;
}

std::vector<int> ops_for(Knowledge knowledge) {
  std::vector<int> out;
  for (size_t i = 0; i < ops().size(); ++i) {
    if (knowledge == Knowledge::Full || ops()[i].in_base) out.push_back(static_cast<int>(i));
  }
  return out;
}

// Candidates per operation, `want` each, in draw order.
std::vector<std::vector<Function>> held_out_pool(bool reading, size_t want, uint64_t seed,
                                                 WorldRandom& rng) {
  std::vector<std::vector<Function>> by_op(ops().size());
  for (size_t op = 0; op < ops().size(); ++op) {
    std::vector<Function> all;
    const size_t names = reading ? kNeutralNames.size() : ops()[op].names.size();
    for (int n = 0; n < static_cast<int>(names); ++n) {
      for (int a = 0; a < static_cast<int>(kArgs.size()); ++a) {
        for (int d = 0; d < (reading ? 1 : 2); ++d) {
          Function f{static_cast<int>(op), n, a, d};
          if (held_out(f, reading, seed)) all.push_back(f);
        }
      }
    }
    rng.shuffle(all);
    if (all.size() > want) all.resize(want);
    by_op[op] = std::move(all);
  }
  return by_op;
}

}  // namespace

const std::vector<std::string>& coding_operations() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& o : ops()) k.push_back(o.key);
    return k;
  }();
  return keys;
}

bool coding_operation_in_base(const std::string& operation) {
  for (const auto& o : ops()) {
    if (o.key == operation) return o.in_base;
  }
  fail_input("coding domain", "unknown operation '{}'", operation);
}

std::vector<std::string> coding_function_names(const std::string& operation) {
  for (const auto& o : ops()) {
    if (o.key == operation) return o.names;
  }
  fail_input("coding domain", "unknown operation '{}'", operation);
}

std::vector<std::string> coding_documents(Knowledge knowledge, int64_t count, uint64_t seed) {
  WorldRandom rng(seed, knowledge == Knowledge::Full ? "coding/expert" : "coding/base");
  const std::vector<int> known = ops_for(knowledge);
  std::vector<std::string> docs;
  for (int64_t i = 0; i < count; ++i) {
    const int op = rng.pick(known);
    const bool reading = rng.chance(0.4);
    Function f = draw(op, reading, false, seed, rng);
    docs.push_back(reading ? f.reading_document() : f.function_document());
  }
  return docs;
}

std::vector<Item> coding_function_items(int64_t count, uint64_t seed) {
  const std::string task = "demo_coding_functions";
  WorldRandom rng(seed, "coding/eval/functions");
  std::vector<Item> items;
  for (const Function& f : take_round_robin(held_out_pool(false, count, seed, rng), count, task)) {
    Item item;
    item["id"] = item_id(task, items.size());
    item["difficulty"] = difficulty(f.o().in_base);
    item["operation"] = f.o().key;
    item["entry_point"] = f.o().names[f.name];
    item["prompt"] = f.prompt();
    item["canonical_solution"] = f.completion();
    item["test"] = check_function(f, rng);
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<Item> coding_reading_items(int64_t count, uint64_t seed) {
  const std::string task = "demo_coding_reading";
  WorldRandom rng(seed, "coding/eval/reading");
  std::vector<Item> items;
  for (const Function& f : take_round_robin(held_out_pool(true, count, seed, rng), count, task)) {
    // The gold and three other operations' phrases, in a drawn order.
    std::vector<int> others;
    for (int op = 0; op < static_cast<int>(ops().size()); ++op) {
      if (op != f.op) others.push_back(op);
    }
    rng.shuffle(others);
    std::vector<int> shown = {f.op, others[0], others[1], others[2]};
    rng.shuffle(shown);
    Item item;
    item["id"] = item_id(task, items.size());
    item["difficulty"] = difficulty(f.o().in_base);
    item["operation"] = f.o().key;
    item["code"] = f.code();
    item["question"] = f.question();
    item["choices"] = nlohmann::ordered_json::array();
    for (int op : shown) item["choices"].push_back(f.fmt2(ops()[op].phrase));
    item["label"] = std::find(shown.begin(), shown.end(), f.op) - shown.begin();
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> coding_positive_prompts() {
  Function product{2, 1, 1, 0}, reading{0, 0, 0, 0};
  return {product.function_document(), reading.reading_document()};
}

}  // namespace moebench::world
