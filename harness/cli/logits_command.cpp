// moebench logits MODEL --ids ...: logits at every position (and routing), as JSON,
// for comparisons with other implementations.
#include <nlohmann/json.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::cli {
namespace {

// Collects per-position, per-layer top-k routing of a single sequence.
class RoutingCollector : public model::RoutingSink {
 public:
  explicit RoutingCollector(size_t positions) : per_position_(positions) {}
  void on_routing(const model::RoutingEvent& e) override {
    for (int64_t t = 0; t < e.seq; ++t) {
      nlohmann::json layer = {{"layer", e.layer}, {"experts", nlohmann::json::array()},
                              {"weights", nlohmann::json::array()}};
      for (int64_t k = 0; k < e.top_k; ++k) {
        layer["experts"].push_back(e.expert_ids[t * e.top_k + k]);
        layer["weights"].push_back(e.weights[t * e.top_k + k]);
      }
      per_position_[e.positions[t]].push_back(layer);
    }
  }
  nlohmann::json json() const { return per_position_; }

 private:
  std::vector<nlohmann::json> per_position_;
};

}  // namespace

void register_logits(CLI::App& app) {
  struct Args {
    std::string ids;
    bool json = false, routing = false;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("logits", "Logits at every position of a token sequence");
  cmd->add_option("--ids", a->ids, "Token ids 1,2,3,...")->required();
  cmd->add_flag("--json", a->json, "Print JSON (the only output format; accepted for clarity)");
  cmd->add_flag("--routing", a->routing, "Add each layer's top-k experts and weights (MoE models)");
  a->flags.add_to(cmd);
  cmd->callback([a] {
    auto lm = jobs::open_model(a->flags.required_model("logits"), a->flags.options);
    std::vector<int32_t> ids;
    for (int64_t v : parse_int_list(a->ids, "--ids")) {
      if (v < INT32_MIN || v > INT32_MAX) fail_input("--ids", "id {} out of range", v);
      ids.push_back(static_cast<int32_t>(v));
    }
    if (a->routing && !lm->config().is_moe()) {
      fail_input("--routing", "{} is a dense {} model without routers", a->flags.model,
                 lm->config().architecture);
    }
    RoutingCollector collector(ids.size());
    auto logits = lm->logits(ids, a->routing ? &collector : nullptr);
    nlohmann::json out = {{"model", a->flags.model}, {"tokens", ids}, {"logits", logits}};
    if (a->routing) out["routing"] = collector.json();
    std::cout << out.dump() << "\n";
  });
}

}  // namespace moebench::cli
