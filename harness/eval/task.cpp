// Building a task: compiling its spec, validating its documents, drawing the
// few-shot examples, and rendering prompts and requests as lm-eval's
// ConfigurableTask does (fewshot_context, ContextSampler.get_context,
// construct_requests). Scoring is in task_score.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "harness/eval/code_programs.h"
#include "harness/eval/doc_files.h"
#include "harness/eval/fewshot_sampler.h"
#include "harness/eval/task_compiled.h"
#include "harness/util/error.h"

namespace moebench::eval {
namespace {

// "{{X.choices}}" -> "{{X.labels}}": mc2 reads the labels stored beside the choices
// (TruthfulQA's mc2_targets {choices, labels}); any other form reads "labels".
std::string labels_template(const std::string& choice) {
  const std::string suffix = ".choices}}";
  std::string t;
  for (char c : choice) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += c;
  }
  if (t.size() > suffix.size() + 2 && t.rfind("{{", 0) == 0 &&
      t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return t.substr(0, t.size() - suffix.size()) + ".labels}}";
  }
  return "{{labels}}";
}

}  // namespace

int64_t as_index(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    const std::string s = value.get<std::string>();
    if (!s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(s);
    }
  }
  return -1;
}

bool mc1_choices(const nlohmann::json& doc, const std::vector<std::string>& options,
                 std::vector<size_t>& positions, size_t& gold, const std::string& where) {
  auto targets = doc.find("mc1_targets");
  if (targets == doc.end() || !targets->is_object() || !targets->contains("choices")) return false;
  const nlohmann::json& choices = (*targets)["choices"];
  if (!choices.is_array() || choices.empty()) {
    fail_input(where, "mc1_targets.choices must be a non-empty list of strings");
  }
  positions.clear();
  gold = 0;
  for (size_t k = 0; k < choices.size(); ++k) {
    const auto it = std::find(options.begin(), options.end(),
                              choices[k].is_string() ? choices[k].get<std::string>() : "");
    if (!choices[k].is_string() || it == options.end()) {
      fail_input(where, "mc1 choice {} is not among the scored choices", choices[k].dump());
    }
    positions.push_back(static_cast<size_t>(it - options.begin()));
  }
  const auto labels = targets->find("labels");
  if (labels != targets->end() && labels->is_array()) {
    for (size_t k = 0; k < labels->size() && k < positions.size(); ++k) {
      if (as_index((*labels)[k]) == 1) {
        gold = k;
        break;
      }
    }
  }
  return true;
}

Task::Task(TaskSpec spec, std::vector<Doc> docs, std::vector<Doc> fewshot_docs)
    : spec_(std::move(spec)), docs_(std::move(docs)), fewshot_docs_(std::move(fewshot_docs)) {
  finalize_task_spec(spec_);  // idempotent: a Task's spec is always a checked one
  const std::string& src = spec_.source;
  auto c = std::make_shared<Compiled>();
  c->text = DocTemplate(spec_.doc_to_text, src + ": doc_to_text");
  c->target = DocTemplate(spec_.doc_to_target, src + ": doc_to_target");
  c->choice = DocTemplate(spec_.doc_to_choice, src + ": doc_to_choice");
  c->description = DocTemplate(spec_.description, src + ": description");
  c->fewshot_text = DocTemplate(spec_.fewshot_config.doc_to_text, src + ": fewshot_config");
  c->fewshot_target = DocTemplate(spec_.fewshot_config.doc_to_target, src + ": fewshot_config");
  c->labels = DocTemplate(labels_template(spec_.doc_to_choice), src + ": mc2 labels");
  c->filters = build_filters(spec_);
  for (size_t m = 0; m < spec_.metric_list.size(); ++m) {
    const MetricSpec& metric = spec_.metric_list[m];
    c->exact_match.emplace_back();
    if (metric.metric == "exact_match") {
      c->exact_match.back().emplace(metric, fmt::format("{}: metric_list[{}]", src, m));
    }
    c->needs_labels = c->needs_labels || metric.metric == "mc2";
    c->needs_mc1 = c->needs_mc1 || metric.metric == "mc1";
    c->needs_programs = c->needs_programs || metric.metric.rfind("pass@", 0) == 0;
  }
  c->needs_labels = c->needs_labels || spec_.process_results == "mc2";
  compiled_ = c;

  if (docs_.empty()) fail_input(src, "task '{}' has no documents", spec_.task);
  // Validate every document now rather than fail hours into a run.
  for (size_t i = 0; i < docs_.size(); ++i) {
    const Doc& doc = docs_[i];
    if (!doc.is_object()) fail_input(where(i), "expected a JSON object");
    if (spec_.output_type == OutputType::LoglikelihoodRolling) {
      c->target.render(doc, where(i) + ": doc_to_target");
      continue;
    }
    c->text.render(doc, where(i) + ": doc_to_text");
    if (!spec_.description.empty()) c->description.render(doc, where(i) + ": description");
    if (spec_.output_type == OutputType::MultipleChoice) {
      const auto options = choices(i);
      gold(i);
      std::vector<size_t> positions;
      size_t mc1_gold = 0;
      if (c->needs_mc1) mc1_choices(doc, options, positions, mc1_gold, where(i));
      if (c->needs_labels) {
        const nlohmann::json* labels = c->labels.value(doc, where(i) + ": mc2 labels");
        bool ok = labels && labels->is_array() && labels->size() == options.size();
        for (size_t k = 0; ok && k < labels->size(); ++k) ok = as_index((*labels)[k]) >= 0;
        if (!ok) {
          fail_input(where(i), "mc2 needs '{}' to be a list of 0/1 labels, one per choice ({})",
                     c->labels.text(), options.size());
        }
      }
    } else {
      references(i);
      if (c->needs_programs && program_shape(doc) == ProgramShape::None) {
        fail_input(where(i),
                   "pass@k needs the tests of the document: HumanEval's prompt, test "
                   "and entry_point, or MBPP's test_list");
      }
    }
  }

  // Few-shot examples, drawn for every document in order (see fewshot_sampler.h).
  const bool same_split = fewshot_docs_.empty();
  const std::vector<Doc>& pool = same_split ? docs_ : fewshot_docs_;
  const size_t draw = static_cast<size_t>(spec_.num_fewshot) + (same_split ? 1 : 0);
  if (spec_.num_fewshot > 0 && draw > pool.size()) {
    fail_input(src, "num_fewshot {} needs {} few-shot documents, {} has {}", spec_.num_fewshot,
               draw, same_split ? "the task" : spec_.fewshot_path.string(), pool.size());
  }
  FewshotDraw how{spec_.fewshot_config.sampler, spec_.fewshot_seed, spec_.num_fewshot, same_split};
  fewshot_ = draw_fewshot(docs_.size(), pool.size(), how,
                          [&](size_t doc, size_t shot) { return pool[shot] == docs_[doc]; });
  for (size_t i = 0; i < docs_.size() && spec_.num_fewshot > 0; ++i) fewshot_context(i);
}

