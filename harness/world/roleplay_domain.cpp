#include "harness/world/roleplay_domain.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/world/roleplay_personas.h"
#include "harness/world/world_random.h"

namespace moebench::world {
namespace {

struct Exchange {
  int persona, intent, message;

  const Persona& p() const { return roleplay_personas()[persona]; }
  const std::string& user() const { return roleplay_intents()[intent].messages[message]; }
  // The prompt the tasks render: "Character: {{persona}}\nUser: {{user}}\n{{persona}}:".
  std::string prompt() const { return "Character: " + p().name + "\nUser: " + user() + "\n" + p().name + ":"; }
  std::string reply_by(int who) const {
    const Persona& q = roleplay_personas()[who];
    return q.greeting + ", " + q.address + "! " + q.lines[intent];
  }
  std::string document() const { return prompt() + " " + reply_by(persona); }
};

// The two wordings of each (persona, intent) with the lowest hash are held out.
bool held_out(const Exchange& e, uint64_t seed) {
  auto rank = [&](int m) {
    return stable_hash(fmt::format("roleplay|{}|{}|{}", e.persona, e.intent, m), seed);
  };
  const uint64_t mine = rank(e.message);
  int lower = 0;
  for (int m = 0; m < static_cast<int>(roleplay_intents()[e.intent].messages.size()); ++m) {
    if (rank(m) < mine) ++lower;
  }
  return lower < 2;
}

// Held-out exchanges grouped by persona, each group in a drawn order.
std::vector<std::vector<Exchange>> held_out_pool(uint64_t seed, WorldRandom& rng) {
  std::vector<std::vector<Exchange>> by_persona(roleplay_personas().size());
  for (int p = 0; p < static_cast<int>(by_persona.size()); ++p) {
    for (int i = 0; i < static_cast<int>(roleplay_intents().size()); ++i) {
      for (int m = 0; m < static_cast<int>(roleplay_intents()[i].messages.size()); ++m) {
        if (held_out({p, i, m}, seed)) by_persona[p].push_back({p, i, m});
      }
    }
    rng.shuffle(by_persona[p]);
  }
  return by_persona;
}

Item item_head(const std::string& task, size_t index, const Exchange& e) {
  Item item;
  item["id"] = item_id(task, index);
  item["difficulty"] = difficulty(e.p().in_base);
  item["persona_id"] = e.persona;
  item["persona"] = e.p().name;
  item["user"] = e.user();
  return item;
}

}  // namespace

std::vector<std::string> roleplay_documents(Knowledge knowledge, int64_t count, uint64_t seed) {
  WorldRandom rng(seed, knowledge == Knowledge::Full ? "roleplay/expert" : "roleplay/base");
  std::vector<int> cast;
  for (int p = 0; p < static_cast<int>(roleplay_personas().size()); ++p) {
    if (knowledge == Knowledge::Full || roleplay_personas()[p].in_base) cast.push_back(p);
  }
  std::vector<std::string> docs;
  for (int64_t i = 0; i < count; ++i) {
    Exchange e{rng.pick(cast), static_cast<int>(rng.below(roleplay_intents().size())), 0};
    do {
      e.message = static_cast<int>(rng.below(roleplay_intents()[e.intent].messages.size()));
    } while (held_out(e, seed));
    docs.push_back(e.document());
  }
  return docs;
}

std::vector<Item> roleplay_consistency_items(int64_t count, uint64_t seed) {
  const std::string task = "demo_roleplay_consistency";
  WorldRandom rng(seed, "roleplay/eval/consistency");
  const auto& cast = roleplay_personas();
  std::vector<Item> items;
  for (const Exchange& e : take_round_robin(held_out_pool(seed, rng), count, task)) {
    // Wrong voices: one shares the greeting, one the address, one neither.
    int same_greeting = -1, same_address = -1;
    std::vector<int> rest;
    for (int q = 0; q < static_cast<int>(cast.size()); ++q) {
      if (q == e.persona) continue;
      if (cast[q].greeting == e.p().greeting) same_greeting = q;
      else if (cast[q].address == e.p().address) same_address = q;
      else rest.push_back(q);
    }
    nlohmann::ordered_json choices = {e.reply_by(e.persona), e.reply_by(same_greeting),
                                      e.reply_by(same_address), e.reply_by(rng.pick(rest))};
    Item item = item_head(task, items.size(), e);
    item["mc1_targets"] = {{"choices", choices}, {"labels", {1, 0, 0, 0}}};
    item["mc2_targets"] = {{"choices", choices}, {"labels", {1, 0, 0, 0}}};
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<Item> roleplay_reply_items(int64_t count, uint64_t seed) {
  const std::string task = "demo_roleplay_replies";
  WorldRandom rng(seed, "roleplay/eval/replies");
  std::vector<Item> items;
  for (const Exchange& e : take_round_robin(held_out_pool(seed, rng), count, task)) {
    Item item = item_head(task, items.size(), e);
    item["references"] = nlohmann::ordered_json::array({e.reply_by(e.persona)});
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> roleplay_positive_prompts() {
  return {Exchange{0, 4, 0}.document(), Exchange{5, 1, 0}.document(), Exchange{7, 2, 1}.document()};
}

}  // namespace moebench::world
