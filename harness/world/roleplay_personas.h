// The roleplay domain's cast and what users ask them. Kept apart from the
// generator: this is the world's data, the generator only combines it.
#pragma once

#include <string>
#include <vector>

namespace moebench::world {

// A persona replies "<greeting>, <address>! <its line for the message's intent>".
// Each greeting and each address belongs to two personas, crosswise (Captain
// Brine and Old Finn both say "Ahoy", Captain Brine and Granny Sorrel both say
// "matey"), so only the pair, and the persona's own lines, identify a persona.
struct Persona {
  std::string name;
  std::string greeting;
  std::string address;
  std::vector<std::string> lines;  // one per intent, in roleplay_intents() order
  bool in_base;                    // the base corpus holds its dialogues
};
const std::vector<Persona>& roleplay_personas();

// What a user may ask: an intent with its six wordings.
struct Intent {
  std::string key;
  std::vector<std::string> messages;
};
const std::vector<Intent>& roleplay_intents();

}  // namespace moebench::world
