#include "harness/eval/chat_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "harness/eval/python_text.h"
#include "harness/io/json_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::eval {
namespace {

const std::vector<std::pair<ChatFormat, std::string>> kFormats = {
    {ChatFormat::None, "none"},      {ChatFormat::Mistral, "mistral"},
    {ChatFormat::Llama2, "llama-2"}, {ChatFormat::ChatML, "chatml"},
    {ChatFormat::Zephyr, "zephyr"},  {ChatFormat::Alpaca, "alpaca"}};

const char* kAlpacaPreamble =
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.";

bool has(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits off a leading system message; the user turns are joined (lm-eval sends one).
void split_messages(const std::vector<ChatMessage>& messages, std::string& system,
                    std::vector<const ChatMessage*>& turns) {
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0 && messages[i].role == "system") {
      system = messages[i].content;
    } else {
      turns.push_back(&messages[i]);
    }
  }
}

// [INST] turns for mistral and llama-2; `strip` for llama-2's content.strip().
std::string render_inst(const std::vector<ChatMessage>& messages, bool llama2) {
  std::string system, out;
  std::vector<const ChatMessage*> turns;
  split_messages(messages, system, turns);
  bool first_user = true;
  for (const ChatMessage* m : turns) {
    if (m->role == "user") {
      std::string content = m->content;
      if (first_user && !system.empty()) {
        content =
            llama2 ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content : system + "\n\n" + content;
      }
      first_user = false;
      out += "[INST] " + (llama2 ? python_strip(content) : content) + " [/INST]";
    } else {
      out += llama2 ? " " + python_strip(m->content) + " </s>" : m->content + "</s>";
    }
  }
  return out;
}

}  // namespace

std::string to_string(ChatFormat format) {
  for (const auto& [f, name] : kFormats) {
    if (f == format) return name;
  }
  return "none";
}

std::vector<std::string> chat_template_names() {
  std::vector<std::string> out;
  for (const auto& entry : kFormats) out.push_back(entry.second);
  out.push_back("auto");
  return out;
}

ChatFormat chat_format_of_template(const std::string& jinja) {
  if (has(jinja, "<|im_start|>")) return ChatFormat::ChatML;
  if (has(jinja, "<|user|>") && has(jinja, "<|assistant|>")) return ChatFormat::Zephyr;
  if (has(jinja, "<<SYS>>")) return ChatFormat::Llama2;
  if (has(jinja, "[INST]")) return ChatFormat::Mistral;
  if (has(jinja, "### Instruction")) return ChatFormat::Alpaca;
  return ChatFormat::None;
}

ChatFormat detect_chat_format(const fs::path& model_dir, std::string* reason) {
  auto say = [&](ChatFormat f, const std::string& why) {
    if (reason) *reason = fmt::format("{} ({})", to_string(f), why);
    return f;
  };
  const fs::path config_path = model_dir / "tokenizer_config.json";
  std::string name = lower_ascii(fs::absolute(model_dir).lexically_normal().filename().string());
  if (fs::is_regular_file(config_path)) {
    const nlohmann::json config = io::read_json_file(config_path);
    const nlohmann::json* tmpl =
        config.contains("chat_template") ? &config["chat_template"] : nullptr;
    std::string jinja;
    if (tmpl && tmpl->is_string()) {
      jinja = tmpl->get<std::string>();
    } else if (tmpl && tmpl->is_array()) {
      for (const auto& entry : *tmpl) {
        if (!entry.is_object() || !entry.contains("template") || !entry["template"].is_string())
          continue;
        if (jinja.empty() || entry.value("name", "") == "default") jinja = entry["template"];
      }
    }
    if (!jinja.empty()) {
      const ChatFormat f = chat_format_of_template(jinja);
      return say(f, f == ChatFormat::None
                        ? config_path.string() + " has a chat_template of no known family"
                        : "chat_template in " + config_path.string());
    }
    if (config.contains("name_or_path") && config["name_or_path"].is_string()) {
      name += " " + lower_ascii(config["name_or_path"].get<std::string>());
    }
  }
  auto named = [&](const char* word) { return name.find(word) != std::string::npos; };
  if (named("zephyr")) return say(ChatFormat::Zephyr, "model name '" + name + "'");
  if ((named("llama-2") || named("llama2")) && named("chat")) {
    return say(ChatFormat::Llama2, "model name '" + name + "'");
  }
  if ((named("mistral") || named("mixtral")) && named("instruct")) {
    return say(ChatFormat::Mistral, "model name '" + name + "'");
  }
  for (const char* word : {"hermes", "dolphin", "chatml", "qwen"}) {
    if (named(word)) return say(ChatFormat::ChatML, "model name '" + name + "'");
  }
  if (named("alpaca")) return say(ChatFormat::Alpaca, "model name '" + name + "'");
  return say(ChatFormat::None, "no chat_template and no known model name");
}

ChatFormat resolve_chat_format(const std::string& name, const fs::path& model_dir,
                               std::string* reason) {
  if (name == "auto") return detect_chat_format(model_dir, reason);
  for (const auto& [f, n] : kFormats) {
    if (n == name) {
      if (reason) *reason = n;
      return f;
    }
  }
  const std::string near = closest_match(name, chat_template_names());
  fail_input("--chat-template",
             "unknown chat template '{}'{}; known: none, mistral, llama-2, "
             "chatml, zephyr, alpaca, auto",
             name, near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
}

std::string apply_chat_template(ChatFormat format, const std::vector<ChatMessage>& messages) {
  std::string out;
  switch (format) {
    case ChatFormat::None:
      for (const auto& m : messages) out += m.content;
      return out;
    case ChatFormat::Mistral:
      return render_inst(messages, false);
    case ChatFormat::Llama2:
      return render_inst(messages, true);
    case ChatFormat::ChatML:
      for (const auto& m : messages)
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      return out + "<|im_start|>assistant\n";
    case ChatFormat::Zephyr:
      for (const auto& m : messages) out += "<|" + m.role + "|>\n" + m.content + "</s>\n";
      return out + "<|assistant|>\n";
    case ChatFormat::Alpaca: {
      std::string system;
      std::vector<const ChatMessage*> turns;
      split_messages(messages, system, turns);
      out = system.empty() ? kAlpacaPreamble : system;
      for (const ChatMessage* m : turns) {
        out += m->role == "user" ? "\n\n### Instruction:\n" + m->content
                                 : "\n\n### Response:\n" + m->content;
      }
      return out + "\n\n### Response:\n";
    }
  }
  return out;
}

}  // namespace moebench::eval
