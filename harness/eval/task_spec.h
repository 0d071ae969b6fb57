// A task spec: one lm-evaluation-harness-style task YAML (tasks/<suite>/<task>.yaml),
// loaded, `include:`-resolved and validated. Every key, its default and its
// lm-eval meaning is listed here; tasks/README.md documents the file format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace moebench::eval {

enum class OutputType { MultipleChoice, GenerateUntil, LoglikelihoodRolling };
// "multiple_choice" | "generate_until" | "loglikelihood_rolling".
std::string to_string(OutputType type);

// One step of a filter pipeline (lm-eval's filter functions, and `strip`).
struct FilterStep {
  // regex | take_first | take_first_k | majority_vote | strip | lowercase | uppercase |
  // remove_whitespace
  std::string function;
  std::string regex_pattern = R"(#### (\-?[0-9\.\,]+))";  // regex: lm-eval's RegexFilter default
  int64_t group_select = 0;  // regex: which match of findall; negative counts from the end
  std::string fallback = "[invalid]";  // regex: the result when nothing matches
  int64_t k = 1;                       // take_first_k
};

// A named pipeline (`filter_list` entry); every metric is computed after each one.
struct FilterSpec {
  std::string name;
  std::vector<FilterStep> steps;
};

// A metric, as lm-eval defines it (metrics.h has the formulas):
//   multiple_choice       acc, acc_norm (ll / code points), acc_bytes (ll / UTF-8 bytes),
//                         exact_match (the gold continuation is greedy), mc2 (probability
//                         mass of the choices labelled 1 in the labels beside the choices),
//                         mc1 (TruthfulQA: argmax over the document's mc1_targets.choices
//                         only, located among the scored choices; acc without mc1_targets)
//   generate_until        exact_match, rougeL (max over references), pass@K or
//                         pass_at_k with k: [..] (reported as pass@K)
//   loglikelihood_rolling perplexity (per token), word_perplexity, byte_perplexity,
//                         bits_per_byte (weighted over the whole task, no stderr)
struct MetricSpec {
  std::string metric;
  std::string aggregation;          // default: the metric's own (mean, or the weighted ones)
  bool higher_is_better = true;     // default false for the perplexities and bits_per_byte
  bool ignore_case = false;         // exact_match: lowercase both sides
  bool ignore_punctuation = false;  // exact_match: drop ASCII punctuation (string.punctuation)
  std::vector<std::string> regexes_to_ignore;  // exact_match: removed from both sides first
  std::vector<int64_t> k;                      // pass_at_k: the k values, reported as "pass@K"
};

struct GenerationKwargs {
  // Stop sequences. Without generation_kwargs, lm-eval stops at fewshot_delimiter.
  std::vector<std::string> until;
  int64_t max_gen_toks = 256;  // lm-eval's HFLM default
  bool do_sample = false;
  double temperature = 0.0, top_p = 1.0;
};

// lm-eval's fewshot_config: how few-shot examples are drawn and rendered.
struct FewshotConfig {
  std::string sampler = "default";         // default (seeded random.sample) | first_n
  std::string doc_to_text, doc_to_target;  // empty: the task's own templates
};

struct TaskSpec {
  std::string task;                    // required; the task's name
  std::string source;                  // the YAML file it came from (for messages), or "<adapter>"
  std::filesystem::path dataset_path;  // items JSONL; relative paths resolve against the YAML
  std::filesystem::path fewshot_path;  // optional few-shot JSONL; empty: draw from the items
  int64_t num_fewshot = 0;
  uint64_t fewshot_seed = 1234;  // lm-eval's default fewshot_random_seed
  FewshotConfig fewshot_config;
  OutputType output_type = OutputType::GenerateUntil;
  // Templates with {{field}}, {{field.sub}}, {{list[0]}}; a bare top-level field name
  // also selects that field (lm-eval's "feature name" form).
  std::string doc_to_text;
  // A template (or field) giving the target text, or for multiple_choice the gold
  // index; `doc_to_target_index` holds a literal integer (lm-eval `doc_to_target: 0`).
  std::string doc_to_target;
  std::optional<int64_t> doc_to_target_index;
  // multiple_choice: a template naming one list field ("{{mc1_targets.choices}}")
  // or a literal list (`doc_to_choice_list`).
  std::string doc_to_choice;
  std::vector<std::string> doc_to_choice_list;
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
  std::string description;  // prepended to the prompt (system message under chat)
  GenerationKwargs generation_kwargs;
  int64_t repeats = 1;                  // generations per document (pass@k with k > 1)
  std::vector<FilterSpec> filter_list;  // empty: one "none" pipeline (take_first)
  std::vector<MetricSpec> metric_list;  // empty: lm-eval's defaults for output_type
  // A registered scorer replacing the standard one (lm-eval's process_results);
  // "mc2": TruthfulQA's mc2 reported as "acc".
  std::string process_results;
  nlohmann::json metadata = nlohmann::json::object();  // metadata.version is the task version
  nlohmann::json config = nlohmann::json::object();    // the merged YAML, for results "configs"

  double version() const;
};

// Loads tasks/<suite>/<task>.yaml: resolves `include:` (the included file's keys,
// overridden by the including file's), resolves dataset_path/fewshot_path against
// the YAML's folder, fills defaults and validates. InputError naming the file,
// the line, the key and the value on anything unknown, mistyped or out of range
// (with a "did you mean" for unknown keys and values).
TaskSpec load_task_spec(const std::filesystem::path& yaml_path);

// Fills defaults that depend on other keys (metric_list, until) and checks the
// combination (metrics valid for output_type, regexes compile under RE2, required
// templates present). load_task_spec calls it; adapters building a spec in code do too.
void finalize_task_spec(TaskSpec& spec);

// The metric names a MetricSpec may use, for messages and "did you mean".
std::vector<std::string> known_metric_names();

}  // namespace moebench::eval
