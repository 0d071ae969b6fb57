// The coding adapters: HumanEval and MBPP as lm-eval's humaneval.yaml and
// mbpp.yaml define them (pass@1, greedy, the programs of code_programs.h).
#include <fmt/format.h>

#include <algorithm>

#include "harness/eval/dataset_util.h"
#include "harness/eval/datasets.h"
#include "harness/eval/doc_files.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::eval {

Task humaneval_task(const fs::path& path) {
  const fs::path file = dataset_file(path, "HumanEval.jsonl.gz");
  TaskSpec spec = adapter_spec("humaneval", file, 1.0);
  spec.output_type = OutputType::GenerateUntil;
  spec.doc_to_text = "{{prompt}}";
  spec.doc_to_target = "{{test}}\ncheck({{entry_point}})";
  spec.generation_kwargs.until = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};
  spec.generation_kwargs.max_gen_toks = 1024;
  // lm-eval's "create_test" filter prepends the prompt; build_program does that here.
  spec.filter_list = {{"create_test", {}}};
  MetricSpec pass;
  pass.metric = "pass_at_k";
  pass.k = {1};
  spec.metric_list = {pass};
  finalize_task_spec(spec);
  return Task(spec, read_jsonl(file), {});
}

Task mbpp_task(const fs::path& path) {
  const fs::path file = dataset_file(path, "mbpp.jsonl");
  std::vector<json> test, fewshot;
  for (json& doc : read_jsonl(file)) {
    const int64_t id = doc.contains("task_id") && doc["task_id"].is_number_integer()
                           ? doc["task_id"].get<int64_t>()
                           : -1;
    // The standard split (Hugging Face "full"): test = task_ids 11-510; the
    // prompting examples 2-4 are lm-eval's fixed 3 shots, in this order.
    if (id >= 11 && id <= 510)
      test.push_back(std::move(doc));
    else if (id >= 2 && id <= 4)
      fewshot.push_back(std::move(doc));
  }
  if (test.size() != 500 || fewshot.size() != 3) {
    fail_input(file.string(),
               "expected MBPP's 974 tasks (test task_ids 11-510 and prompt "
               "task_ids 2-4), found {} test and {} prompt tasks",
               test.size(), fewshot.size());
  }
  std::sort(fewshot.begin(), fewshot.end(),
            [](const json& a, const json& b) { return a["task_id"] < b["task_id"]; });
  TaskSpec spec = adapter_spec("mbpp", file, 1.0);
  spec.output_type = OutputType::GenerateUntil;
  spec.doc_to_text =
      "You are an expert Python programmer, and here is your task: {{text}} Your code should "
      "pass these tests:\n\n{{test_list[0]}}\n{{test_list[1]}}\n{{test_list[2]}}\n[BEGIN]\n";
  // mbpp.yaml's doc_to_target is "{% if is_fewshot is defined %}{{code}}\n[DONE]{% else %}
  // <the three asserts>{% endif %}": the few-shot branch is fewshot_config.doc_to_target.
  spec.doc_to_target = "{{test_list[0]}}\n{{test_list[1]}}\n{{test_list[2]}}";
  spec.fewshot_config.doc_to_target = "{{code}}\n[DONE]";
  spec.fewshot_config.sampler = "first_n";
  spec.target_delimiter = "";
  spec.num_fewshot = 3;
  spec.generation_kwargs.until = {"[DONE]"};
  MetricSpec pass;
  pass.metric = "pass@1";
  spec.metric_list = {pass};
  finalize_task_spec(spec);
  return Task(spec, std::move(test), std::move(fewshot));
}

}  // namespace moebench::eval
