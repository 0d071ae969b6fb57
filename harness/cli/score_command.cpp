// moebench score MODEL: log-probability of a continuation given a context.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::cli {

void register_score(CLI::App& app) {
  struct Args {
    std::string context, continuation, ids;
    int64_t from = -1;
    bool json = false;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "score", "Per-token log-probabilities of a continuation, their sum and the greedy flag");
  auto* ctx = cmd->add_option("--context", a->context, "Context text");
  auto* cont = cmd->add_option("--continuation", a->continuation, "Continuation text");
  auto* ids = cmd->add_option("--ids", a->ids, "Token ids 1,2,3,... (instead of text)");
  auto* from = cmd->add_option("--from", a->from, "With --ids: index of the first scored token");
  ctx->needs(cont);
  cont->needs(ctx);
  ids->needs(from);
  from->needs(ids);
  ids->excludes(ctx)->excludes(cont);
  cmd->add_flag("--json", a->json, "Print JSON");
  a->flags.add_to(cmd);
  cmd->callback([a, ids] {
    if (ids->count() == 0 && a->context.empty() && a->continuation.empty()) {
      fail_input("score", "give --context and --continuation, or --ids and --from");
    }
    auto lm = jobs::open_model(a->flags.required_model("score"), a->flags.options);
    model::LoglikelihoodRequest request;
    if (ids->count()) {
      std::vector<int64_t> all = parse_int_list(a->ids, "--ids");
      if (a->from < 1 || a->from >= static_cast<int64_t>(all.size())) {
        fail_input("--from", "expected 1 <= K < {} (the number of ids), got {}", all.size(),
                   a->from);
      }
      for (int64_t i = 0; i < static_cast<int64_t>(all.size()); ++i) {
        if (all[i] < INT32_MIN || all[i] > INT32_MAX) fail_input("--ids", "id {} out of range", all[i]);
        (i < a->from ? request.context : request.continuation).push_back(static_cast<int32_t>(all[i]));
      }
    } else {
      request = model::encode_pair(lm->tokenizer(), a->context, a->continuation);
    }
    model::LoglikelihoodResult r = lm->loglikelihood({request}, 1)[0];
    if (a->json) {
      nlohmann::json out = {{"context_ids", request.context},
                            {"continuation_ids", request.continuation},
                            {"token_logprobs", r.token_logprobs},
                            {"logprob", r.logprob},
                            {"is_greedy", r.is_greedy}};
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (size_t i = 0; i < r.token_logprobs.size(); ++i) {
      int32_t id = request.continuation[request.continuation.size() - r.token_logprobs.size() + i];
      std::cout << fmt::format("{:>8} {:<16} {:>12.6f}\n", id,
                               "'" + lm->tokenizer().id_to_piece(id) + "'", r.token_logprobs[i]);
    }
    std::cout << fmt::format("sum log-prob: {:.6f}   greedy: {}\n", r.logprob,
                             r.is_greedy ? "yes" : "no");
  });
}

}  // namespace moebench::cli
