// moebench demo: the main job on a built-in default. Builds a tiny random
// Mixtral with the project's own tokenizer, inspects it, generates from a
// prompt and shows which experts the generated tokens were routed to.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "harness/cli/commands.h"
#include "harness/io/model_config.h"
#include "harness/io/parameter_count.h"
#include "harness/model/tiny_model.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::cli {
namespace {

// Counts first-choice experts per layer over real tokens.
class FirstChoiceCounter : public model::RoutingSink {
 public:
  void on_routing(const model::RoutingEvent& e) override {
    for (int64_t i = 0; i < e.batch * e.seq; ++i) {
      if (e.valid[i]) ++counts_[e.layer][e.expert_ids[i * e.top_k]];
    }
  }
  const std::map<int, std::map<int, int64_t>>& counts() const { return counts_; }

 private:
  std::map<int, std::map<int, int64_t>> counts_;
};

}  // namespace

void register_demo(CLI::App& app) {
  struct Args {
    std::string prompt = "Once upon a time";
    int max_new_tokens = 24;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "demo", "Build a tiny random Mixtral, inspect it, generate and show its routing");
  cmd->add_option("--prompt", a->prompt, "Prompt")->capture_default_str();
  cmd->add_option("--max-new-tokens", a->max_new_tokens, "Tokens to generate")
      ->capture_default_str();
  a->flags.add_to(cmd, ModelFlags::Use::WithoutModel);
  cmd->callback([a] {
    fs::path dir = fs::temp_directory_path() / fmt::format("moebench-demo-{}", getpid());
    struct Cleanup {
      fs::path p;
      ~Cleanup() { std::error_code ec; fs::remove_all(p, ec); }
    } cleanup{dir};
    model::TinyModelSpec spec;  // defaults: 2 layers, 4 experts, top-2
    model::make_tiny_model(spec, dir);

    auto lm = jobs::open_model(dir.string(), a->flags.options);
    const auto& c = lm->config();
    io::ParameterCounts counts = io::count_parameters(c);
    std::cout << fmt::format("tiny {}: {} layers, {} experts (top-{}), {} parameters, {} active\n",
                             c.architecture, c.num_layers, c.num_experts, c.experts_per_token,
                             with_thousands(counts.total), with_thousands(counts.active));
    FirstChoiceCounter routing;
    auto result = lm->generate({{lm->tokenizer().encode(a->prompt), a->max_new_tokens, {}}}, 1,
                               &routing)[0];
    std::cout << "prompt:     " << a->prompt << "\n";
    std::cout << "generation: " << result.text << "  [" << result.tokens.size() << " tokens, "
              << result.stop_reason << "; random weights, so expect nonsense]\n";
    std::cout << "first-choice expert per layer (tokens routed):\n";
    for (const auto& [layer, experts] : routing.counts()) {
      std::string row = fmt::format("  layer {}:", layer);
      for (int64_t e = 0; e < c.num_experts; ++e) {
        auto it = experts.find(static_cast<int>(e));
        row += fmt::format("  e{}={}", e, it == experts.end() ? 0 : it->second);
      }
      std::cout << row << "\n";
    }
  });
}

}  // namespace moebench::cli
