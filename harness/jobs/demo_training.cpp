#include "harness/jobs/demo_training.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/io/bpe_trainer.h"
#include "harness/io/tokenizer.h"
#include "harness/train/trainable_weights.h"
#include "harness/util/atomic_path.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

using Documents = std::vector<std::vector<int32_t>>;

Documents tokenize(const io::Tokenizer& tokenizer, const std::vector<std::string>& texts) {
  Documents out;
  out.reserve(texts.size());
  for (const std::string& t : texts) out.push_back(tokenizer.encode(t));
  return out;
}

nlohmann::ordered_json describe(const train::TrainOptions& o, const train::TrainResult& r,
                                size_t documents) {
  // Mean of the first and last tenth of the steps: single steps are noisy.
  const size_t tenth = std::max<size_t>(1, r.losses.size() / 10);
  auto mean = [](auto begin, auto end) {
    double s = 0;
    for (auto it = begin; it != end; ++it) s += *it;
    return s / static_cast<double>(end - begin);
  };
  return {{"documents", documents},        {"steps", o.steps},
          {"batch_documents", o.batch_documents}, {"peak_lr", o.peak_lr},
          {"warmup_steps", o.warmup_steps}, {"mlp_only", o.mlp_only},
          {"seed", o.seed},
          {"loss_first_tenth", mean(r.losses.begin(), r.losses.begin() + tenth)},
          {"loss_last_tenth", mean(r.losses.end() - tenth, r.losses.end())},
          {"seconds", r.seconds}};
}

// JSON strings are YAML double-quoted scalars: newlines stay escapes.
std::string yaml_list(const std::vector<std::string>& texts, const std::string& indent) {
  std::string yaml;
  for (const std::string& t : texts) yaml += indent + "- " + nlohmann::json(t).dump() + "\n";
  return yaml;
}

// A mergekit-moe recipe over the world's models, one expert per domain. The
// mergekit modes take the domain's 2-3 example lines as positive prompts;
// moebench's own modes the many examples of prompts/<domain>.yml.
std::string demo_recipe(const std::string& gate_mode, bool many_prompts) {
  std::string yaml = fmt::format(
      "# The demo world's frankenMoE with {} `{}` gates: the base's attention, one\n"
      "# expert MLP per domain, routers from the positive prompts. Written by\n"
      "# `moebench demo --retrain` (harness/jobs/demo_training.cpp) with the world's\n"
      "# own example documents as prompts; `moebench merge` writes it as a model.\n"
      "base_model: base\ngate_mode: {}\ndtype: float32\nexperts_per_token: 2\nexperts:\n",
      many_prompts ? "moebench's" : "mergekit's", gate_mode, gate_mode);
  for (const std::string& domain : world::domain_names()) {
    yaml += fmt::format("  - source_model: {}\n", domain);
    yaml += many_prompts ? fmt::format("    positive_prompts_file: prompts/{}.yml\n", domain)
                         : "    positive_prompts:\n" + yaml_list(world::positive_prompts(domain), "      ");
  }
  return yaml;
}

}  // namespace

void write_demo_recipes(const fs::path& world_dir, const world::WorldCorpus& corpus) {
  for (const std::string& domain : world::domain_names()) {
    // Every k-th training document of the expert's corpus (never an evaluation item).
    const auto& docs = corpus.experts.at(domain);
    std::vector<std::string> examples;
    for (size_t i = 0; i < kExamplePrompts; ++i) examples.push_back(docs[i * docs.size() / kExamplePrompts]);
    write_file_atomic(world_dir / "prompts" / (domain + ".yml"),
                      "# Example documents of the " + domain + " expert's training corpus: its positive\n"
                      "# prompts in the moebench gate modes' recipes. Written by moebench demo --retrain.\n" +
                          yaml_list(examples, ""));
  }
  write_file_atomic(world_dir / "demo-hidden.yml", demo_recipe("hidden", false));
  write_file_atomic(world_dir / "demo-cheap-embed.yml", demo_recipe("cheap_embed", false));
  write_file_atomic(world_dir / "demo-router-state.yml", demo_recipe("router_state", true));
  write_file_atomic(world_dir / "demo-fitted.yml", demo_recipe("fitted", true));
}

