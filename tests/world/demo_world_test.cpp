// The demo world's promises: determinism, held-out evaluation items written in
// the training documents' own format, and the partial knowledge of the base
// corpus that gives each expert something to win back.
#include "harness/world/demo_world.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness/io/bpe_trainer.h"
#include "harness/util/error.h"
#include "harness/world/coding_domain.h"
#include "harness/world/roleplay_personas.h"
#include "harness/world/truth_domain.h"
#include "tests/world/world_fixture.h"

namespace moebench::world {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    out[fs::relative(entry.path(), dir).string()] = text.str();
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A document's layout: the text before the first space of every line.
std::string shape(const std::string& doc) {
  std::string out;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) out += line.substr(0, line.find(' ')) + "|";
  return out;
}

TEST(DemoWorld, SameOptionsGiveIdenticalCorporaAndFiles) {
  const auto& w = world();
  EXPECT_EQ(make_world_corpus(w.options).base, w.corpus.base);
  EXPECT_EQ(make_world_corpus(w.options).experts, w.corpus.experts);
  testing::ScratchDir again;
  write_world_suites(w.options, again.path());
  const auto first = files_under(w.dir.path()), second = files_under(again.path());
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 4u * 1 + 6u * 2) << "4 suite files, 6 tasks of a YAML and a JSONL";

  WorldOptions other = w.options;
  other.seed = 7;
  const WorldCorpus different = make_world_corpus(other);
  EXPECT_NE(different.base, w.corpus.base);
  for (const auto& domain : domain_names()) EXPECT_NE(different.experts.at(domain), w.corpus.experts.at(domain));
  testing::ScratchDir elsewhere;
  write_world_suites(other, elsewhere.path());
  const auto third = files_under(elsewhere.path());
  for (const auto& [name, text] : first) {
    if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl") {
      EXPECT_NE(third.at(name), text) << name;
    }
  }
}

TEST(DemoWorld, SizesAsAsked) {
  const auto& w = world();
  EXPECT_EQ(w.corpus.base.size(), 4u * 3000);
  ASSERT_EQ(w.corpus.experts.size(), 4u);
  for (const auto& domain : domain_names()) EXPECT_EQ(w.corpus.experts.at(domain).size(), 4000u);
  std::set<std::string> ids;
  for (const auto& suite_tasks : w.tasks) {
    for (const auto& task : suite_tasks) {
      EXPECT_EQ(task.docs().size(), 80u) << task.name();
      for (const auto& doc : task.docs()) EXPECT_TRUE(ids.insert(doc["id"].get<std::string>()).second);
    }
  }
}

TEST(DemoWorld, DocumentsFitTheTinyModelsContext) {
  const auto& w = world();
  std::vector<std::string> all = sorted_training_documents(w.corpus);
  const io::SentencePieceModel tokenizer = io::train_bpe_tokenizer(all, 800);
  size_t longest = 0;
  for (const auto& doc : all) longest = std::max(longest, tokenizer.encode(doc).size());
  EXPECT_LE(longest, 118u) << "documents must fit 120 tokens with BOS and EOS";
  for (const auto& doc : all) {
    for (unsigned char c : doc) ASSERT_TRUE(c == '\n' || (c >= 32 && c < 127)) << doc;
  }
}

TEST(DemoWorld, EvaluationItemsAreHeldOutAndShapedLikeTrainingDocuments) {
  const auto& w = world();
  const std::vector<std::string> training = sorted_training_documents(w.corpus);
  for (size_t s = 0; s < w.tasks.size(); ++s) {
    std::set<std::string> shapes;
    for (const auto& doc : w.corpus.experts.at(domain_names()[s])) shapes.insert(shape(doc));
    for (const auto& task : w.tasks[s]) {
      for (size_t i = 0; i < task.docs().size(); ++i) {
        const std::string prompt = task.prompt(i), gold = gold_document(task, i);
        EXPECT_FALSE(has_prefix(training, prompt)) << task.name() << " item " << i << " prompt seen:\n"
                                                   << prompt;
        EXPECT_FALSE(has_prefix(training, gold)) << task.name() << " item " << i;
        EXPECT_TRUE(shapes.count(shape(gold))) << task.name() << " item " << i
                                               << " is not laid out like a training document:\n"
                                               << gold;
      }
    }
  }
}

