#include "harness/world/demo_world.h"

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "harness/world/coding_domain.h"
#include "harness/world/math_domain.h"
#include "harness/world/roleplay_domain.h"
#include "harness/world/suite_writer.h"
#include "harness/world/truth_domain.h"
#include "harness/world/world_random.h"

namespace moebench::world {
namespace {

using DocumentMaker = std::vector<std::string> (*)(Knowledge, int64_t, uint64_t);

DocumentMaker documents_of(const std::string& domain) {
  if (domain == "math") return math_documents;
  if (domain == "coding") return coding_documents;
  if (domain == "truthfulness") return truth_documents;
  if (domain == "roleplay") return roleplay_documents;
  const std::string near = closest_match(domain, domain_names());
  fail_input("demo world", "unknown domain '{}'{}", domain,
             near.empty() ? "" : " (did you mean '" + near + "'?)");
}

void check_options(const WorldOptions& options) {
  if (options.base_docs_per_domain < 0 || options.expert_docs < 0 || options.eval_items_per_task < 1) {
    fail_input("demo world", "document counts must be >= 0 and eval_items_per_task >= 1, got {}, {}, {}",
               options.base_docs_per_domain, options.expert_docs, options.eval_items_per_task);
  }
}

}  // namespace

const std::vector<std::string>& domain_names() {
  static const std::vector<std::string> names = {"math", "coding", "truthfulness", "roleplay"};
  return names;
}

WorldCorpus make_world_corpus(const WorldOptions& options) {
  check_options(options);
  WorldCorpus corpus;
  for (const std::string& domain : domain_names()) {
    DocumentMaker make = documents_of(domain);
    for (std::string& doc : make(Knowledge::Partial, options.base_docs_per_domain, options.seed)) {
      corpus.base.push_back(std::move(doc));
    }
    corpus.experts[domain] = make(Knowledge::Full, options.expert_docs, options.seed);
  }
  // Mixed so that every stretch of base training sees all four domains.
  WorldRandom rng(options.seed, "base/mix");
  rng.shuffle(corpus.base);
  return corpus;
}

void write_world_suites(const WorldOptions& options, const std::filesystem::path& tasks_dir) {
  check_options(options);
  // Every suite is rendered before any file is written: a count the world
  // cannot satisfy leaves the directory as it was.
  for (const SuiteFile& suite : demo_suites(options.seed, options.eval_items_per_task)) {
    write_suite(suite, tasks_dir);
  }
}

std::vector<std::string> positive_prompts(const std::string& domain) {
  documents_of(domain);  // names an unknown domain
  if (domain == "math") return math_positive_prompts();
  if (domain == "coding") return coding_positive_prompts();
  if (domain == "truthfulness") return truth_positive_prompts();
  return roleplay_positive_prompts();
}

}  // namespace moebench::world
