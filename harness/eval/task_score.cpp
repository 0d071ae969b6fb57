// Scoring documents and aggregating, as lm-eval's ConfigurableTask.process_results
// and its aggregations; pass@k programs run in one sandbox batch per call.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "harness/eval/code_programs.h"
#include "harness/eval/python_text.h"
#include "harness/eval/sandbox.h"
#include "harness/eval/task_compiled.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {
namespace {

bool is_weighted(const std::string& metric) {
  return metric.find("perplexity") != std::string::npos || metric == "bits_per_byte";
}

int64_t pass_k(const std::string& metric) {
  return metric.rfind("pass@", 0) == 0 ? std::stoll(metric.substr(5)) : 0;
}

}  // namespace

std::vector<SampleScore> Task::score(const std::vector<size_t>& indices,
                                     const std::vector<std::vector<Response>>& responses,
                                     const Sandbox* sandbox) const {
  if (indices.size() != responses.size()) {
    throw std::invalid_argument(fmt::format("Task::score: {} documents but {} response lists",
                                            indices.size(), responses.size()));
  }
  const Compiled& c = *compiled_;
  std::vector<SampleScore> out(indices.size());
  // Programs of every document and pipeline, run together at the end.
  struct Program {
    size_t sample;
    std::string filter;
  };
  std::vector<PythonProgram> programs;
  std::vector<Program> owners;

  for (size_t s = 0; s < indices.size(); ++s) {
    const size_t i = indices[s];
    if (i >= docs_.size()) {
      throw std::invalid_argument(fmt::format("Task::score: document {} of {}", i, docs_.size()));
    }
    const std::vector<Response>& resp = responses[s];
    const size_t expected = spec_.output_type == OutputType::MultipleChoice ? choices(i).size()
                            : spec_.output_type == OutputType::GenerateUntil
                                ? static_cast<size_t>(spec_.repeats)
                                : 1;
    if (resp.size() != expected) {
      throw std::invalid_argument(
          fmt::format("Task::score: {} document {} has {} responses, "
                      "expected {}",
                      spec_.task, i, resp.size(), expected));
    }
    SampleScore& out_s = out[s];

    if (spec_.output_type == OutputType::MultipleChoice) {
      const auto options = choices(i);
      const size_t g = gold(i);
      out_s.target = options[g];
      std::vector<double> lls;
      for (const auto& r : resp) lls.push_back(r.logprob);
      const ChoicePredictions pred = predict_choice(lls, options);
      std::vector<int> labels;
      if (c.needs_labels) {
        for (const auto& l : *c.labels.value(docs_[i], where(i)))
          labels.push_back(as_index(l) == 1);
      }
      // mc1 over the mc1 choices only (see mc1_choices); acc when there are none.
      double mc1 = pred.acc == g;
      std::vector<size_t> positions;
      size_t mc1_gold = 0;
      if (c.needs_mc1 && mc1_choices(docs_[i], options, positions, mc1_gold, where(i))) {
        std::vector<double> mc1_lls;
        for (size_t p : positions) mc1_lls.push_back(lls[p]);
        mc1 = argmax(mc1_lls) == mc1_gold;
      }
      for (const MetricSpec& m : spec_.metric_list) {
        double v = 0;
        if (m.metric == "acc" && spec_.process_results == "mc2")
          v = mc2_score(lls, labels);
        else if (m.metric == "acc")
          v = pred.acc == g;
        else if (m.metric == "mc1")
          v = mc1;
        else if (m.metric == "acc_norm")
          v = pred.acc_norm == g;
        else if (m.metric == "acc_bytes")
          v = pred.acc_bytes == g;
        else if (m.metric == "exact_match")
          v = resp[g].is_greedy ? 1.0 : 0.0;
        else if (m.metric == "mc2")
          v = mc2_score(lls, labels);
        out_s.metrics[m.metric + ",none"] = v;
      }
    } else if (spec_.output_type == OutputType::GenerateUntil) {
      const auto refs = references(i);
      for (size_t r = 0; r < refs.size(); ++r) out_s.target += (r ? "\n" : "") + refs[r];
      std::vector<std::string> texts;
      for (const auto& r : resp) texts.push_back(sanitize_utf8(r.text));
      for (const FilterPipeline& pipeline : c.filters) {
        const std::vector<std::string> filtered = pipeline.apply(texts);
        const std::string first = filtered.empty() ? "" : filtered[0];
        out_s.filtered[pipeline.name()] = filtered;
        bool programs_queued = false;
        for (size_t m = 0; m < spec_.metric_list.size(); ++m) {
          const std::string& name = spec_.metric_list[m].metric;
          const std::string key = name + "," + pipeline.name();
          if (name == "exact_match") {
            // lm-eval compares the prediction with each reference (numpy broadcasting)
            // and averages; with the usual single reference that is 0 or 1.
            double sum = 0;
            for (const auto& ref : refs) sum += c.exact_match[m]->score(first, ref);
            out_s.metrics[key] = refs.empty() ? 0.0 : sum / refs.size();
          } else if (name == "rougeL") {
            double best = 0;
            for (const auto& ref : refs) best = std::max(best, rouge_l(ref, first));
            out_s.metrics[key] = best;
          } else if (pass_k(name) > 0 && !programs_queued) {
            for (const auto& completion : filtered) {
              programs.push_back(build_program(docs_[i], completion));
              owners.push_back({s, pipeline.name()});
            }
            programs_queued = true;
          }
        }
      }
    } else {
      const std::string text = compiled_->target.render(docs_[i], where(i));
      out_s.target = text;
      for (const MetricSpec& m : spec_.metric_list) {
        const std::string key = m.metric + ",none";
        out_s.metrics[key] = resp[0].logprob;
        out_s.weights[key] = m.metric == "word_perplexity" ? python_word_count(text)
                             : m.metric == "perplexity"    ? resp[0].tokens
                                                           : text.size();  // bytes
      }
    }
  }

  if (!programs.empty()) {
    if (!sandbox) {
      fail_input(spec_.source, "task '{}' scores pass@k: it needs a code sandbox", spec_.task);
    }
    const std::vector<ProgramResult> results = sandbox->run_programs(programs);
    std::map<std::pair<size_t, std::string>, std::pair<int64_t, int64_t>> counts;  // n, c
    for (size_t p = 0; p < results.size(); ++p) {
      auto& nc = counts[{owners[p].sample, owners[p].filter}];
      nc.first++;
      nc.second += results[p].passed ? 1 : 0;
      out[owners[p].sample].program_results[owners[p].filter].push_back(results[p].reason);
    }
    for (const auto& [owner, nc] : counts) {
      for (const MetricSpec& m : spec_.metric_list) {
        const int64_t k = pass_k(m.metric);
        if (k > 0)
          out[owner.first].metrics[m.metric + "," + owner.second] =
              pass_at_k(nc.first, nc.second, k);
      }
    }
  }
  return out;
}