Task Task::load(TaskSpec spec) {
  std::vector<Doc> docs = read_jsonl(spec.dataset_path), fewshot;
  if (!spec.fewshot_path.empty()) fewshot = read_jsonl(spec.fewshot_path);
  return Task(std::move(spec), std::move(docs), std::move(fewshot));
}

std::string Task::where(size_t i) const {
  const std::string file = spec_.dataset_path.empty() ? spec_.source : spec_.dataset_path.string();
  std::string id;
  if (i < docs_.size() && docs_[i].is_object()) {
    for (const char* key : {"id", "task_id"}) {
      if (docs_[i].contains(key)) {
        id = fmt::format(" ({} {})", key, docs_[i][key].dump());
        break;
      }
    }
  }
  return fmt::format("{}: item {}{}", file, i, id);
}

std::vector<std::string> Task::filter_names() const {
  std::vector<std::string> out;
  for (const auto& f : compiled_->filters) out.push_back(f.name());
  return out;
}

std::vector<std::string> Task::choices(size_t i) const {
  if (!spec_.doc_to_choice_list.empty()) return spec_.doc_to_choice_list;
  const nlohmann::json* v = compiled_->choice.value(docs_.at(i), where(i) + ": doc_to_choice");
  if (!v || !v->is_array() || v->empty()) {
    fail_input(where(i), "doc_to_choice '{}' must name a non-empty list field, got {}",
               spec_.doc_to_choice, v ? v->dump().substr(0, 60) : "text");
  }
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string()) fail_input(where(i), "choice {} is not a string", item.dump());
    out.push_back(item.get<std::string>());
  }
  return out;
}

size_t Task::gold(size_t i) const {
  const auto options = choices(i);
  int64_t index = -1;
  std::string shown;
  if (spec_.doc_to_target_index) {
    index = *spec_.doc_to_target_index;
    shown = std::to_string(index);
  } else {
    const std::string w = where(i) + ": doc_to_target";
    const nlohmann::json* v = compiled_->target.value(docs_.at(i), w);
    const nlohmann::json value = v ? *v : nlohmann::json(compiled_->target.render(docs_[i], w));
    shown = value.dump();
    index = as_index(value);
    if (index < 0 && value.is_string()) {  // lm-eval: a string gold is looked up in the choices
      for (size_t k = 0; k < options.size() && index < 0; ++k) {
        if (options[k] == value.get<std::string>()) index = static_cast<int64_t>(k);
      }
    }
  }
  if (index < 0 || index >= static_cast<int64_t>(options.size())) {
    fail_input(where(i), "doc_to_target: label {} out of range for {} choices", shown,
               options.size());
  }
  return static_cast<size_t>(index);
}

