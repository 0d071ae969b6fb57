// moebench merge RECIPE --out DIR: a mergekit-moe recipe written as a Mixtral
// directory (streaming, atomic).
#include <fmt/format.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_recipe.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/merge/moe_assembly.h"
#include "harness/merge/staged_directory.h"
#include "harness/util/error.h"
#include "harness/util/interrupt.h"
#include "harness/util/text.h"
#include "harness/util/thread_count.h"

namespace moebench::cli {

void add_recipe_flags(CLI::App* cmd, merge::MergeOptions& options) {
  cmd->add_option("--device", options.device,
                  "Where the gate forward pass runs: auto (GPU when present), cpu, cuda or cuda:N")
      ->capture_default_str();
  cmd->add_option("--seed", options.seed, "Seed of random / uniform_random gates and noise_scale")
      ->capture_default_str();
  cmd->add_option("--models-dir", options.search_dirs,
                  "Directory relative model paths are tried against (repeatable; default: the "
                  "recipe's directory, then the working directory)");
  cmd->add_option("--threads", options.threads, "CPU threads (0: every core this process may use)")
      ->check(CLI::Range(0, max_thread_count()));
  cmd->add_flag("--i-understand-this-is-not-useful-without-training", options.allow_all_same,
                "Allow a recipe whose experts are all the same model (as mergekit-moe)");
}

void print_gate_report(const merge::GateDiagnostics& diagnostics) {
  std::cout << "router diagnostics (condition number of each layer's router; most similar experts):\n"
            << diagnostics.table();
  for (const std::string& warning : diagnostics.warnings) std::cerr << "warning: " << warning << "\n";
}

void register_merge(CLI::App& app) {
  struct Args {
    std::string recipe, out, max_shard = "5GB", gates;
    merge::MergeOptions options;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("merge", "Build a Mixtral frankenMoE from a mergekit-moe recipe");
  cmd->add_option("RECIPE", a->recipe, "mergekit-moe YAML recipe")->required();
  cmd->add_option("--out", a->out, "Output directory (must not exist unless --overwrite)")->required();
  cmd->add_option("--layout", a->options.layout, "Tensor layout: v4 (transformers v4, vLLM, llama.cpp) or v5")
      ->capture_default_str();
  cmd->add_option("--max-shard-size", a->max_shard, "Largest safetensors shard (5GB, 500MB, 2GiB, bytes)")
      ->capture_default_str();
  cmd->add_option("--gates", a->gates, "Router weights from a `moebench gates` file instead of computing them");
  cmd->add_flag("--overwrite", a->options.overwrite, "Replace an existing output directory");
  add_recipe_flags(cmd, a->options);
  cmd->callback([a] {
    a->options.max_shard_bytes = merge::parse_byte_size(a->max_shard, "--max-shard-size");
    a->options.gates_file = a->gates;
    merge::MergeRecipe recipe = merge::MergeRecipe::load(a->recipe);
    // Ctrl-C / SIGTERM: stop at the next tensor and let the writer remove its
    // staging directory, rather than die and leave it behind.
    InterruptScope interrupt;
    a->options.on_tensor_written = [out = a->out](int64_t, int64_t) {
      if (InterruptScope::requested()) fail_input(out, "merge interrupted; nothing was written");
    };
    merge::MergeSummary s = merge::merge_recipe_to_directory(recipe, a->out, a->options);
    for (const std::string& source : s.sources) std::cout << source << "\n";
    for (const std::string& note : s.notes) std::cerr << "note: " << note << "\n";
    std::cout << fmt::format("gates: {} ({}), {:.2f} s\n", merge::gate_mode_name(recipe.gate_mode),
                             a->gates.empty() ? "computed in float32 on " + merge::gate_device(a->options) : a->gates,
                             s.gate_seconds);
    print_gate_report(s.diagnostics);
    std::cout << fmt::format("wrote {}: {} tensors, {} in {} files, {:.2f} s\n", s.out_dir.string(), s.tensors,
                             human_bytes(static_cast<double>(s.tensor_bytes)), s.files.size(), s.write_seconds);
  });
}

}  // namespace moebench::cli
