// Each `moebench` subcommand registers itself on the app; the callbacks are
// thin: parse flags, call the library, print.
#pragma once

#include <CLI/CLI.hpp>

#include "harness/model/language_model.h"

namespace moebench::merge {
struct MergeOptions;
struct GateDiagnostics;
}  // namespace moebench::merge

namespace moebench::cli {

// --device / --dtype / --threads, shared by every command that loads a model.
struct ModelFlags {
  model::LoadOptions options;
  void add_to(CLI::App* command);
};

void register_eval(CLI::App& app);
void register_run(CLI::App& app);
void register_inspect(CLI::App& app);
void register_generate(CLI::App& app);
void register_score(CLI::App& app);
void register_logits(CLI::App& app);
void register_make_tiny(CLI::App& app);
void register_demo(CLI::App& app);
void register_merge(CLI::App& app);
void register_gates(CLI::App& app);
void register_db(CLI::App& app);

// Lets every command that loads a model (LanguageModel::load) take a merge
// recipe (.yml / .yaml) in place of MODEL_DIR: the model is merged in memory.
void install_recipe_loader();
// --device / --seed / --models-dir / --threads / --i-understand-... of merge and gates.
void add_recipe_flags(CLI::App* command, merge::MergeOptions& options);
// Per-layer router diagnostics on stdout, warnings on stderr.
void print_gate_report(const merge::GateDiagnostics& diagnostics);
// A command-line error as one line naming the command, the bad word and the
// --help to read; for an unknown command, the closest known one.
std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e);

}  // namespace moebench::cli