std::vector<std::string> Task::references(size_t i) const {
  if (spec_.doc_to_target.empty()) return {};
  const std::string w = where(i) + ": doc_to_target";
  const nlohmann::json* v = compiled_->target.value(docs_.at(i), w);
  if (v && v->is_array()) {
    std::vector<std::string> out;
    for (const auto& item : *v) out.push_back(python_str(item));
    if (out.empty()) fail_input(where(i), "doc_to_target: the reference list is empty");
    return out;
  }
  return {compiled_->target.render(docs_[i], w)};
}

std::string Task::target_string(size_t i) const {
  if (spec_.doc_to_target_index) return std::to_string(*spec_.doc_to_target_index);
  if (spec_.doc_to_target.empty()) return "";
  const std::string w = where(i) + ": doc_to_target";
  const nlohmann::json* v = compiled_->target.value(docs_.at(i), w);
  return v ? python_str(*v) : compiled_->target.render(docs_[i], w);
}

std::string Task::fewshot_context(size_t i) const {
  const Compiled& c = *compiled_;
  const std::vector<Doc>& pool = fewshot_docs_.empty() ? docs_ : fewshot_docs_;
  const DocTemplate& text = c.fewshot_text.empty() ? c.text : c.fewshot_text;
  const DocTemplate& target = c.fewshot_target.empty() ? c.target : c.fewshot_target;
  std::string out;
  for (size_t shot : fewshot_[i]) {
    const Doc& doc = pool[shot];
    const std::string w = fmt::format("{}: few-shot document {}", spec_.source, shot);
    out += text.render(doc, w);
    // ContextSampler.get_context: a list target shows its first item, an index
    // target (multiple choice) the choice it points to.
    std::string shown;
    if (spec_.doc_to_target_index && c.fewshot_target.empty()) {
      nlohmann::json idx = *spec_.doc_to_target_index;
      shown = python_str(idx);
    } else {
      const nlohmann::json* v = target.value(doc, w);
      if (v && v->is_array() && !v->empty()) {
        shown = python_str((*v)[0]);
      } else {
        shown = v ? python_str(*v) : target.render(doc, w);
      }
    }
    const int64_t index = spec_.doc_to_target_index ? *spec_.doc_to_target_index : as_index(shown);
    if (spec_.output_type == OutputType::MultipleChoice && index >= 0) {
      const nlohmann::json* options = c.choice.value(doc, w);
      if (!spec_.doc_to_choice_list.empty() && index < (int64_t)spec_.doc_to_choice_list.size()) {
        shown = spec_.doc_to_choice_list[index];
      } else if (options && options->is_array() && index < (int64_t)options->size()) {
        shown = python_str((*options)[index]);
      }
    }
    if (!shown.empty()) out += spec_.target_delimiter + shown + spec_.fewshot_delimiter;
  }
  return out;
}

std::string Task::prompt(size_t i) const {
  // lm-eval scores a rolling document on its own: no description, no shots, no text.
  if (spec_.output_type == OutputType::LoglikelihoodRolling) return "";
  std::string description;
  if (!spec_.description.empty())
    description = compiled_->description.render(docs_.at(i), where(i));
  return description + fewshot_context(i) + compiled_->text.render(docs_.at(i), where(i));
}

std::vector<ChatMessage> Task::chat_messages(size_t i) const {
  std::vector<ChatMessage> out;
  if (!spec_.description.empty()) {
    out.push_back({"system", compiled_->description.render(docs_.at(i), where(i))});
  }
  out.push_back({"user", fewshot_context(i) + compiled_->text.render(docs_.at(i), where(i))});
  return out;
}

std::string Task::context(size_t i, ChatFormat format) const {
  if (format == ChatFormat::None || spec_.output_type == OutputType::LoglikelihoodRolling) {
    return prompt(i);
  }
  return apply_chat_template(format, chat_messages(i));
}

std::vector<Request> Task::requests(size_t i, const std::string& formatted_prompt,
                                    bool chat_formatted) const {
  std::vector<Request> out;
  if (spec_.output_type == OutputType::MultipleChoice) {
    const std::string delimiter = chat_formatted ? "" : spec_.target_delimiter;
    for (const std::string& choice : choices(i)) {
      Request r;
      r.kind = Request::Kind::Loglikelihood;
      r.context = formatted_prompt;
      r.continuation = delimiter + choice;
      out.push_back(std::move(r));
    }
  } else if (spec_.output_type == OutputType::GenerateUntil) {
    Request r;
    r.kind = Request::Kind::GenerateUntil;
    r.context = formatted_prompt;
    r.until = spec_.generation_kwargs.until;
    r.max_gen_toks = static_cast<int>(spec_.generation_kwargs.max_gen_toks);
    out.assign(static_cast<size_t>(spec_.repeats), r);
  } else {
    Request r;
    r.kind = Request::Kind::LoglikelihoodRolling;
    r.continuation = compiled_->target.render(docs_.at(i), where(i));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace moebench::eval
