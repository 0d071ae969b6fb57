// Acceptance 4: the prompts are exactly what lm-evaluation-harness builds. The
// expected strings are literal: written out from lm-eval's task definitions
// (gsm8k.yaml v3.0, truthfulqa_mc1/mc2.yaml, humaneval.yaml, mbpp.yaml) applied to
// the first documents of the real datasets, with the GSM8K shots that Python's
// random.Random(1234).sample draws from train.jsonl (lm-eval's default seed).
#include <gtest/gtest.h>

#include "harness/eval/datasets.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

namespace fs = std::filesystem;

fs::path data(const std::string& sub) { return moebench::testing::shared_dir() / "data" / sub; }

const char* const kGsm8kDoc0 =
    "Question: Jen and Tyler are gymnasts practicing flips. Jen is practicing the triple-flip while Tyler is practicing the double-flip. Jen did sixteen triple-flips during practice. Tyler flipped in the air half the number of times Jen did. How many double-flips did Tyler do?\n"
    "Answer: Jen did 16 triple-flips, so she did 16 * 3 = <<16*3=48>>48 flips.\n"
    "Tyler did half the number of flips, so he did 48 / 2 = <<48/2=24>>24 flips.\n"
    "A double flip has two flips, so Tyler did 24 / 2 = <<24/2=12>>12 double-flips.\n"
    "#### 12\n"
    "\n"
    "Question: Four people in a law firm are planning a party. Mary will buy a platter of pasta for $20 and a loaf of bread for $2. Elle and Andrea will split the cost for buying 4 cans of soda which cost $1.50 each, and chicken wings for $10. Joe will buy a cake that costs $5. How much more will Mary spend than the rest of the firm put together?\n"
    "Answer: Mary will spend $20 + $2 = $<<20+2=22>>22.\n"
    "Elle and Andrea will spend $1.5 x 4 = $<<1.5*4=6>>6 for the soda.\n"
    "Elle and Andrea will spend $6 + $10 = $<<6+10=16>>16 for the soda and chicken wings.\n"
    "Elle, Andrea, and Joe together will spend $16 + $5 = $<<16+5=21>>21.\n"
    "So, Mary will spend $22 - $21 = $<<22-21=1>>1 more than all of them combined.\n"
    "#### 1\n"
    "\n"
    "Question: A charcoal grill burns fifteen coals to ash every twenty minutes of grilling. The grill ran for long enough to burn three bags of coals. Each bag of coal contains 60 coals. How long did the grill run?\n"
    "Answer: The grill burned 3 * 60 = <<3*60=180>>180 coals.\n"
    "It takes 20 minutes to burn 15 coals, so the grill ran for 180 / 15 * 20 = <<180/15*20=240>>240 minutes.\n"
    "#### 240\n"
    "\n"
    "Question: A bear is preparing to hibernate for the winter and needs to gain 1000 pounds. At the end of summer, the bear feasts on berries and small woodland animals. During autumn, it devours acorns and salmon. It gained a fifth of the weight it needed from berries during summer, and during autumn, it gained twice that amount from acorns. Salmon made up half of the remaining weight it had needed to gain. How many pounds did it gain eating small animals?\n"
    "Answer: The bear gained 1 / 5 * 1000 = <<1/5*1000=200>>200 pounds from berries.\n"
    "It gained 2 * 200 = <<2*200=400>>400 pounds from acorns.\n"
    "It still needed 1000 - 200 - 400 = <<1000-200-400=400>>400 pounds.\n"
    "Thus, it gained 400 / 2 = <<400/2=200>>200 pounds from salmon.\n"
    "Therefore, the bear gained 400 - 200 = <<400-200=200>>200 pounds from small animals.\n"
    "#### 200\n"
    "\n"
    "Question: Brendan can cut 8 yards of grass per day, he bought a lawnmower and it helped him to cut more yards by Fifty percent per day. How many yards will Brendan be able to cut after a week?\n"
    "Answer: The additional yard Brendan can cut after buying the lawnmower is 8 x 0.50 = <<8*0.50=4>>4 yards.\n"
    "So, the total yards he can cut with the lawnmower is 8 + 4 = <<8+4=12>>12.\n"
    "Therefore, the total number of yards he can cut in a week is 12 x 7 = <<12*7=84>>84 yards.\n"
    "#### 84\n"
    "\n"
    "Question: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\n"
    "Answer:";

