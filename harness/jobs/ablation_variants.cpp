#include "harness/jobs/ablation_variants.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "harness/io/yaml_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool uses_prompts(const merge::MergeRecipe& r) {
  return r.gate_mode != merge::GateMode::Random && r.gate_mode != merge::GateMode::UniformRandom;
}

std::vector<std::string> source_models(const merge::MergeRecipe& r) {
  std::vector<std::string> out;
  for (const auto& e : r.experts) out.push_back(e.source_model);
  return out;
}

int expert_named(const merge::MergeRecipe& r, const std::string& name, const std::string& where) {
  for (size_t e = 0; e < r.experts.size(); ++e)
    if (r.experts[e].source_model == name) return static_cast<int>(e);
  fail_input(where, "'{}' is not an expert of {} (its experts: {})", name, r.where(),
             fmt::join(source_models(r), ", "));
}

std::vector<std::string> prompt_list(const YAML::Node& node, const std::string& where) {
  if (!node.IsSequence()) fail_input(where, "expected a list of prompts");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) fail_input(where, "line {}: a prompt must be a string", item.Mark().line + 1);
    out.push_back(item.Scalar());
  }
  return out;
}

// prompts=FILE: the recipe with the file's prompt sets.
merge::MergeRecipe with_prompt_file(const merge::MergeRecipe& recipe, const fs::path& file) {
  const std::string where = file.string();
  const YAML::Node root = io::read_yaml_file(file);
  if (!root.IsMap())
    fail_input(where, "expected a mapping from an expert's source_model to its prompts (experts: {})",
               fmt::join(source_models(recipe), ", "));
  merge::MergeRecipe out = recipe;
  for (const auto& kv : root) {
    const std::string name = kv.first.as<std::string>();
    const std::string at = fmt::format("{}: field '{}'", where, name);
    merge::ExpertRecipe& e = out.experts[expert_named(recipe, name, at)];
    if (kv.second.IsSequence()) {
      e.positive_prompts = prompt_list(kv.second, at);
      continue;
    }
    if (!kv.second.IsMap()) fail_input(at, "expected a list of prompts or {{positive_prompts, negative_prompts}}");
    for (const auto& field : kv.second) {
      const std::string key = field.first.as<std::string>();
      if (key == "positive_prompts")
        e.positive_prompts = prompt_list(field.second, at + ".positive_prompts");
      else if (key == "negative_prompts")
        e.negative_prompts = prompt_list(field.second, at + ".negative_prompts");
      else
        fail_input(at, "unknown key '{}' (expected positive_prompts, negative_prompts)", key);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> split_variant_words(const std::vector<std::string>& lists) {
  std::vector<std::string> words;
  for (const std::string& list : lists) {
    for (std::string word : split(list, ',')) {
      word.erase(0, word.find_first_not_of(' '));
      word.erase(word.find_last_not_of(' ') + 1);
      if (word.empty()) continue;
      // "top-k=1,2,3": a bare number continues the top-k list before it.
      if (all_digits(word) && !words.empty() && words.back().rfind("top-k=", 0) == 0) word = "top-k=" + word;
      words.push_back(word);
    }
  }
  return words;
}

std::vector<AblationVariant> expand_variants(const merge::MergeRecipe& recipe, const std::vector<std::string>& words,
                                             const fs::path& base_dir, const std::string& where,
                                             std::vector<std::string>* notes) {
  std::vector<AblationVariant> out;
  std::set<std::string> seen;
  auto note = [&](const std::string& text) {
    if (notes) notes->push_back(text);
  };
  auto add = [&](std::string name, merge::MergeRecipe r) {
    if (seen.insert(name).second) out.push_back({std::move(name), std::move(r)});
  };
  auto prompt_variant = [&](const std::string& word) {
    if (uses_prompts(recipe)) return true;
    note(fmt::format("{}: left out; gate_mode {} uses no prompts", word, merge::gate_mode_name(recipe.gate_mode)));
    return false;
  };
  auto leave_out = [&](int e) {
    merge::MergeRecipe r = recipe;
    r.experts[e].positive_prompts.clear();
    r.experts[e].negative_prompts.clear();
    add("leave-out=" + recipe.experts[e].source_model, std::move(r));
  };
  auto gate_mode = [&](merge::GateMode mode) {
    if (mode == recipe.gate_mode) {
      note(fmt::format("gate-mode={}: left out; it is the recipe as written", merge::gate_mode_name(mode)));
      return;
    }
    merge::MergeRecipe r = recipe;
    r.gate_mode = mode;
    add(fmt::format("gate-mode={}", merge::gate_mode_name(mode)), std::move(r));
  };
  const int64_t E = static_cast<int64_t>(recipe.experts.size());
  for (const std::string& word : words) {
    const size_t eq = word.find('=');
    const std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
    if (word == "leave-one-out") {
      if (prompt_variant(word))
        for (int e = 0; e < E; ++e) leave_out(e);
    } else if (key == "leave-out" && !value.empty()) {
      if (prompt_variant(word)) leave_out(expert_named(recipe, value, where + ": " + word));
    } else if (word == "shuffle") {
      if (!prompt_variant(word)) continue;
      if (E < 2) fail_input(where, "shuffle: the recipe has one expert; there is nothing to permute");
      merge::MergeRecipe r = recipe;
      for (int64_t e = 0; e < E; ++e) {
        r.experts[e].positive_prompts = recipe.experts[(e + 1) % E].positive_prompts;
        r.experts[e].negative_prompts = recipe.experts[(e + 1) % E].negative_prompts;
      }
      add("shuffle", std::move(r));
    } else if (word == "no-negatives") {
      if (!prompt_variant(word)) continue;
      const bool any = std::any_of(recipe.experts.begin(), recipe.experts.end(),
                                   [](const merge::ExpertRecipe& e) { return !e.negative_prompts.empty(); });
      if (!any) {
        note("no-negatives: left out; the recipe has no negative_prompts");
        continue;
      }
      merge::MergeRecipe r = recipe;
      for (auto& e : r.experts) e.negative_prompts.clear();
      add("no-negatives", std::move(r));
    } else if (word == "gate-modes") {
      for (merge::GateMode mode : merge::all_gate_modes()) gate_mode(mode);
    } else if (key == "gate-mode" && !value.empty()) {
      const auto mode = merge::parse_gate_mode(value);
      if (!mode) {
        std::vector<std::string> names;
        for (merge::GateMode m : merge::all_gate_modes()) names.push_back(merge::gate_mode_name(m));
        fail_input(where, "{}: unknown gate mode '{}' (modes: {})", word, value, fmt::join(names, ", "));
      }
      gate_mode(*mode);
    } else if (key == "top-k" && !value.empty()) {
      const int64_t k = all_digits(value) && value.size() < 10 ? std::stoll(value) : -1;
      if (k < 1 || k > E)
        fail_input(where, "{}: experts per token must be 1 to {} (the recipe's experts), got '{}'", word, E, value);
      if (k == recipe.experts_per_token) {
        note(fmt::format("{}: left out; it is the recipe as written", word));
        continue;
      }
      merge::MergeRecipe r = recipe;
      r.experts_per_token = k;
      add(word, std::move(r));
    } else if (key == "prompts" && !value.empty()) {
      fs::path file = value;
      if (file.is_relative()) file = base_dir / file;
      if (prompt_variant(word)) add("prompts=" + file.stem().string(), with_prompt_file(recipe, file));
    } else {
      fail_input(where, "unknown variant '{}' (variants: leave-one-out, leave-out=EXPERT, shuffle, no-negatives, "
                 "gate-modes, gate-mode=MODE, top-k=K[,K...], prompts=FILE)", word);
    }
  }
  return out;
}

}  // namespace moebench::jobs
