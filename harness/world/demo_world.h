// The demo world: a small synthetic world in four domains (math, coding,
// truthfulness, roleplay) for the demo's tiny models. A base model is trained
// on a mixed corpus holding only partial (for truthfulness: mostly wrong)
// knowledge of each domain, four experts are fine-tuned each on its domain's
// full knowledge, and the four suites written here measure what each expert
// won back. Evaluation items are held-out combinations no training document
// holds, and an item's prompt + gold continuation is written exactly as a
// training document is, so a model that learned the format continues it.
//
// Everything is a pure function of WorldOptions: the same options give
// byte-identical corpora and suite files on every machine (world_random.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moebench::world {

// The four domains, in this order; also the suites' expert labels.
const std::vector<std::string>& domain_names();  // {"math", "coding", "truthfulness", "roleplay"}

struct WorldOptions {
  uint64_t seed = 2026;
  int64_t base_docs_per_domain = 3000;  // documents of each domain in the base corpus
  int64_t expert_docs = 4000;           // documents in each expert's corpus
  int64_t eval_items_per_task = 80;     // items in each evaluation task (at most 100)
};

struct WorldCorpus {
  std::vector<std::string> base;  // all domains mixed, shuffled, partial knowledge
  std::map<std::string, std::vector<std::string>> experts;  // domain -> its documents, full knowledge
};

// A document is one training sequence (it may hold newlines), well under 120
// tokens; the trainer wraps each in BOS/EOS.
WorldCorpus make_world_corpus(const WorldOptions& options);

// Writes tasks_dir/demo_<domain>/demo_<domain>.yaml (a group file like
// tasks/math/math.yaml) with its task YAMLs and JSONL items, for the four
// domains, making the directories and replacing the files it owns atomically.
// InputError when eval_items_per_task exceeds what the world holds out.
void write_world_suites(const WorldOptions& options, const std::filesystem::path& tasks_dir);

// 2-3 full documents typical of the domain: mergekit positive_prompts for its
// expert. InputError on an unknown domain.
std::vector<std::string> positive_prompts(const std::string& domain);

}  // namespace moebench::world
