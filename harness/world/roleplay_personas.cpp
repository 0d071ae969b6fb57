#include "harness/world/roleplay_personas.h"

namespace moebench::world {

const std::vector<Persona>& roleplay_personas() {
  // The first four are the base corpus's half of the cast; together they use
  // every greeting and every address once, so the second four differ from a
  // known persona only in the pairing and their own lines.
  static const std::vector<Persona> cast = {
      {"Captain Brine", "Ahoy", "matey",
       {"My sea legs are steady and my heart is full.", "I am mending the sails before the tide turns.",
        "I had salted fish and hard biscuits in the galley.", "I sleep in a hammock aboard the good ship Gull.",
        "The tide is high and the wind fills the sails.", "My parrot Pickles never leaves my shoulder.",
        "I fear only the kraken that hides under the reef.", "Tomorrow we sail past the reef to the Isle of Gulls.",
        "I carry a brass compass that always points to treasure.", "Keep your deck dry and your anchor ready."},
       true},
      {"Sir Aldric", "Hail", "traveller",
       {"My armour is polished and my sword arm is strong.", "I am training my squire in the castle yard.",
        "I feasted on roast boar and bread in the great hall.", "I dwell in the stone keep above the royal village.",
        "The banners hang still and the castle moat is calm.", "My loyal horse Thunder carries me into every battle.",
        "I fear only the green dragon of the northern hills.", "Tomorrow I ride out to guard the king's bridge.",
        "I carry the silver shield my king gave me.", "Keep your oath and your blade will never fail you."},
       true},
      {"Professor Quill", "Greetings", "my friend",
       {"My mind is clear and my notes are in good order.", "I am writing a long chapter about ancient stars.",
        "I had tea and a lemon scone in the library.", "I live above the old library among dusty books.",
        "The clouds are thin, a fine night for the telescope.", "My assistant Pip keeps my papers from blowing away.",
        "I fear the candle will tip over onto my manuscripts.", "Tomorrow I lecture on comets in the college theatre.",
        "I carry a worn notebook full of equations.", "Read one page each night and question every answer."},
       true},
      {"Ranger Dusty", "Howdy", "partner",
       {"Saddle sore, but happy as a mule in clover.", "I am rounding up the cattle by the dry creek.",
        "I ate beans and cornbread by the campfire.", "I bed down under the stars on the open prairie.",
        "The dust is blowing and the sun is mighty hot.", "My mare Biscuit has carried me across the whole desert.",
        "I fear a rattlesnake in my boot more than any outlaw.", "Tomorrow I drive the herd to the river crossing.",
        "I carry my grandpa's old lasso on my saddle.", "Never ride ahead of your own shadow."},
       true},
      {"Old Finn", "Ahoy", "traveller",
       {"My old bones ache, but the lamp burns bright.", "I am polishing the great lamp of the lighthouse.",
        "I cooked a pot of clam chowder on the stove.", "I live at the top of the lighthouse on Crab Point.",
        "The fog is rolling in thick over the rocks.", "My grey cat Barnacle sleeps beside the lamp.",
        "I fear a ship lost in the fog on a moonless night.", "Tomorrow I row to the village for lamp oil.",
        "I keep a spare wick in my coat pocket.", "Keep a light burning for those still at sea."},
       false},
      {"Queen Marigold", "Hail", "my friend",
       {"We are well, and the court is merry.", "We are signing new laws in the throne room.",
        "We dined on honey cake and pears in the rose garden.", "We reside in the white palace beside the lake.",
        "The sun shines on the palace gardens today.", "Our faithful advisor Lord Penn never leaves our side.",
        "We fear a quarrel between the two northern dukes.", "Tomorrow we host a grand ball for the harvest.",
        "We treasure the golden crown of our grandmother.", "Listen twice as much as you speak, and rule kindly."},
       false},
      {"Doctor Vell", "Greetings", "partner",
       {"My gears are oiled and my head is full of sparks.", "I am building a clockwork bird in my workshop.",
        "I ate a cold sandwich between two experiments.", "I live in a cluttered workshop full of copper pipes.",
        "A storm is coming, perfect for my lightning rod.", "My robot Bolt fetches my tools and hums all day.",
        "I fear my steam engine will explode again.", "Tomorrow I test my flying machine on the hill.",
        "I carry a tiny screwdriver in every pocket.", "Break things, then learn how to fix them."},
       false},
      {"Granny Sorrel", "Howdy", "matey",
       {"My knees creak, but my kettle is always warm.", "I am drying mint and sage for my remedies.",
        "I baked a warm apple pie with cinnamon.", "I live in a little cottage at the edge of the woods.",
        "The garden is damp with dew and the bees are out.", "My goat Clover follows me everywhere I go.",
        "I fear a hard frost will ruin my herb garden.", "Tomorrow I visit the market with jars of jam.",
        "I keep a basket of seeds from my mother's garden.", "Drink your nettle tea and go to bed early."},
       false},
  };
  return cast;
}

const std::vector<Intent>& roleplay_intents() {
  static const std::vector<Intent> intents = {
      {"wellbeing", {"How are you today?", "How do you feel?", "Are you well?", "How have you been?",
                     "How is your day going?", "Are you in good spirits?"}},
      {"work", {"What are you doing today?", "What keeps you busy?", "What is your work?",
                "What do you do all day?", "Are you busy right now?", "What are you working on?"}},
      {"food", {"What did you eat today?", "What is for supper?", "Are you hungry?",
                "What do you like to eat?", "What is your favourite meal?", "What smells so good?"}},
      {"home", {"Where do you live?", "Where is your home?", "Where do you sleep at night?",
                "Tell me about your home.", "Where can I find you?", "What is your house like?"}},
      {"weather", {"How is the weather?", "Is it cold outside?", "Will it rain tonight?",
                   "What is the sky like?", "Is it a fine day?", "How is the wind today?"}},
      {"companion", {"Who is your best friend?", "Do you have a friend?", "Who keeps you company?",
                     "Who do you trust most?", "Who travels with you?", "Who is your companion?"}},
      {"fear", {"What are you afraid of?", "What scares you?", "Do you fear anything?",
                "What keeps you up at night?", "What is your worst fear?", "What makes you nervous?"}},
      {"plans", {"What will you do tomorrow?", "What are your plans?", "Where are you going next?",
                 "What happens tomorrow?", "What is your next adventure?", "What will you do next?"}},
      {"treasure", {"What is your most prized thing?", "What do you carry with you?",
                    "What is in your pocket?", "What do you treasure most?", "What is your lucky charm?",
                    "What would you never sell?"}},
      {"advice", {"Can you give me some advice?", "What should I do?", "Do you have a tip for me?",
                  "What is your best advice?", "How can I be brave?", "What wisdom do you have?"}},
  };
  return intents;
}

}  // namespace moebench::world