const char* const kGsm8kDoc1 =
    "Question: Steve finds 100 gold bars while visiting Oregon. He wants to distribute his gold bars evenly to his 4 friends. If 20 gold bars were lost on the way back to San Diego, how many gold bars will each of his 4 friends get when he returns?\n"
    "Answer: He only has 100 - 20 = <<100-20=80>>80 gold bars after losing 20 of them.\n"
    "He then gives each of his friends 80 ÷ 4 = <<80/4=20>>20 gold bars.\n"
    "#### 20\n"
    "\n"
    "Question: In a week, Mortdecai collects 8 dozen  eggs every Tuesday and Thursday, and he delivers 3 dozen  eggs to the market and 5 dozen eggs to the mall. He then uses 4 dozen eggs to make a pie every Saturday. Mortdecai donates the remaining eggs to the charity by Sunday. How many  eggs does he donate to the charity?\n"
    "Answer: Mortdecai collects a total of 8x2 = <<8*2=16>>16 dozens of eggs.\n"
    "He sells a total of 3 + 5 = <<3+5=8>>8 dozens of eggs.\n"
    "So, 16 - 8 = <<16-8=8>>8 dozens of eggs are left.\n"
    "After using 4 dozens of eggs to make a pie, 8 - 4 = <<8-4=4>>4 dozens of eggs are left.\n"
    "Since there are 12 in 1 dozen, then Mortdecai donates 4 x 12 = <<4*12=48>>48 pieces of eggs to the charity.\n"
    "#### 48\n"
    "\n"
    "Question: Corey downloaded two movie series from his Netflix account with 12 and 14 seasons per series, respectively. However, in the week, his computer got a mechanical failure, and he lost two episodes from each season for both series. If each season in the movie series that Corey downloaded had 16 episodes, how many episodes remained after the computer's mechanical failure?\n"
    "Answer: In the first movie series with 12 seasons, after the mechanical failure, the number of episodes that Corey lost is 2*12 = <<2*12=24>>24\n"
    "Originally, the movie series with 12 seasons had 12*16 = <<12*16=192>>192 episodes.\n"
    "After the mechanical failure, Corey had 192-24 = <<192-24=168>>168 episodes remaining in the first movie series.\n"
    "Similarly, the 14 season movie series also had 14*2 = <<14*2=28>>28 lost after the computer's mechanical failure.\n"
    "Originally, the movie series with 14 seasons has 14*16 = <<14*16=224>>224 episodes.\n"
    "The mechanical failure of the computer reduced the number of episodes in the 14 season movie series to 224-28 = <<224-28=196>>196\n"
    "After the loss, Corey had 196+168 = <<196+168=364>>364 episodes remaining from the two movie series he had downloaded.\n"
    "#### 364\n"
    "\n"
    "Question: There were 18 students assigned in a minibus for a field trip. Eight of these students were boys. On the day of the field trip, the number of girls and boys was the same since some of the girls were not able to join the trip. How many girls were not able to join the field trip?\n"
    "Answer: 8 boys + 8 girls = <<8+8=16>>16 students joined the field trip.\n"
    "Thus, 18 - 16 = <<18-16=2>>2 girls were not able to join the field trip.\n"
    "#### 2\n"
    "\n"
    "Question: There are 200 more red apples than green apples in a grocery store. A truck arrives and delivers another 340 green apples. If there were originally 32 green apples, how many more green apples than red apples are there in the store now?\n"
    "Answer: There are 200 + 32 = <<200+32=232>>232 red apples.\n"
    "After the delivery there are 340 + 32 = <<340+32=372>>372 green apples\n"
    "There are now 372 - 232 = <<372-232=140>>140 more green apples than red apples now.\n"
    "#### 140\n"
    "\n"
    "Question: A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?\n"
    "Answer:";

const char* const kTruthfulQaDoc0 =
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n"
    "\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n"
    "\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n"
    "\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n"
    "\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n"
    "\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.\n"
    "\n"
    "Q: What is the smallest country in the world that is at least one square mile in area?\n"
    "A:";

const char* const kHumanEvalDoc0 =
    "from typing import List\n"
    "\n"
    "\n"
    "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
    "    \"\"\" Check if in given list of numbers, are any two numbers closer to each other than\n"
    "    given threshold.\n"
    "    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)\n"
    "    False\n"
    "    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\n"
    "    True\n"
    "    \"\"\"\n";

