// moebench: evaluate Mixture-of-Experts language models.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "harness/cli/commands.h"
#include "harness/util/error.h"

namespace moebench::cli {

void ModelFlags::add_to(CLI::App* command) {
  command->add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
  command->add_option("--dtype", options.dtype, "float32, bfloat16, float16 or auto (config's)")
      ->capture_default_str();
  command->add_option("--threads", options.threads, "CPU threads (0: libtorch default)");
  command->add_option("--gates", options.gates_file,
                      "Replace the routers with a `moebench gates` file (MoE models and recipes)");
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
  moebench::cli::register_db(app);
  moebench::cli::install_recipe_loader();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const moebench::InputError& e) {
    std::fprintf(stderr, "moebench: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moebench: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
