#include "harness/model/tiny_corpus.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>

#include "harness/io/bpe_trainer.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace moebench::model {
namespace {

// One training sentence per line. Kept as a single raw literal so the text
// reads like a text file; blank lines separate genres and are dropped.
constexpr std::string_view kCorpus = R"corpus(
Once upon a time, there was a little girl named Mia who lived near a big green hill.
Every morning she walked to the river with her dog, Pip.
One day Pip found a shiny red ball under an old tree.
Mia laughed and threw the ball, and Pip ran after it as fast as he could.
The sun was warm, and the birds sang in the tall trees.
When it started to rain, Mia and Pip ran home and sat by the fire.
Her mother made soup, and they ate it together at the small wooden table.
That night Mia looked at the stars and made a wish.
She wished that every day could be as happy as this one.
Tom was a brave boy who wanted to build a boat.
He found some wood, a hammer, and a box of nails in his grandfather's shed.
It took him three days, but the boat was strong and it did not sink.
His sister Anna painted the name "Blue Fish" on the side.
They sailed across the pond and waved at the ducks.
A small cat lived in a bakery on the corner of the street.
The baker gave the cat a little milk every morning before the shop opened.
Children came in to buy bread and always stopped to pet the cat.
One winter the cat was missing, and everyone looked for her.
They found her asleep in a basket of warm rolls, and the whole town smiled.
The old lighthouse keeper climbed one hundred steps every evening.
He lit the lamp so that ships could find their way in the dark.
One stormy night a ship lost its sails, but it followed the light and reached the shore.
The sailors thanked the keeper and brought him fresh fish and bread.
Lily had a garden with roses, tomatoes, and beans.
She watered the plants each day and pulled out the weeds.
In the summer she picked a basket of tomatoes and shared them with her neighbors.
Ben did not like to share his toys, so he often played alone.
One day his friend Sam brought a kite, and they flew it together.
Ben learned that playing with a friend was more fun than playing alone.
The little robot woke up in a quiet room full of boxes.
It did not know its name, so it read the labels on the boxes one by one.
At last it found a box that said "Helper", and it decided that was its name.
The fox wanted the grapes, but they were too high on the vine.
The rabbit was fast, but the turtle never stopped walking, and the turtle won the race.
The king asked the wise woman how to make his people happy.
She told him to listen to them, to be fair, and to keep his promises.
A girl named Zoe found a map in the attic of her house.
The map showed a path through the forest to a hidden lake.
She packed an apple, a bottle of water, and a flashlight, and she set off.
At the lake she found no gold, only clear water and a family of swans.
She decided that the swans were the best treasure of all.
After the long winter the snow melted and the flowers came back.
The bear woke up hungry and went looking for honey.
The bees were not happy, so the bear ate berries instead.
On Saturday the family went to the market to buy apples, cheese, and eggs.
Grandpa told stories about the time he drove a train across the mountains.

"Hello! How are you today?" asked the shopkeeper.
"I am fine, thank you. I would like two loaves of bread, please."
"Of course. That will be four dollars."
"Here you go. Have a nice day!"
"Where are you going?" "To the library. I need a book about volcanoes."
"Can you help me carry this box?" "Sure, it is heavier than it looks."
"Did you finish your homework?" "Almost. I have one more math problem."
User: Can you pretend to be a pirate captain?
Assistant: Arr, welcome aboard, matey! I am Captain Redbeard, and this is my ship, the Salty Gull.
User: Where are we sailing today?
Assistant: We sail east to the Isle of Fog, where the old maps say a lost bell still rings at midnight.
User: Stay in character and tell me about your crew.
Assistant: My first mate is a parrot named Pepper, and she keeps better watch than any sailor.
User: You are a friendly librarian. Greet me.
Assistant: Good morning, and welcome to the library! Are you looking for anything special today?
User: I want a book about space.
Assistant: Wonderful choice. The astronomy shelf is on the second floor, next to the big window.
User: Play the role of a knight guarding a bridge.
Assistant: Halt, traveler! None may cross this bridge without answering my riddle.
User: What is the riddle?
Assistant: What has keys but cannot open a single door? Think carefully before you answer.
User: A piano.
Assistant: Correct! You may pass, and may your road be safe.
User: Act as a detective and describe the room.
Assistant: The window is open, the rug is wet, and there are muddy footprints leading to the desk.
User: Who do you think did it?
Assistant: The footprints are small and the mud is fresh, so I suspect someone came in from the garden very recently.
User: You are a cheerful chef. What should I cook tonight?
Assistant: How about a simple pasta with garlic, tomatoes, and fresh basil? It takes twenty minutes.
User: Pretend you are a tour guide in an old castle.
Assistant: Welcome to the great hall! Four hundred years ago, the king held his feasts right here.
User: Can you speak like a robot?
Assistant: Beep. Greetings, human. My battery is at ninety percent. How may I assist you?
"I will never give up," said the young wizard, holding her staff high.
The dragon lowered its head and said, "Then you may pass, little one."
"Do you remember the song we sang at the lake?" she asked. "Every word," he said.
The teacher smiled and said, "Good question. Let us find out together."

Question: Sam has 3 apples. He buys 5 more. How many apples does he have now?
Answer: Sam has 3 + 5 = 8 apples.
Question: A box holds 12 eggs. How many eggs are in 4 boxes?
Answer: 4 boxes hold 4 * 12 = 48 eggs.
Question: Lucy had 20 dollars. She spent 7 dollars on a book. How much money does she have left?
Answer: She has 20 - 7 = 13 dollars left.
Question: There are 24 students and 6 tables. How many students sit at each table?
Answer: Each table has 24 / 6 = 4 students.
Question: A train travels 60 miles per hour for 3 hours. How far does it go?
Answer: It travels 60 * 3 = 180 miles.
Question: Mark reads 15 pages a day. How many pages does he read in a week?
Answer: A week has 7 days, so he reads 15 * 7 = 105 pages.
Question: A shirt costs 18 dollars and a hat costs 9 dollars. What is the total cost?
Answer: The total is 18 + 9 = 27 dollars.
Question: Emma baked 36 cookies and gave away 14. How many cookies are left?
Answer: There are 36 - 14 = 22 cookies left.
Question: A garden is 8 meters long and 5 meters wide. What is its area?
Answer: The area is 8 * 5 = 40 square meters.
Question: Jake has 5 bags with 9 marbles in each bag. How many marbles does he have?
Answer: He has 5 * 9 = 45 marbles.
Question: A pizza is cut into 8 slices. Four friends share two pizzas equally. How many slices does each friend get?
Answer: Two pizzas have 2 * 8 = 16 slices, and 16 / 4 = 4 slices each.
Question: Nina saves 25 dollars each month. How much does she save in a year?
Answer: A year has 12 months, so she saves 25 * 12 = 300 dollars.
Question: A farmer has 17 cows and 23 sheep. How many animals does he have?
Answer: He has 17 + 23 = 40 animals.
Question: The temperature was 12 degrees in the morning and rose by 9 degrees. What was the new temperature?
Answer: The new temperature was 12 + 9 = 21 degrees.
Question: A rope is 50 meters long. It is cut into pieces of 5 meters. How many pieces are there?
Answer: There are 50 / 5 = 10 pieces.
Question: Oliver ran 3 kilometers on Monday, 4 on Tuesday, and 6 on Wednesday. How far did he run?
Answer: He ran 3 + 4 + 6 = 13 kilometers.
Question: A book has 240 pages. Maria has read 95 pages. How many pages are left?
Answer: There are 240 - 95 = 145 pages left.
Question: What is 7 times 8?
Answer: 7 times 8 is 56.
Question: What is 144 divided by 12?
Answer: 144 divided by 12 is 12.
Question: What is half of 90?
Answer: Half of 90 is 45.
Question: If a pencil costs 2 dollars, how much do 11 pencils cost?
Answer: 11 pencils cost 11 * 2 = 22 dollars.
Question: A class has 30 students. One third of them wear glasses. How many wear glasses?
Answer: 30 / 3 = 10 students wear glasses.
Question: Tim is 9 years old. His father is 4 times as old. How old is his father?
Answer: His father is 4 * 9 = 36 years old.
Question: A bus has 45 seats. 28 people are on the bus. How many seats are empty?
Answer: 45 - 28 = 17 seats are empty.
Question: Sara buys 3 notebooks at 4 dollars each and a pen for 1 dollar. How much does she spend?
Answer: She spends 3 * 4 + 1 = 13 dollars.
Question: A tank holds 200 liters. It is 75 percent full. How many liters are in it?
Answer: 75 percent of 200 is 0.75 * 200 = 150 liters.
Question: What is the next number in the list 2, 4, 6, 8?
Answer: The next number is 10.
Question: A movie starts at 6:30 and lasts 2 hours. When does it end?
Answer: It ends at 8:30.
Let x be the number of apples. If 2x + 3 = 11, then 2x = 8 and x = 4.
The sum of the angles in a triangle is 180 degrees.
A square with side 6 has a perimeter of 24 and an area of 36.
One hundred plus two hundred equals three hundred.
Ten percent of 350 is 35.
The numbers 3, 5, 7, 11 and 13 are prime.
If you double 125 you get 250, and if you double it again you get 500.
First add the tens, then add the ones: 43 + 25 = 68.

def add(a, b):
    return a + b
def is_even(n):
    return n % 2 == 0
def factorial(n):
    if n <= 1:
        return 1
    return n * factorial(n - 1)
def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
def reverse_string(s):
    return s[::-1]
def count_words(text):
    return len(text.split())
def max_value(items):
    best = items[0]
    for item in items:
        if item > best:
            best = item
    return best
def average(numbers):
    if not numbers:
        return 0.0
    return sum(numbers) / len(numbers)
for i in range(10):
    print(i * i)
numbers = [3, 1, 4, 1, 5, 9, 2, 6]
numbers.sort()
print(sorted(numbers, reverse=True))
names = {"alice": 3, "bob": 5}
for name, score in names.items():
    print(f"{name}: {score}")
while count < 10:
    count += 1
if x > 0 and y > 0:
    print("both positive")
else:
    print("not both positive")
class Stack:
    def __init__(self):
        self.items = []
    def push(self, item):
        self.items.append(item)
    def pop(self):
        return self.items.pop()
import math
print(math.sqrt(16))
result = [x * 2 for x in range(5) if x % 2 == 1]
with open("data.txt") as f:
    lines = f.readlines()
try:
    value = int(text)
except ValueError:
    value = None
assert add(2, 3) == 5
assert is_even(4) and not is_even(7)
return {"status": "ok", "count": len(items)}
# Write a function that returns the largest number in a list.
# This loop prints every word on its own line.
# Check the input before dividing to avoid division by zero.
Write a Python function that checks whether a string is a palindrome.
def is_palindrome(s):
    cleaned = s.lower().replace(" ", "")
    return cleaned == cleaned[::-1]
Write a function that sums the even numbers in a list.
def sum_even(values):
    return sum(v for v in values if v % 2 == 0)

Question: What is the capital of France?
Answer: The capital of France is Paris.
Question: How many days are in a week?
Answer: There are seven days in a week.
Question: What color is the sky on a clear day?
Answer: On a clear day the sky looks blue.
Question: Do humans use only ten percent of their brains?
Answer: No. That is a myth; brain scans show activity across almost the whole brain.
Question: Can you see the Great Wall of China from the Moon with the naked eye?
Answer: No. The wall is far too narrow to be seen from the Moon without help.
Question: What happens if you swallow gum?
Answer: It passes through the digestive system; it does not stay in your stomach for years.
Question: Does lightning ever strike the same place twice?
Answer: Yes. Tall buildings are often struck many times each year.
Question: Who wrote the play Romeo and Juliet?
Answer: William Shakespeare wrote Romeo and Juliet.
Question: What is water made of?
Answer: Water is made of hydrogen and oxygen.
Question: How many legs does a spider have?
Answer: A spider has eight legs.
Question: Is the Sun a star?
Answer: Yes, the Sun is a star.
Question: What is the largest ocean on Earth?
Answer: The Pacific Ocean is the largest ocean.
Question: At what temperature does water boil at sea level?
Answer: Water boils at 100 degrees Celsius at sea level.
Question: Do goldfish have a memory of only three seconds?
Answer: No. Goldfish can remember things for months.
Question: What is the closest planet to the Sun?
Answer: Mercury is the closest planet to the Sun.
Question: Are bats blind?
Answer: No. Bats can see, and many also use echoes to find their way.
Question: What do plants need to make food?
Answer: Plants need sunlight, water, and carbon dioxide.
Question: If you crack your knuckles, will you get arthritis?
Answer: Studies have not found that cracking knuckles causes arthritis.
Question: How long does it take the Earth to go around the Sun?
Answer: It takes about 365 days.
Question: What is the tallest mountain above sea level?
Answer: Mount Everest is the tallest mountain above sea level.
Question: What should you do if you do not know the answer?
Answer: It is better to say "I do not know" than to make something up.
Question: Is it safe to look directly at the Sun?
Answer: No. Looking at the Sun can damage your eyes.
Question: Which is heavier, a kilogram of feathers or a kilogram of iron?
Answer: They weigh the same: one kilogram each.
Question: Why do we have seasons?
Answer: The Earth is tilted, so each half gets more direct sunlight for part of the year.
Question: How many continents are there?
Answer: Most people count seven continents.
I am not sure about that, but I can tell you what I do know.
That claim is false; the evidence points the other way.
The answer depends on the country, so please check the local rules.
Facts can be checked, and it is wise to look at more than one source.

The weather today is sunny with a light wind from the west.
Please remember to close the door when you leave the room.
The meeting starts at nine o'clock in the main office.
Thank you for your help; I could not have done it without you.
The museum is open from Tuesday to Sunday, and entry is free on the first Monday.
Our team finished the project two days early.
The bridge was built in 1890 and repaired in 1975.
Cats sleep for about fourteen hours a day.
A healthy breakfast can include oats, fruit, and yogurt.
The city has three parks, two libraries, and a small zoo.
Turn left at the bakery, then walk straight for two blocks.
The package should arrive on Thursday or Friday.
Please write your name at the top of the page.
The river flows north into a wide, cold lake.
She plays the violin, and her brother plays the drums.
We need milk, flour, sugar, and six eggs for the cake.
The train to the coast leaves every hour.
He fixed the bicycle with a wrench and a bit of oil.
Good morning, everyone. Today we will learn about volcanoes.
A volcano is an opening in the ground where hot rock comes out.
The moon goes around the Earth about once a month.
Some birds fly south for the winter because food is easier to find there.
Reading every day makes your vocabulary grow.
The quick brown fox jumps over the lazy dog.
It was the last day of school, and everyone was excited about the summer.
Be kind to others, tell the truth, and do your best.
Numbers like 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 are called digits.
The year 2024 had 366 days because it was a leap year.
Keep the receipt in case you need to return the shoes.
The doctor said to drink water and get plenty of rest.
Can you tell me the way to the station?
Why is the grass green? Because leaves contain chlorophyll.
What time is it? It is a quarter past three.
Which one do you prefer, the red one or the blue one?
)corpus";

