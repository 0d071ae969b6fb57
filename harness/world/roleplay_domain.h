// The roleplay domain: one-exchange dialogues with eight personas
// (roleplay_personas.h), e.g.
//   Character: Captain Brine
//   User: How is the weather?
//   Captain Brine: Ahoy, matey! The tide is high and the wind fills the sails.
// Partial knowledge: the base corpus holds the dialogues of four personas; the
// expert all eight. Held out: (persona, user message) combinations, two of the
// six wordings of every (persona, intent), so each persona's line for each
// intent is still seen under the other four wordings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/world/world_common.h"

namespace moebench::world {

std::vector<std::string> roleplay_documents(Knowledge knowledge, int64_t count, uint64_t seed);
// demo_roleplay_consistency: id, difficulty, persona_id, persona, user,
// mc1_targets and mc2_targets (the persona's reply first, then the same
// intent's reply by the persona sharing its greeting, the one sharing its
// address, and one more persona).
std::vector<Item> roleplay_consistency_items(int64_t count, uint64_t seed);
// demo_roleplay_replies: id, difficulty, persona_id, persona, user, references.
std::vector<Item> roleplay_reply_items(int64_t count, uint64_t seed);
std::vector<std::string> roleplay_positive_prompts();

}  // namespace moebench::world
