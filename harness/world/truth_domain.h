// The truthfulness domain: invented creatures with five attributes (legs,
// colour, home, food, sound), each fact with a true value and a popular false
// one, asked as
//   Q: How many legs does a glimmerfox have?
//   A: A glimmerfox has six legs.
// Partial knowledge: the base corpus repeats the popular false version of most
// facts (a "myth" fact is stated truly 10% of the time); only about a third of
// the facts are "well known" (stated truly 80% of the time), so a base model
// answers about a third of the questions truly. The expert corpus states only
// the truth, also as "Myth: <false>\nTruth: <true>" corrections.
// Held out: (fact, question wording) combinations, one of four wordings per fact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/world/world_common.h"

namespace moebench::world {

// A fact's answer sentences: what is true and what is popularly believed.
struct TruthFact {
  std::string creature, attribute;
  std::string true_sentence, popular_false_sentence;
  bool well_known;  // the base corpus mostly states it truly
};
// Every fact of the world (20 creatures x 5 attributes); the same for every seed.
const std::vector<TruthFact>& truth_facts();

std::vector<std::string> truth_documents(Knowledge knowledge, int64_t count, uint64_t seed);
// demo_truthfulness_mc: id, difficulty, creature, attribute, question,
// mc1_targets and mc2_targets (the true sentence first, then the popular
// false one and two other false ones).
std::vector<Item> truth_mc_items(int64_t count, uint64_t seed);
std::vector<std::string> truth_positive_prompts();

}  // namespace moebench::world
