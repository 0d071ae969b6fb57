// Adapters for the standard datasets, read from a path the user gives
// (`--data gsm8k=PATH`): each builds a Task with the exact prompt, stop sequences,
// few-shot rule, filters and metrics of lm-evaluation-harness's task of the same
// name. PATH may be the file or the folder holding it under its usual name.
//
//   gsm8k           test.jsonl (+ train.jsonl beside it: 5-shot, random.Random(1234))
//                   "Question: {q}\nAnswer:", until Question: </s> <|im_end|>,
//                   exact_match on strict-match and flexible-extract (gsm8k.yaml v3.0)
//   humaneval       HumanEval.jsonl.gz: prompt as is, until \nclass \ndef \n# \nif \nprint,
//                   max_gen_toks 1024, pass@1 on prompt + completion + tests (humaneval.yaml)
//   mbpp            mbpp.jsonl: test split task_ids 11-510, 3-shot from task_ids 2-4 in
//                   order, "[BEGIN]"/"[DONE]" format, pass@1 (mbpp.yaml)
//   truthfulqa_mc1  mc_task.json: the fixed 6-question QA primer, "Q: ...\nA:", acc with
//   truthfulqa_mc2  the gold first (mc1), mc2 probability mass reported as acc (mc2)
//   rolebench       RoleBench JSONL (role, question, generated[]): 0-shot in-character
//                   answer, rougeL against every `generated` reference (max)
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/eval/task.h"

namespace moebench::eval {

struct DatasetAdapter {
  std::string name;
  std::string file;  // the usual file name, looked up when PATH is a folder
  std::function<Task(const std::filesystem::path&)> make;
};

// Every registered adapter, by name.
const std::vector<DatasetAdapter>& dataset_adapters();
std::vector<std::string> dataset_adapter_names();
// The Task of adapter `name` over `path`; InputError with the closest name on an
// unknown adapter, and naming the file on unreadable or malformed data.
Task load_dataset_task(const std::string& name, const std::filesystem::path& path);
// Splits "NAME=PATH" (the --data flag); InputError when there is no '='.
std::pair<std::string, std::filesystem::path> parse_data_arg(const std::string& arg);

// The adapters themselves (PATH: the file or its folder).
Task gsm8k_task(const std::filesystem::path& path);
Task humaneval_task(const std::filesystem::path& path);
Task mbpp_task(const std::filesystem::path& path);
Task truthfulqa_task(const std::filesystem::path& path, bool mc2);
Task rolebench_task(const std::filesystem::path& path);

// lm-eval's TruthfulQA QA primer (six questions), without the trailing "\n\n".
extern const char* const kTruthfulQaPrimer;

}  // namespace moebench::eval