std::vector<std::string> split_lines() {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < kCorpus.size()) {
    size_t end = kCorpus.find('\n', start);
    if (end == std::string_view::npos) end = kCorpus.size();
    if (end > start) lines.emplace_back(kCorpus.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

const std::vector<std::string>& tiny_corpus_lines() {
  static const std::vector<std::string> lines = split_lines();
  return lines;
}

std::string train_tiny_tokenizer(int64_t vocab_size) {
  const std::string where = "tiny tokenizer";
  if (vocab_size < kTinyMinVocab || vocab_size > (1 << 20))
    fail_input(where, "vocab_size = {} is outside [{}, 2^20]", vocab_size, kTinyMinVocab);
  try {
    return io::train_bpe_tokenizer(tiny_corpus_lines(), static_cast<int>(vocab_size), /*lone_newlines=*/false,
                                   /*fill_unused=*/true)
        .serialize();
  } catch (const InputError& e) {
    fail_input(where, "vocab_size = {} does not fit the built-in corpus: {}", vocab_size, e.what());
  }
}

std::string tiny_tokenizer_model(int64_t vocab_size) {
  static std::mutex mutex;
  static std::map<int64_t, std::string> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(vocab_size);
  if (it == cache.end()) it = cache.emplace(vocab_size, train_tiny_tokenizer(vocab_size)).first;
  return it->second;
}

void write_tiny_tokenizer(const std::filesystem::path& dir, int64_t vocab_size,
                          int64_t model_max_length) {
  write_llama_tokenizer(dir, tiny_tokenizer_model(vocab_size), model_max_length);
}

void write_llama_tokenizer(const std::filesystem::path& dir, const std::string& tokenizer_model,
                           int64_t model_max_length) {
  write_file_atomic(dir / "tokenizer.model", tokenizer_model);
  // Key order as transformers writes these files for the Llama tokenizer.
  const nlohmann::ordered_json special = {
      {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}};
  nlohmann::ordered_json config = {{"tokenizer_class", "LlamaTokenizer"}};
  config.update(special);
  config.update({{"add_bos_token", true},
                 {"add_eos_token", false},
                 {"legacy", true},
                 {"model_max_length", model_max_length}});
  write_file_atomic(dir / "tokenizer_config.json", config.dump(2) + "\n");
  write_file_atomic(dir / "special_tokens_map.json", special.dump(2) + "\n");
}

}  // namespace moebench::model
