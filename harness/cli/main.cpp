// moebench: evaluate Mixture-of-Experts language models.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <exception>

#include "harness/cli/commands.h"
#include "harness/util/error.h"
#include "harness/util/interrupt.h"
#include "harness/util/text.h"
#include "harness/util/thread_count.h"

namespace moebench::cli {

void ModelFlags::add_to(CLI::App* command, Use use) {
  const bool plan = use == Use::OverridePlan;
  if (use == Use::WithModel) {
    command->add_option("MODEL", model, "Model directory (Hugging Face layout) or mergekit-moe recipe (.yml)");
    command->add_option("--model", model, "The same as MODEL");
  }
  const auto help = [plan](const char* text, const char* key) {
    return plan ? fmt::format("{} (overrides the plan's settings.{})", text, key) : std::string(text);
  };
  device = command->add_option("--device", options.load.device, help("cpu, cuda or cuda:N", "device"));
  dtype = command->add_option("--dtype", options.load.dtype,
                              help("float32, bfloat16, float16 or auto (config's)", "dtype"));
  threads = command->add_option("--threads", options.load.threads, help("CPU threads (0: every core this process may use)", "threads"))
                ->check(CLI::Range(0, max_thread_count()));
  if (!plan) {
    device->capture_default_str();
    dtype->capture_default_str();
  }
  if (!plan && use != Use::OwnGates) {
    command->add_option("--gates", options.gates_file,
                        "Replace the routers with a `moebench gates` file (MoE models and recipes)");
  }
  models_dir = command->add_option(
      "--models-dir", options.models_dir,
      "Where a recipe's relative model paths are looked for (repeatable; default: the recipe's folder, "
      "then the working directory)");
}

void add_sandbox_flags(CLI::App* command, bool& allow_unsandboxed, int& workers) {
  command->add_flag("--allow-unsandboxed-code", allow_unsandboxed,
                    "Run generated code without bubblewrap if bubblewrap is unusable (dangerous)");
  command->add_option("--sandbox-workers", workers, "Parallel programs (0: all cores)")->check(CLI::Range(0, 1024));
}

const std::string& ModelFlags::required_model(const std::string& command) const {
  if (model.empty()) fail_input(command, "give the model as MODEL or --model (a directory or a recipe .yml)");
  return model;
}

namespace {
std::string& recorded_invocation() {
  static std::string text;
  return text;
}
}  // namespace

void record_invocation(int argc, char** argv) {
  std::string& text = recorded_invocation();
  text = "moebench";
  for (int i = 1; i < argc; ++i) text += " " + shell_quote(argv[i]);
}

const std::string& invocation() { return recorded_invocation(); }

std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e) {
  const auto parsed = app.get_subcommands();
  if (parsed.empty()) {
    // `moebench evl`: CLI11 would say "arguments not expected"; name the command.
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
      const std::string word = argv[i];
      if (word.empty() || word[0] == '-') continue;
      const std::string near = closest_match(word, names);
      return fmt::format("unknown command '{}'{}; commands: {} (see 'moebench --help')", word,
                         near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                         fmt::join(names, ", "));
    }
    return fmt::format("{} (see 'moebench --help')", e.what());
  }
  const std::string name = parsed.front()->get_name();
  return fmt::format("{}: {} (see 'moebench {} --help')", name, e.what(), name);
}

}  // namespace moebench::cli

int main(int argc, char** argv) {
  CLI::App app{
      "moebench: build, evaluate and inspect Mixture-of-Experts language models\n"
      "(Llama, Mistral and Mixtral in Hugging Face format, frankenMoEs from mergekit-moe recipes)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "moebench 0.1.0");
  moebench::cli::register_demo(app);
  moebench::cli::register_eval(app);
  moebench::cli::register_run(app);
  moebench::cli::register_inspect(app);
  moebench::cli::register_generate(app);
  moebench::cli::register_score(app);
  moebench::cli::register_logits(app);
  moebench::cli::register_make_tiny(app);
  moebench::cli::register_merge(app);
  moebench::cli::register_gates(app);
  moebench::cli::register_ablate(app);
  moebench::cli::register_bench(app);
  moebench::cli::register_db(app);
  moebench::cli::register_report(app);
  moebench::cli::record_invocation(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fprintf(stderr, "moebench: error: %s\n",
                 moebench::one_line(moebench::cli::usage_error(app, argc, argv, e)).c_str());
    return 2;
  } catch (const moebench::Interrupted& e) {
    std::fprintf(stderr, "moebench: %s\n", moebench::one_line(e.what()).c_str());
    return 128 + e.signal();
  } catch (const moebench::InputError& e) {
    std::fprintf(stderr, "moebench: error: %s\n", moebench::one_line(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moebench: internal error: %s\n", moebench::one_line(e.what()).c_str());
    return 1;
  }
  return 0;
}
