// Each `moebench` subcommand registers itself on the app; the callbacks are
// thin: parse flags, call the library, print.
#pragma once

#include <CLI/CLI.hpp>

#include "harness/model/language_model.h"

namespace moebench::cli {

// --device / --dtype / --threads, shared by every command that loads a model.
struct ModelFlags {
  model::LoadOptions options;
  void add_to(CLI::App* command);
};

void register_inspect(CLI::App& app);
void register_generate(CLI::App& app);
void register_score(CLI::App& app);
void register_logits(CLI::App& app);
void register_make_tiny(CLI::App& app);
void register_demo(CLI::App& app);

}  // namespace moebench::cli
