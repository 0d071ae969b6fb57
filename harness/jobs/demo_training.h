// `moebench demo --retrain`: makes the demo world's models from nothing. The
// world's generators (harness/world) give a mixed corpus with partial
// knowledge of four domains and one full-knowledge corpus per domain; the
// project's BPE trainer makes the tokenizer from all of it; a small Llama base
// is trained on the mixed corpus, and each expert is a copy of the base whose
// MLP weights alone are fine-tuned on its domain (attention stays the base's,
// as in a frankenMoE). Deterministic for a seed on one machine.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "harness/model/tiny_model.h"
#include "harness/train/lm_trainer.h"
#include "harness/world/demo_world.h"

namespace moebench::jobs {

struct DemoTrainingOptions {
  world::WorldOptions world;
  // arch llama; vocab_size is also the tokenizer's size. About 1M parameters.
  model::TinyModelSpec model;
  train::TrainOptions base;    // on the mixed corpus
  train::TrainOptions expert;  // per domain, MLP weights only
};

// The settings the shipped demo models were made with.
DemoTrainingOptions default_demo_training();

// Writes world_dir/base, world_dir/<domain> for each domain (Hugging Face
// directories, bf16), world_dir/tasks (the four suites) and
// world_dir/training.json (options, losses and times), each replaced whole,
// and the recipes (write_demo_recipes).
// Progress: one line per stage on `log`, and a bar with ETA per training.
void retrain_demo_world(const DemoTrainingOptions& options, const std::filesystem::path& world_dir,
                        std::ostream& log);

// Example documents per expert for the recipes of moebench's gate modes.
constexpr size_t kExamplePrompts = 32;

// The recipes over the world's models: demo-hidden.yml and
// demo-cheap-embed.yml (mergekit's modes, world::positive_prompts as each
// expert's prompts), demo-router-state.yml and demo-fitted.yml (moebench's,
// with prompts/<domain>.yml: kExamplePrompts documents of `corpus`).
void write_demo_recipes(const std::filesystem::path& world_dir, const world::WorldCorpus& corpus);

}  // namespace moebench::jobs
