// The demo world of the default options, generated once for all world tests,
// and its suites written to a scratch directory and loaded with the project's
// own suite loader.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/eval/suite.h"
#include "harness/eval/task.h"
#include "harness/world/demo_world.h"
#include "tests/testing/test_env.h"

namespace moebench::world {

struct WorldFixture {
  WorldOptions options;
  WorldCorpus corpus;
  testing::ScratchDir dir;
  std::vector<eval::SuiteSpec> suites;            // in domain order
  std::vector<std::vector<eval::Task>> tasks;     // per suite

  WorldFixture() : corpus(make_world_corpus(options)) {
    write_world_suites(options, dir.path());
    for (const auto& domain : domain_names()) {
      suites.push_back(eval::load_suite("demo_" + domain, dir.path()));
      tasks.push_back(eval::load_suite_tasks(suites.back()));
    }
  }
};

inline const WorldFixture& world() {
  static const WorldFixture fixture;
  return fixture;
}

// What item i of `task` looks like as a document: prompt + delimiter + gold
// (a coding function: prompt + canonical body).
inline std::string gold_document(const eval::Task& task, size_t i) {
  const auto& spec = task.spec();
  std::string prompt = task.prompt(i);
  if (task.docs()[i].contains("canonical_solution")) {
    return prompt + task.docs()[i]["canonical_solution"].get<std::string>();
  }
  if (spec.output_type == eval::OutputType::MultipleChoice) {
    return prompt + spec.target_delimiter + task.choices(i)[task.gold(i)];
  }
  return prompt + spec.target_delimiter + task.references(i).front();
}

// Sorted, for prefix searches.
inline std::vector<std::string> sorted_training_documents(const WorldCorpus& corpus) {
  std::vector<std::string> docs = corpus.base;
  for (const auto& [domain, expert] : corpus.experts) docs.insert(docs.end(), expert.begin(), expert.end());
  std::sort(docs.begin(), docs.end());
  docs.erase(std::unique(docs.begin(), docs.end()), docs.end());
  return docs;
}

// Whether some document of `sorted` starts with `prefix` (or equals it).
inline bool has_prefix(const std::vector<std::string>& sorted, const std::string& prefix) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), prefix);
  return it != sorted.end() && it->compare(0, prefix.size(), prefix) == 0;
}

}  // namespace moebench::world
