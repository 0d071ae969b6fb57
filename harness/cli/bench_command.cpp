// moebench bench --arch llama --hidden 768 ...: the speed of a model shape.
#include <fmt/format.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/jobs/bench_job.h"
#include "harness/util/thread_count.h"

namespace moebench::cli {

void register_bench(CLI::App& app) {
  struct Args {
    jobs::BenchOptions options;
    std::string save, model;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "bench",
      "Measure a model shape: a random model of that shape is written as a Hugging Face directory\n"
      "(kept with --save, so other engines can be timed on the same weights), loaded as every command\n"
      "loads a model, then timed: load to first token, scoring (logits at every position) and greedy\n"
      "decoding, each as mean ± stdev over --repeats runs after --warmup runs");
  auto& s = a->options.shape;
  s.arch = "llama";
  s.hidden_size = 768;
  s.intermediate_size = 2048;
  s.num_layers = 12;
  s.num_heads = 12;
  s.num_kv_heads = 4;
  s.vocab_size = 32000;
  s.max_position_embeddings = 2048;
  auto* model = cmd->add_option("--model", a->model, "Measure this model directory instead of a random model");
  std::vector<CLI::Option*> shape = {
      cmd->add_option("--arch", s.arch, "llama, mistral or mixtral"),
      cmd->add_option("--hidden", s.hidden_size, "hidden_size"),
      cmd->add_option("--layers", s.num_layers, "num_hidden_layers"),
      cmd->add_option("--heads", s.num_heads, "num_attention_heads"),
      cmd->add_option("--kv-heads", s.num_kv_heads, "num_key_value_heads"),
      cmd->add_option("--intermediate", s.intermediate_size, "intermediate_size"),
      cmd->add_option("--vocab", s.vocab_size, "vocabulary size"),
      cmd->add_option("--experts", s.num_experts, "num_local_experts (mixtral)"),
      cmd->add_option("--top-k", s.experts_per_token, "num_experts_per_tok (mixtral)"),
      cmd->add_option("--seed", s.seed, "random seed of the weights"),
      cmd->add_option("--save", a->save,
                      "Keep the random model in this new directory (safetensors, config.json, tokenizer.model); "
                      "default: a temporary directory, removed at the end")};
  for (CLI::Option* option : shape) option->capture_default_str()->excludes(model);
  auto& load = a->options.load;
  cmd->add_option("--device", load.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--dtype", load.dtype, "float32, bfloat16 or float16 (bfloat16 on disk for the last two)")
      ->capture_default_str();
  cmd->add_option("--threads", load.threads, "CPU threads (0: every core this process may use)")
      ->check(CLI::Range(0, max_thread_count()));
  auto& o = a->options;
  cmd->add_option("--warmup", o.warmup, "untimed runs before each measurement")->capture_default_str();
  cmd->add_option("--repeats", o.repeats, "timed runs of each measurement")->capture_default_str();
  cmd->add_option("--score-tokens", o.score_tokens, "tokens per scored sequence")->capture_default_str();
  cmd->add_option("--score-batches", o.score_batches, "batch sizes for scoring (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--decode-tokens", o.decode_tokens, "new tokens per decoded sequence (one-token prompt)")
      ->capture_default_str();
  cmd->add_option("--decode-batches", o.decode_batches, "batch sizes for decoding (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "Print the rows as JSON instead of a table");
  cmd->callback([a] {
    a->options.save_dir = a->save;
    a->options.model_dir = a->model;
    const auto report = jobs::run_bench(a->options, [](const std::string& line) { std::cerr << "bench: " << line << "\n"; });
    if (a->json) {
      std::cout << jobs::bench_json(report).dump(2) << "\n";
    } else {
      std::cout << jobs::bench_table(report);
      if (!report.model_dir.empty()) std::cout << "\nmodel kept in " << report.model_dir.string() << "\n";
    }
  });
}

}  // namespace moebench::cli
