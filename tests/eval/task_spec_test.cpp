// Task YAML: every key, include:, and every kind of bad input giving one
// InputError that names the file, the field and the value.
#include "harness/eval/task_spec.h"

#include <gtest/gtest.h>

#include "harness/eval/task.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

namespace fs = std::filesystem;
using moebench::testing::ScratchDir;
using moebench::testing::write_text;

const char* kItems =
    R"({"id": "q1", "question": "2+2?", "answer": "4", "choices": ["3", "4"], "label": 1})"
    "\n"
    R"({"id": "q2", "question": "3+3?", "answer": "6", "choices": ["6", "7"], "label": 0})"
    "\n";

const char* kGenerate = R"YAML(task: arith
dataset_path: items.jsonl
output_type: generate_until
doc_to_text: "Q: {{question}}\nA:"
doc_to_target: "{{answer}}"
generation_kwargs:
  until: ["\n\n", "Q:"]
  max_gen_toks: 32
filter_list:
  - name: strict
    filter:
      - function: regex
        regex_pattern: "([0-9]+)"
        group_select: -1
      - function: take_first
  - name: loose
    filter: [strip, {function: lowercase}]
metric_list:
  - metric: exact_match
    ignore_case: true
    regexes_to_ignore: [","]
metadata:
  version: 2.0
)YAML";