std::map<std::string, MetricResult> Task::aggregate(const std::vector<SampleScore>& samples) const {
  std::map<std::string, bool> higher;
  for (const MetricSpec& m : spec_.metric_list) higher[m.metric] = m.higher_is_better;
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, double> weight_sums;
  for (const SampleScore& s : samples) {
    for (const auto& [key, v] : s.metrics) values[key].push_back(v);
    for (const auto& [key, w] : s.weights) weight_sums[key] += w;
  }
  std::map<std::string, MetricResult> out;
  for (const auto& [key, list] : values) {
    const std::string metric = key.substr(0, key.find(','));
    MetricResult r;
    r.n = static_cast<int64_t>(list.size());
    r.higher_is_better = higher.count(metric) ? higher[metric] : true;
    if (is_weighted(metric)) {
      // lm-eval's weighted_perplexity / bits_per_byte over sum(ll) / sum(count); no stderr.
      double ll = 0;
      for (double v : list) ll += v;
      const double per_unit = ll / weight_sums[key];
      r.value = metric == "bits_per_byte" ? -per_unit / std::log(2.0) : std::exp(-per_unit);
      r.stderr_value = std::numeric_limits<double>::quiet_NaN();
    } else {
      r.value = mean(list);
      r.stderr_value = mean_stderr(list);
    }
    out[key] = r;
  }
  return out;
}

}  // namespace moebench::eval
