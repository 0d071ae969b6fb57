// moebench generate MODEL --prompt TEXT: greedy continuation.
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/util/error.h"

namespace moebench::cli {

void register_generate(CLI::App& app) {
  struct Args {
    std::vector<std::string> prompts, stop;
    int max_new_tokens = 64, batch_size = 8;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("generate", "Greedy generation from one or more prompts");
  cmd->add_option("--prompt", a->prompts, "Prompt text (repeat for a batch)")->required();
  cmd->add_option("--max-new-tokens", a->max_new_tokens, "Tokens to generate at most")
      ->capture_default_str();
  cmd->add_option("--stop", a->stop, "Stop sequence (repeatable)");
  cmd->add_option("--batch-size", a->batch_size, "Prompts per forward pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  a->flags.add_to(cmd);
  cmd->callback([a] {
    auto lm = jobs::open_model(a->flags.required_model("generate"), a->flags.options);
    std::vector<model::GenerationRequest> requests;
    for (const auto& p : a->prompts) {
      requests.push_back({lm->tokenizer().encode(p), a->max_new_tokens, a->stop});
    }
    auto results = lm->generate(requests, a->batch_size);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results.size() > 1) std::cout << "--- [" << i << "] (" << results[i].stop_reason << ")\n";
      std::cout << a->prompts[i] << results[i].text << "\n";
    }
  });
}

}  // namespace moebench::cli
