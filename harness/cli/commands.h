// Each `moebench` subcommand registers itself on the app; the callbacks are
// thin: parse flags, call the library, print.
#pragma once

#include <CLI/CLI.hpp>

#include "harness/jobs/open_model.h"

namespace moebench::merge {
struct MergeOptions;
struct GateDiagnostics;
}  // namespace moebench::merge

namespace moebench::cli {

// The model argument (MODEL or --model: a directory or a merge recipe) and
// --device / --dtype / --threads / --gates / --models-dir, the same on every
// command that loads a model.
struct ModelFlags {
  std::string model;
  jobs::OpenModelOptions options;
  CLI::Option *device = nullptr, *dtype = nullptr, *threads = nullptr, *models_dir = nullptr;
  // WithModel: MODEL and --model too; WithoutModel: the command makes its own
  // (demo); OverridePlan: `run`, whose plan names models and settings;
  // OwnGates: `ablate`, which computes every model's gates (no --gates).
  enum class Use { WithModel, WithoutModel, OverridePlan, OwnGates };
  void add_to(CLI::App* command, Use use = Use::WithModel);
  // The model given, or InputError naming both spellings.
  const std::string& required_model(const std::string& command) const;
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
void register_report(CLI::App& app);
void register_ablate(CLI::App& app);
void register_bench(CLI::App& app);

// --allow-unsandboxed-code and --sandbox-workers of the commands that run generated code.
void add_sandbox_flags(CLI::App* command, bool& allow_unsandboxed, int& workers);
// --device / --seed / --models-dir / --threads / --i-understand-... of merge and gates.
void add_recipe_flags(CLI::App* command, merge::MergeOptions& options);
// Per-layer router diagnostics on stdout, warnings on stderr.
void print_gate_report(const merge::GateDiagnostics& diagnostics);
// This process's command line, shell-quoted (what resumes an interrupted run);
// main() records it before parsing.
void record_invocation(int argc, char** argv);
const std::string& invocation();
// A command-line error as one line naming the command, the bad word and the
// --help to read; for an unknown command, the closest known one.
std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e);

}  // namespace moebench::cli
