// The dataset registry and the text-task adapters (GSM8K, TruthfulQA, RoleBench);
// the coding adapters are in code_datasets.cpp. Each spec mirrors lm-eval's YAML
// of the same name, key for key; comments note where it departs.
#include "harness/eval/datasets.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/eval/dataset_util.h"
#include "harness/eval/doc_files.h"
#include "harness/io/json_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::eval {

const char* const kTruthfulQaPrimer =
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.";

fs::path dataset_file(const fs::path& path, const std::string& usual_name) {
  const fs::path file = fs::is_directory(path) ? path / usual_name : path;
  if (!fs::is_regular_file(file)) {
    fail_input(file.string(), "file not found (expected {}, or a folder holding it)", usual_name);
  }
  return file;
}

TaskSpec adapter_spec(const std::string& name, const fs::path& file, double version) {
  TaskSpec spec;
  spec.task = name;
  spec.source = fmt::format("{} adapter ({})", name, file.string());
  spec.dataset_path = file;
  spec.metadata = json{{"version", version}};
  return spec;
}

Task gsm8k_task(const fs::path& path) {
  const fs::path file = dataset_file(path, "test.jsonl");
  const fs::path train = file.parent_path() / "train.jsonl";
  if (!fs::is_regular_file(train)) {
    fail_input(file.string(),
               "GSM8K's 5-shot examples come from train.jsonl, not found beside it "
               "at {}",
               train.string());
  }
  TaskSpec spec = adapter_spec("gsm8k", file, 3.0);
  spec.fewshot_path = train;
  spec.output_type = OutputType::GenerateUntil;
  spec.doc_to_text = "Question: {{question}}\nAnswer:";
  spec.doc_to_target = "{{answer}}";
  spec.num_fewshot = 5;
  spec.generation_kwargs.until = {"Question:", "</s>", "<|im_end|>"};
  FilterStep strict{"regex", R"(#### (\-?[0-9\.\,]+))"};
  FilterStep flexible{"regex", R"((-?[$0-9.,]{2,})|(-?[0-9]+))", -1};
  spec.filter_list = {{"strict-match", {strict, FilterStep{"take_first"}}},
                      {"flexible-extract", {flexible, FilterStep{"take_first"}}}};
  MetricSpec em;
  em.metric = "exact_match";
  em.ignore_case = true;
  em.regexes_to_ignore = {",", R"(\$)", "(?s).*#### ", R"(\.$)"};
  spec.metric_list = {em};
  finalize_task_spec(spec);
  return Task(spec, read_jsonl(file), read_jsonl(train));
}

Task truthfulqa_task(const fs::path& path, bool mc2) {
  const fs::path file = dataset_file(path, "mc_task.json");
  // The original mc_task.json stores each target set as {answer: label}, in the
  // order lm-eval's Hugging Face copy lists as {choices, labels}: keep that order.
  const nlohmann::ordered_json raw = io::parse_ordered_json_text(read_text_file(file), file.string());
  if (!raw.is_array()) fail_input(file.string(), "expected a JSON list of questions");
  std::vector<json> docs;
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto& item = raw[i];
    const std::string where = fmt::format("{}: question {}", file.string(), i);
    if (!item.is_object() || !item.contains("question") || !item["question"].is_string()) {
      fail_input(where, "expected an object with a string 'question'");
    }
    json doc{{"question", item["question"].get<std::string>()}};
    for (const char* key : {"mc1_targets", "mc2_targets"}) {
      if (!item.contains(key) || !item[key].is_object() || item[key].empty()) {
        fail_input(where, "'{}' must be a non-empty object {{answer: 0 or 1}}", key);
      }
      json choices = json::array(), labels = json::array();
      for (const auto& [answer, label] : item[key].items()) {
        if (!label.is_number_integer())
          fail_input(where, "{}: label of '{}' is not 0/1", key, answer);
        choices.push_back(answer);
        labels.push_back(label.get<int>());
      }
      doc[key] = json{{"choices", choices}, {"labels", labels}};
    }
    docs.push_back(std::move(doc));
  }
  TaskSpec spec = adapter_spec(mc2 ? "truthfulqa_mc2" : "truthfulqa_mc1", file, mc2 ? 3.0 : 2.0);
  spec.output_type = OutputType::MultipleChoice;
  spec.doc_to_text = std::string(kTruthfulQaPrimer) + "\n\nQ: {{question}}\nA:";
  spec.doc_to_target = "0";
  spec.doc_to_target_index = 0;  // lm-eval: the gold (true) answer is listed first
  spec.doc_to_choice = mc2 ? "{{mc2_targets.choices}}" : "{{mc1_targets.choices}}";
  MetricSpec acc;
  acc.metric = "acc";
  spec.metric_list = {acc};
  if (mc2) spec.process_results = "mc2";  // lm-eval's utils.process_results_mc2
  finalize_task_spec(spec);
  return Task(spec, docs, {});
}

Task rolebench_task(const fs::path& path) {
  const fs::path file = dataset_file(path, "role_specific_test.jsonl");
  std::vector<json> docs = read_jsonl(file);
  // Not an lm-eval task: RoleBench scores in-character answers by ROUGE-L against
  // its reference answers (`generated`); the prompt names the role and asks the question.
  TaskSpec spec = adapter_spec("rolebench", file, 1.0);
  spec.output_type = OutputType::GenerateUntil;
  spec.description = "You are {{role}}. Answer the question in character, as {{role}} would.\n\n";
  spec.doc_to_text = "Question: {{question}}\nAnswer:";
  spec.doc_to_target = "{{generated}}";
  spec.generation_kwargs.until = {"\n\nQuestion:", "</s>", "<|im_end|>"};
  MetricSpec rouge;
  rouge.metric = "rougeL";
  spec.metric_list = {rouge};
  finalize_task_spec(spec);
  return Task(spec, std::move(docs), {});
}

const std::vector<DatasetAdapter>& dataset_adapters() {
  static const std::vector<DatasetAdapter> adapters = {
      {"gsm8k", "test.jsonl", gsm8k_task},
      {"humaneval", "HumanEval.jsonl.gz", humaneval_task},
      {"mbpp", "mbpp.jsonl", mbpp_task},
      {"truthfulqa_mc1", "mc_task.json",
       [](const fs::path& p) { return truthfulqa_task(p, false); }},
      {"truthfulqa_mc2", "mc_task.json",
       [](const fs::path& p) { return truthfulqa_task(p, true); }},
      {"rolebench", "role_specific_test.jsonl", rolebench_task},
  };
  return adapters;
}

std::vector<std::string> dataset_adapter_names() {
  std::vector<std::string> names;
  for (const auto& a : dataset_adapters()) names.push_back(a.name);
  return names;
}

Task load_dataset_task(const std::string& name, const fs::path& path) {
  for (const auto& a : dataset_adapters()) {
    if (a.name == name) return a.make(path);
  }
  const std::string near = closest_match(name, dataset_adapter_names());
  fail_input("--data", "unknown dataset '{}'{}; known: {}", name,
             near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
             fmt::join(dataset_adapter_names(), ", "));
}

std::pair<std::string, fs::path> parse_data_arg(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    fail_input("--data", "expected NAME=PATH (e.g. gsm8k=data/gsm8k/test.jsonl), got '{}'", arg);
  }
  return {arg.substr(0, eq), fs::path(arg.substr(eq + 1))};
}

}  // namespace moebench::eval
