// Chat formatting of prompts (`--chat-template`), the way lm-eval's
// --apply_chat_template renders them: the task description becomes a system
// message, the few-shot examples and the question one user message, and the
// text ends with the assistant's generation prompt. Built-in formats reproduce
// the Hugging Face chat templates of their model families, without the leading
// BOS token (the tokenizer adds it) — "</s>" inside zephyr's and llama-2's turns
// stays as text for the tokenizer to map to EOS:
//
//   mistral  [INST] {system}\n\n{user} [/INST]            (Mistral/Mixtral-Instruct)
//   llama-2  [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]   (user text stripped)
//   chatml   <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n
//   zephyr   <|system|>\n{system}</s>\n<|user|>\n{user}</s>\n<|assistant|>\n
//   alpaca   {system, or Alpaca's preamble}\n\n### Instruction:\n{user}\n\n### Response:\n
//   none     no chat formatting: the plain lm-eval prompt
//
// `auto` reads MODEL_DIR/tokenizer_config.json: its `chat_template` (a string, or
// a list of {name, template} where "default" or the first is used) is recognised
// by its markers (<|im_start|> chatml, <|user|> zephyr, <<SYS>> llama-2, [INST]
// mistral, "### Instruction" alpaca). Without one, the model's name (the folder
// name and `name_or_path`) decides: zephyr; llama-2 + chat; mistral/mixtral +
// instruct; hermes/dolphin/chatml/qwen -> chatml; alpaca. Otherwise none.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace moebench::eval {

enum class ChatFormat { None, Mistral, Llama2, ChatML, Zephyr, Alpaca };

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

// "none", "mistral", "llama-2", "chatml", "zephyr", "alpaca".
std::string to_string(ChatFormat format);
// The names --chat-template accepts: the formats above and "auto".
std::vector<std::string> chat_template_names();

// A built-in format by name, or "auto" resolved from `model_dir`; InputError with
// the closest name when unknown. `reason` (optional) says how auto decided.
ChatFormat resolve_chat_format(const std::string& name, const std::filesystem::path& model_dir,
                               std::string* reason = nullptr);
// `auto` (see above); ChatFormat::None when nothing is recognised.
ChatFormat detect_chat_format(const std::filesystem::path& model_dir,
                              std::string* reason = nullptr);
// The family of a Jinja chat template, by its markers; ChatFormat::None when unknown.
ChatFormat chat_format_of_template(const std::string& jinja);

// The messages rendered in `format`, ending with the generation prompt.
// ChatFormat::None joins the contents with nothing between them.
std::string apply_chat_template(ChatFormat format, const std::vector<ChatMessage>& messages);

}  // namespace moebench::eval