// Writes the YAML (and the items beside it) and loads it; returns the InputError
// message, or "" when loading succeeded.
std::string load_error(const std::string& yaml, const std::string& items = kItems) {
  ScratchDir dir;
  write_text(dir.path() / "items.jsonl", items);
  write_text(dir.path() / "task.yaml", yaml);
  try {
    Task::load(load_task_spec(dir.path() / "task.yaml"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void expect_mentions(const std::string& message, std::vector<std::string> parts) {
  EXPECT_FALSE(message.empty()) << "expected an InputError";
  for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << message;
}

TEST(TaskSpec, LoadsEveryKey) {
  ScratchDir dir;
  write_text(dir.path() / "items.jsonl", kItems);
  write_text(dir.path() / "task.yaml", kGenerate);
  const TaskSpec spec = load_task_spec(dir.path() / "task.yaml");
  EXPECT_EQ(spec.task, "arith");
  EXPECT_EQ(spec.dataset_path, dir.path() / "items.jsonl");
  EXPECT_EQ(spec.output_type, OutputType::GenerateUntil);
  EXPECT_EQ(spec.doc_to_text, "Q: {{question}}\nA:");
  EXPECT_EQ(spec.generation_kwargs.until, (std::vector<std::string>{"\n\n", "Q:"}));
  EXPECT_EQ(spec.generation_kwargs.max_gen_toks, 32);
  ASSERT_EQ(spec.filter_list.size(), 2u);
  EXPECT_EQ(spec.filter_list[0].steps[0].group_select, -1);
  EXPECT_EQ(spec.filter_list[1].steps[0].function, "strip");
  EXPECT_EQ(spec.filter_list[1].steps[1].function, "lowercase");
  ASSERT_EQ(spec.metric_list.size(), 1u);
  EXPECT_TRUE(spec.metric_list[0].ignore_case);
  EXPECT_EQ(spec.metric_list[0].aggregation, "mean");
  EXPECT_EQ(spec.version(), 2.0);
  EXPECT_EQ(spec.target_delimiter, " ");
  EXPECT_EQ(spec.fewshot_delimiter, "\n\n");
  EXPECT_EQ(spec.fewshot_seed, 1234u);
  EXPECT_EQ(spec.config["generation_kwargs"]["max_gen_toks"], 32);
}

TEST(TaskSpec, DefaultsFollowLmEval) {
  ScratchDir dir;
  write_text(dir.path() / "t.yaml",
             "task: t\ndataset_path: items.jsonl\ndoc_to_text: '{{question}}'\n"
             "fewshot_delimiter: \"\\n###\\n\"\n");
  TaskSpec spec = load_task_spec(dir.path() / "t.yaml");
  EXPECT_EQ(spec.output_type, OutputType::GenerateUntil);
  // Without generation_kwargs lm-eval stops at the few-shot delimiter.
  EXPECT_EQ(spec.generation_kwargs.until, std::vector<std::string>{"\n###\n"});
  ASSERT_EQ(spec.metric_list.size(), 1u);
  // ... and so without `until` in a given generation_kwargs (TaskConfig.__post_init__).
  write_text(dir.path() / "t2.yaml",
             "task: t2\ndataset_path: items.jsonl\ndoc_to_text: '{{question}}'\n"
             "generation_kwargs: {max_gen_toks: 5}\ntarget_delimiter: \"\"\n");
  EXPECT_EQ(load_task_spec(dir.path() / "t2.yaml").generation_kwargs.until,
            std::vector<std::string>{"\n\n"});
  EXPECT_EQ(load_task_spec(dir.path() / "t2.yaml").target_delimiter, "");  // "" is not null
  EXPECT_EQ(spec.metric_list[0].metric, "exact_match");

  write_text(dir.path() / "mc.yaml",
             "task: mc\ndataset_path: items.jsonl\noutput_type: multiple_choice\n"
             "doc_to_text: '{{question}}'\ndoc_to_target: label\ndoc_to_choice: choices\n"
             "metadata: [{version: 1.5}]\n");
  spec = load_task_spec(dir.path() / "mc.yaml");
  ASSERT_EQ(spec.metric_list.size(), 2u);  // acc, acc_norm
  EXPECT_EQ(spec.metric_list[1].metric, "acc_norm");
  EXPECT_EQ(spec.version(), 1.5);
  write_text(dir.path() / "items.jsonl", kItems);
  Task task = Task::load(spec);
  EXPECT_EQ(task.gold(0), 1u);  // bare field names select fields, as in lm-eval
  EXPECT_EQ(task.choices(1), (std::vector<std::string>{"6", "7"}));
}

TEST(TaskSpec, IncludeOverridesKeysOfTheIncludedFile) {
  ScratchDir dir;
  write_text(dir.path() / "items.jsonl", kItems);
  write_text(dir.path() / "base.yaml", kGenerate);
  write_text(dir.path() / "sub" / "variant.yaml",
             "include: ../base.yaml\ntask: arith_3shot\nnum_fewshot: 1\n"
             "doc_to_text: \"Question: {{question}}\\nAnswer:\"\n");
  const TaskSpec spec = load_task_spec(dir.path() / "sub" / "variant.yaml");
  EXPECT_EQ(spec.task, "arith_3shot");
  EXPECT_EQ(spec.num_fewshot, 1);
  EXPECT_EQ(spec.doc_to_text, "Question: {{question}}\nAnswer:");
  EXPECT_EQ(spec.filter_list.size(), 2u);  // inherited
  // dataset_path resolves against the file that wrote it.
  EXPECT_EQ(spec.dataset_path, dir.path() / "items.jsonl");
  EXPECT_EQ(spec.config["task"], "arith_3shot");
  EXPECT_FALSE(spec.config.contains("include"));
  Task task = Task::load(spec);
  EXPECT_EQ(task.prompt(0), "Question: 3+3?\nAnswer: 6\n\nQuestion: 2+2?\nAnswer:");

  write_text(dir.path() / "a.yaml", "include: b.yaml\ntask: a\n");
  write_text(dir.path() / "b.yaml", "include: a.yaml\ntask: b\n");
  expect_mentions(
      [&] {
        try {
          load_task_spec(dir.path() / "a.yaml");
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      {"include cycle"});
  write_text(dir.path() / "c.yaml", "include: missing.yaml\ntask: c\n");
  EXPECT_THROW(load_task_spec(dir.path() / "c.yaml"), InputError);
}

std::string with(const std::string& from, const std::string& to) {
  std::string yaml = kGenerate;
  const size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return yaml.replace(at, from.size(), to);
}

TEST(TaskSpec, BadInputsNameFileFieldAndValue) {
  EXPECT_EQ(load_error(kGenerate), "");
  expect_mentions(load_error(with("doc_to_target:", "doc_to_targt:")),
                  {"task.yaml:5", "unknown key 'doc_to_targt'", "did you mean 'doc_to_target'"});
  expect_mentions(
      load_error(with("output_type: generate_until", "output_type: generate_untill")),
      {"task.yaml:3", "output_type", "'generate_untill'", "did you mean 'generate_until'"});
  expect_mentions(load_error(with("{{answer}}", "{{anwser}}")),
                  {"items.jsonl: item 0", "\"q1\"", "'anwser'", "did you mean 'answer'"});
  expect_mentions(load_error(with("([0-9]+)", "(?<=x)[0-9]+")),
                  {"task.yaml:13", "filter_list[0].filter[0].regex_pattern", "(?<=x)[0-9]+"});
  expect_mentions(load_error(with("regexes_to_ignore: [\",\"]", "regexes_to_ignore: [\"(\"]")),
                  {"task.yaml:21", "metric_list[0].regexes_to_ignore[0]", "'('"});
  expect_mentions(load_error(with("metric: exact_match", "metric: exact_matc")),
                  {"task.yaml", "metric_list[0].metric", "did you mean 'exact_match'"});
  expect_mentions(load_error(with("metric: exact_match", "metric: acc_norm")),
                  {"'acc_norm' is not a metric of output_type generate_until"});
  expect_mentions(load_error(with("ignore_case: true", "ignore_cas: true")),
                  {"task.yaml:20", "metric_list[0].ignore_cas", "did you mean 'ignore_case'"});
  expect_mentions(load_error(with("function: take_first", "function: take_frist")),
                  {"task.yaml", "take_frist", "did you mean 'take_first'"});
  expect_mentions(load_error(with("max_gen_toks: 32", "max_gen_toks: lots")),
                  {"task.yaml:8", "generation_kwargs.max_gen_toks", "'lots'"});
  expect_mentions(load_error(with("metric: exact_match", "metric: pass@10")),
                  {"pass@10", "repeats >= 10"});
  expect_mentions(load_error(with("task: arith\n", "")), {"'task' is missing"});
  expect_mentions(load_error(with("dataset_path: items.jsonl", "dataset_path: nothing.jsonl")),
                  {"nothing.jsonl", "not found"});
  expect_mentions(load_error("task: [unclosed\n"), {"task.yaml:", "malformed YAML"});
  expect_mentions(load_error(kGenerate, "{\"question\": 1}\nnot json\n"),
                  {"items.jsonl:2", "malformed JSON"});
}

TEST(TaskSpec, MultipleChoiceLabelsAreChecked) {
  const std::string mc =
      "task: mc\ndataset_path: items.jsonl\noutput_type: multiple_choice\n"
      "doc_to_text: '{{question}}'\ndoc_to_target: '{{label}}'\ndoc_to_choice: '{{choices}}'\n";
  EXPECT_EQ(load_error(mc), "");
  expect_mentions(
      load_error(mc, R"({"id": 7, "question": "q", "choices": ["a", "b"], "label": 2})"),
      {"items.jsonl: item 0 (id 7)", "label 2 out of range for 2 choices"});
  expect_mentions(load_error(mc, R"({"question": "q", "choices": "ab", "label": 0})"),
                  {"item 0", "must name a non-empty list"});
  expect_mentions(load_error(mc + "metric_list: [{metric: mc2}]\n"),
                  {"item 0", "mc2 labels", "missing field 'labels'"});
  expect_mentions(load_error(mc + "num_fewshot: 5\n"), {"num_fewshot 5 needs 6"});
  std::string no_choice = mc.substr(0, mc.find("doc_to_choice"));
  expect_mentions(load_error(no_choice), {"'doc_to_choice' is missing"});
}

}  // namespace
}  // namespace moebench::eval