DemoTrainingOptions default_demo_training() {
  DemoTrainingOptions o;
  model::TinyModelSpec& m = o.model;
  m.arch = "llama";
  m.hidden_size = 128;
  m.intermediate_size = 384;
  m.num_layers = 4;
  m.num_heads = 4;
  m.num_kv_heads = 2;
  m.vocab_size = 800;
  m.max_position_embeddings = 256;
  m.seed = 2026;
  o.base.steps = 1200;
  o.base.batch_documents = 64;
  o.base.peak_lr = 3e-3;
  o.base.warmup_steps = 50;
  o.base.seed = 1;
  o.base.label = "base";
  o.expert = o.base;
  o.expert.steps = 250;
  o.expert.peak_lr = 2e-3;
  o.expert.warmup_steps = 20;
  o.expert.mlp_only = true;
  o.expert.seed = 2;
  return o;
}

void retrain_demo_world(const DemoTrainingOptions& o, const fs::path& world_dir, std::ostream& log) {
  log << "  generating the world (seed " << o.world.seed << ")" << std::endl;
  const world::WorldCorpus corpus = world::make_world_corpus(o.world);
  std::vector<std::string> all = corpus.base;
  for (const auto& [domain, docs] : corpus.experts) all.insert(all.end(), docs.begin(), docs.end());

  log << fmt::format("  training the tokenizer ({} pieces) on {} documents", o.model.vocab_size, all.size())
      << std::endl;
  const std::string tokenizer_model =
      io::train_bpe_tokenizer(all, static_cast<int>(o.model.vocab_size), /*lone_newlines=*/true).serialize();
  const fs::path tokenizer_file =
      fs::temp_directory_path() / fmt::format("moebench-demo-tokenizer-{}.model", getpid());
  write_file_atomic(tokenizer_file, tokenizer_model);
  auto tokenizer = io::Tokenizer::from_model_file(tokenizer_file, /*add_bos=*/true, /*add_eos=*/true);
  fs::remove(tokenizer_file);

  nlohmann::ordered_json record = {{"world_seed", o.world.seed},
                                   {"model", model::tiny_config_json(o.model)}};
  log << fmt::format("  training the base on {} mixed documents ({} steps)", corpus.base.size(),
                     o.base.steps)
      << std::endl;
  auto base = train::initial_weights(o.model);
  const Documents base_docs = tokenize(*tokenizer, corpus.base);
  record["base"] = describe(o.base, train::train_language_model(base, base_docs, o.base), base_docs.size());
  train::save_llama_directory(*base, o.model, "bfloat16", tokenizer_model, world_dir / "base");

  for (const std::string& domain : world::domain_names()) {
    const Documents docs = tokenize(*tokenizer, corpus.experts.at(domain));
    log << fmt::format("  fine-tuning the {} expert's MLPs on {} documents ({} steps)", domain,
                       docs.size(), o.expert.steps)
        << std::endl;
    // Each expert starts from the base as shipped (bf16), so its attention,
    // norms and embeddings are bit for bit the base's.
    auto expert = train::load_trainable_weights(world_dir / "base");
    train::TrainOptions options = o.expert;
    options.label = domain;
    record["experts"][domain] = describe(options, train::train_language_model(expert, docs, options), docs.size());
    train::save_llama_directory(*expert, o.model, "bfloat16", tokenizer_model, world_dir / domain);
  }
  log << "  writing the suites and the recipes" << std::endl;
  world::write_world_suites(o.world, world_dir / "tasks");
  write_demo_recipes(world_dir, corpus);
  write_file_atomic(world_dir / "training.json", record.dump(2) + "\n");
}

}  // namespace moebench::jobs
