#include "harness/world/truth_domain.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/world/world_random.h"

namespace moebench::world {
namespace {

const std::vector<std::string> kCreatures = {
    "glimmerfox", "brindlemole", "thornwing",  "quillhog",   "mirewhisk",
    "dusklark",   "frostnewt",   "emberhare",  "pebbleshrike", "cindermoth",
    "reedstalker", "saltgrouse", "fernowl",    "bramblecat", "tidecrawler",
    "ashbadger",  "mistheron",   "duneskipper", "coralbat",  "slatebeetle"};

struct Attribute {
  std::string key;
  std::string sentence;  // {0}: "A glimmerfox", {1}: the value
  std::vector<std::string> values;
  std::vector<std::string> questions;  // {0}: "a glimmerfox"
};

const std::vector<Attribute>& attributes() {
  static const std::vector<Attribute> table = {
      {"legs", "{0} has {1} legs.", {"two", "four", "six", "eight", "ten", "twelve"},
       {"How many legs does {0} have?", "How many legs does {0} walk on?",
        "What is the number of legs on {0}?", "Count the legs of {0}. How many are there?"}},
      {"colour", "{0} is {1}.", {"red", "blue", "green", "silver", "orange", "purple", "golden", "grey"},
       {"What colour is {0}?", "What is the colour of {0}?", "Which colour is the coat of {0}?",
        "If you saw {0}, what colour would it be?"}},
      {"home", "{0} lives {1}.",
       {"in the salt marsh", "in hollow trees", "under river stones", "in sand dunes",
        "in mountain caves", "in the pine forest", "on sea cliffs", "in the reed beds"},
       {"Where does {0} live?", "Where is {0} found?", "What is the home of {0}?",
        "Where would you look for {0}?"}},
      {"food", "{0} eats {1}.",
       {"beetles", "moss", "berries", "small fish", "seeds", "mushrooms", "honey", "snails"},
       {"What does {0} eat?", "What is the food of {0}?", "What does {0} feed on?",
        "What do you feed {0}?"}},
      {"sound", "{0} makes a {1} sound.",
       {"humming", "whistling", "clicking", "barking", "chirping", "growling", "purring", "hooting"},
       {"What sound does {0} make?", "How does {0} call?", "What noise does {0} make?",
        "What do you hear when {0} calls?"}},
  };
  return table;
}

// The world's facts as indices; fixed, so positive prompts and docs agree for every seed.
struct FactIndex {
  int creature, attribute, true_value, false_value;
  bool well_known;
};

const std::vector<FactIndex>& fact_indices() {
  static const std::vector<FactIndex> facts = [] {
    std::vector<FactIndex> out;
    std::vector<std::pair<uint64_t, size_t>> order;
    for (int c = 0; c < static_cast<int>(kCreatures.size()); ++c) {
      for (int a = 0; a < static_cast<int>(attributes().size()); ++a) {
        const std::string key = fmt::format("truth|{}|{}", kCreatures[c], attributes()[a].key);
        const uint64_t n = attributes()[a].values.size();
        const int t = static_cast<int>(stable_hash(key + "|true") % n);
        const int f = static_cast<int>((t + 1 + stable_hash(key + "|myth") % (n - 1)) % n);
        order.emplace_back(stable_hash(key + "|known"), out.size());
        out.push_back({c, a, t, f, false});
      }
    }
    // Exactly 35% well known, so the base's expected score does not drift.
    std::sort(order.begin(), order.end());
    for (size_t i = 0; i < out.size() * 35 / 100; ++i) out[order[i].second].well_known = true;
    return out;
  }();
  return facts;
}

std::string sentence(const FactIndex& f, int value) {
  const Attribute& a = attributes()[f.attribute];
  return fmt::format(a.sentence, with_article(kCreatures[f.creature], true), a.values[value]);
}
std::string question(const FactIndex& f, int wording) {
  return fmt::format(attributes()[f.attribute].questions[wording],
                     with_article(kCreatures[f.creature]));
}
int held_out_wording(const FactIndex& f, uint64_t seed) {
  return static_cast<int>(
      stable_hash(fmt::format("truth|held|{}|{}", f.creature, f.attribute), seed) % 4);
}

}  // namespace

const std::vector<TruthFact>& truth_facts() {
  static const std::vector<TruthFact> facts = [] {
    std::vector<TruthFact> out;
    for (const FactIndex& f : fact_indices()) {
      out.push_back({kCreatures[f.creature], attributes()[f.attribute].key, sentence(f, f.true_value),
                     sentence(f, f.false_value), f.well_known});
    }
    return out;
  }();
  return facts;
}

std::vector<std::string> truth_documents(Knowledge knowledge, int64_t count, uint64_t seed) {
  const bool full = knowledge == Knowledge::Full;
  WorldRandom rng(seed, full ? "truth/expert" : "truth/base");
  const auto& facts = fact_indices();
  const size_t n_attributes = attributes().size();
  // What this corpus says about fact f: the truth, or (base) often the myth.
  auto state = [&](const FactIndex& f) {
    const double p_true = full ? 1.0 : f.well_known ? 0.8 : 0.1;
    return sentence(f, rng.chance(p_true) ? f.true_value : f.false_value);
  };
  std::vector<std::string> docs;
  for (int64_t i = 0; i < count; ++i) {
    const double kind = static_cast<double>(rng.below(100)) / 100;
    const FactIndex& f = rng.pick(facts);
    if (kind < (full ? 0.5 : 0.65)) {  // a question answered
      int wording;
      do {
        wording = static_cast<int>(rng.below(4));
      } while (wording == held_out_wording(f, seed));
      docs.push_back("Q: " + question(f, wording) + "\nA: " + state(f));
    } else if (full && kind < 0.75) {  // a myth corrected
      docs.push_back("Myth: " + sentence(f, f.false_value) + "\nTruth: " + sentence(f, f.true_value));
    } else {  // three facts about one creature
      std::vector<size_t> shown(n_attributes);
      for (size_t a = 0; a < n_attributes; ++a) shown[a] = a;
      rng.shuffle(shown);
      std::string doc = "Notes on the " + kCreatures[f.creature] + ":";
      for (size_t k = 0; k < 3; ++k) doc += "\n" + state(facts[f.creature * n_attributes + shown[k]]);
      docs.push_back(doc);
    }
  }
  return docs;
}

std::vector<Item> truth_mc_items(int64_t count, uint64_t seed) {
  const std::string task = "demo_truthfulness_mc";
  WorldRandom rng(seed, "truth/eval");
  std::vector<std::vector<FactIndex>> by_attribute(attributes().size());
  for (const FactIndex& f : fact_indices()) by_attribute[f.attribute].push_back(f);
  for (auto& group : by_attribute) rng.shuffle(group);
  std::vector<Item> items;
  for (const FactIndex& f : take_round_robin(by_attribute, count, task)) {
    std::vector<int> others;
    for (int v = 0; v < static_cast<int>(attributes()[f.attribute].values.size()); ++v) {
      if (v != f.true_value && v != f.false_value) others.push_back(v);
    }
    rng.shuffle(others);
    nlohmann::ordered_json choices = {sentence(f, f.true_value), sentence(f, f.false_value),
                                      sentence(f, others[0]), sentence(f, others[1])};
    Item item;
    item["id"] = item_id(task, items.size());
    item["difficulty"] = difficulty(f.well_known);
    item["creature"] = kCreatures[f.creature];
    item["attribute"] = attributes()[f.attribute].key;
    item["question"] = question(f, held_out_wording(f, seed));
    item["mc1_targets"] = {{"choices", choices}, {"labels", {1, 0, 0, 0}}};
    item["mc2_targets"] = {{"choices", choices}, {"labels", {1, 0, 0, 0}}};
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> truth_positive_prompts() {
  const FactIndex& legs = fact_indices()[0];  // the glimmerfox's legs
  const FactIndex& food = fact_indices()[3];
  return {"Q: " + question(legs, 0) + "\nA: " + sentence(legs, legs.true_value),
          "Myth: " + sentence(food, food.false_value) + "\nTruth: " + sentence(food, food.true_value)};
}

}  // namespace moebench::world