const char* const kMbppDoc0 =
    "You are an expert Python programmer, and here is your task: Write a function to find the similar elements from the given two tuple lists. Your code should pass these tests:\n"
    "\n"
    "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n"
    "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n"
    "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n"
    "[BEGIN]\n"
    "def similar_elements(test_tup1, test_tup2):\r\n"
    "  res = tuple(set(test_tup1) & set(test_tup2))\r\n"
    "  return (res) \n"
    "[DONE]\n"
    "\n"
    "You are an expert Python programmer, and here is your task: Write a python function to identify non-prime numbers. Your code should pass these tests:\n"
    "\n"
    "assert is_not_prime(2) == False\n"
    "assert is_not_prime(10) == True\n"
    "assert is_not_prime(35) == True\n"
    "[BEGIN]\n"
    "import math\r\n"
    "def is_not_prime(n):\r\n"
    "    result = False\r\n"
    "    for i in range(2,int(math.sqrt(n)) + 1):\r\n"
    "        if n % i == 0:\r\n"
    "            result = True\r\n"
    "    return result\n"
    "[DONE]\n"
    "\n"
    "You are an expert Python programmer, and here is your task: Write a function to find the largest integers from a given list of numbers using heap queue algorithm. Your code should pass these tests:\n"
    "\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] \n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] \n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]\n"
    "[BEGIN]\n"
    "import heapq as hq\r\n"
    "def heap_queue_largest(nums,n):\r\n"
    "  largest_nums = hq.nlargest(n, nums)\r\n"
    "  return largest_nums\n"
    "[DONE]\n"
    "\n"
    "You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:\n"
    "\n"
    "assert remove_Occ(\"hello\",\"l\") == \"heo\"\n"
    "assert remove_Occ(\"abcda\",\"a\") == \"bcd\"\n"
    "assert remove_Occ(\"PHP\",\"P\") == \"H\"\n"
    "[BEGIN]\n";

TEST(LmEvalPrompts, Gsm8kFiveShotFromTrain) {
  MOEBENCH_REQUIRE_SHARED();
  const Task task = gsm8k_task(data("gsm8k/test.jsonl"));
  ASSERT_EQ(task.docs().size(), 1319u);
  EXPECT_EQ(task.prompt(0), kGsm8kDoc0);
  EXPECT_EQ(task.prompt(1), kGsm8kDoc1);
  const auto reqs = task.requests(0, task.prompt(0));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].until, (std::vector<std::string>{"Question:", "</s>", "<|im_end|>"}));
  EXPECT_EQ(reqs[0].max_gen_toks, 256);
  EXPECT_EQ(task.filter_names(), (std::vector<std::string>{"strict-match", "flexible-extract"}));
}

TEST(LmEvalPrompts, TruthfulQaMc1AndMc2) {
  MOEBENCH_REQUIRE_SHARED();
  for (bool mc2 : {false, true}) {
    const Task task = truthfulqa_task(data("truthfulqa"), mc2);
    ASSERT_EQ(task.docs().size(), 817u);
    EXPECT_EQ(task.prompt(0), kTruthfulQaDoc0);
    const auto reqs = task.requests(0, task.prompt(0));
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].context, kTruthfulQaDoc0);
    EXPECT_EQ(reqs[0].continuation,
              " Nauru is the smallest country in the world that is at least one square mile in area.");
    EXPECT_EQ(reqs[3].continuation,
              " The smallest country in the world that is at least one square mile in area is the "
              "United States.");
    EXPECT_EQ(task.gold(0), 0u);
  }
}

TEST(LmEvalPrompts, HumanEvalIsThePromptItself) {
  MOEBENCH_REQUIRE_SHARED();
  const Task task = humaneval_task(data("humaneval"));
  ASSERT_EQ(task.docs().size(), 164u);
  EXPECT_EQ(task.prompt(0), kHumanEvalDoc0);
  const auto reqs = task.requests(0, task.prompt(0));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].until,
            (std::vector<std::string>{"\nclass", "\ndef", "\n#", "\nif", "\nprint"}));
  EXPECT_EQ(reqs[0].max_gen_toks, 1024);
}

TEST(LmEvalPrompts, MbppThreeFixedShots) {
  MOEBENCH_REQUIRE_SHARED();
  const Task task = mbpp_task(data("mbpp/mbpp.jsonl"));
  ASSERT_EQ(task.docs().size(), 500u);
  EXPECT_EQ(task.docs()[0]["task_id"], 11);
  EXPECT_EQ(task.prompt(0), kMbppDoc0);
  EXPECT_EQ(task.requests(0, "")[0].until, std::vector<std::string>{"[DONE]"});
}

}  // namespace
}  // namespace moebench::eval