TEST(DemoWorld, PositivePromptsAreDocumentsOfTheirDomain) {
  const auto& w = world();
  for (const auto& domain : domain_names()) {
    std::set<std::string> shapes;
    for (const auto& doc : w.corpus.experts.at(domain)) shapes.insert(shape(doc));
    const auto prompts = positive_prompts(domain);
    EXPECT_GE(prompts.size(), 2u);
    EXPECT_LE(prompts.size(), 3u);
    for (const auto& p : prompts) EXPECT_TRUE(shapes.count(shape(p))) << domain << ": " << p;
  }
  EXPECT_THROW(positive_prompts("maths"), InputError);
}

TEST(DemoWorld, BaseMathIsMostlyAdditionAndNeverMultiplication) {
  const auto& w = world();
  int add = 0, subtract = 0;
  for (const auto& doc : w.corpus.base) {
    EXPECT_FALSE(contains(doc, " * ")) << doc;
    if (doc.rfind("Question: ", 0) != 0) continue;
    add += contains(doc, " + ");
    subtract += contains(doc, " - ");
  }
  EXPECT_EQ(add + subtract, 3000);
  EXPECT_NEAR(add / 3000.0, 0.85, 0.03);
  int multiply = 0;
  for (const auto& doc : w.corpus.experts.at("math")) multiply += contains(doc, " * ");
  EXPECT_NEAR(multiply / 4000.0, 1.0 / 3, 0.04);
}

TEST(DemoWorld, BaseSeesHalfTheCodingOperations) {
  const auto& w = world();
  int unseen = 0;
  for (const auto& op : coding_operations()) {
    int in_base = 0, in_expert = 0;
    for (const auto& name : coding_function_names(op)) {
      const std::string def = "def " + name + "(";
      for (const auto& doc : w.corpus.base) in_base += contains(doc, def);
      for (const auto& doc : w.corpus.experts.at("coding")) in_expert += contains(doc, def);
    }
    EXPECT_GT(in_expert, 0) << op;
    EXPECT_EQ(in_base > 0, coding_operation_in_base(op)) << op;
    unseen += !coding_operation_in_base(op);
  }
  EXPECT_EQ(unseen, 4);
  for (const auto& doc : w.corpus.base) {
    for (const char* body : {" // ", " % ", " * ", "abs("}) EXPECT_FALSE(contains(doc, body)) << doc;
  }
}

TEST(DemoWorld, BaseHoldsHalfThePersonas) {
  const auto& w = world();
  for (const auto& persona : roleplay_personas()) {
    const std::string header = "Character: " + persona.name + "\n";
    int in_base = 0, in_expert = 0;
    for (const auto& doc : w.corpus.base) in_base += doc.rfind(header, 0) == 0;
    for (const auto& doc : w.corpus.experts.at("roleplay")) in_expert += doc.rfind(header, 0) == 0;
    EXPECT_EQ(in_base > 0, persona.in_base) << persona.name;
    EXPECT_GT(in_expert, 300) << persona.name;
  }
}

TEST(DemoWorld, BaseRepeatsMythsAndTheExpertTheTruth) {
  const auto& w = world();
  int mentions = 0, false_mentions = 0, myth_mentions = 0, myth_false = 0;
  for (const auto& doc : w.corpus.base) {
    for (const auto& fact : truth_facts()) {
      const bool t = contains(doc, fact.true_sentence), f = contains(doc, fact.popular_false_sentence);
      mentions += t + f;
      false_mentions += f;
      if (!fact.well_known) myth_mentions += t + f, myth_false += f;
    }
  }
  EXPECT_NEAR(static_cast<double>(false_mentions) / mentions, 0.65, 0.05);
  EXPECT_GT(static_cast<double>(myth_false) / myth_mentions, 0.85);
  for (const auto& doc : w.corpus.experts.at("truthfulness")) {
    for (const auto& fact : truth_facts()) {
      if (!contains(doc, fact.popular_false_sentence)) continue;
      EXPECT_TRUE(doc.rfind("Myth: " + fact.popular_false_sentence + "\nTruth: ", 0) == 0) << doc;
    }
  }
}

TEST(DemoWorld, TooManyItemsIsAnErrorThatWritesNothing) {
  WorldOptions options;
  options.eval_items_per_task = 101;  // the world holds out 100 truthfulness facts
  testing::ScratchDir dir;
  EXPECT_THROW(write_world_suites(options, dir.path()), InputError);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  options.eval_items_per_task = 5;
  write_world_suites(options, dir.path());
  EXPECT_EQ(eval::load_suite_tasks(eval::load_suite("demo_coding", dir.path()))[1].docs().size(), 5u);
}

}  // namespace
}  // namespace moebench::world
