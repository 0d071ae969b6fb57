// Built-in chat formats against the texts the Hugging Face templates of each
// family render (add_generation_prompt=True, BOS left to the tokenizer), and `auto`.
#include "harness/eval/chat_template.h"

#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::eval {
namespace {

const std::vector<ChatMessage> kWithSystem = {{"system", "Be brief."}, {"user", "Hi there "}};
const std::vector<ChatMessage> kUserOnly = {{"user", "Hi there "}};

TEST(ChatTemplate, BuiltInFormats) {
  EXPECT_EQ(apply_chat_template(ChatFormat::ChatML, kWithSystem),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(apply_chat_template(ChatFormat::Zephyr, kWithSystem),
            "<|system|>\nBe brief.</s>\n<|user|>\nHi there </s>\n<|assistant|>\n");
  EXPECT_EQ(apply_chat_template(ChatFormat::Mistral, kUserOnly), "[INST] Hi there  [/INST]");
  EXPECT_EQ(apply_chat_template(ChatFormat::Mistral, kWithSystem),
            "[INST] Be brief.\n\nHi there  [/INST]");
  // llama-2 strips the user turn (content.strip() in its template).
  EXPECT_EQ(apply_chat_template(ChatFormat::Llama2, kUserOnly), "[INST] Hi there [/INST]");
  EXPECT_EQ(apply_chat_template(ChatFormat::Llama2, kWithSystem),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST]");
  EXPECT_EQ(apply_chat_template(ChatFormat::Alpaca, kUserOnly),
            "Below is an instruction that describes a task. Write a response that appropriately "
            "completes the request.\n\n### Instruction:\nHi there \n\n### Response:\n");
  EXPECT_EQ(apply_chat_template(ChatFormat::Alpaca, kWithSystem),
            "Be brief.\n\n### Instruction:\nHi there \n\n### Response:\n");
  EXPECT_EQ(apply_chat_template(ChatFormat::None, kWithSystem), "Be brief.Hi there ");
}

TEST(ChatTemplate, NamesAndAuto) {
  EXPECT_EQ(resolve_chat_format("llama-2", {}), ChatFormat::Llama2);
  try {
    resolve_chat_format("chatlm", {});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'chatml'"), std::string::npos) << e.what();
  }
  moebench::testing::ScratchDir dir;
  namespace fs = std::filesystem;
  auto model = [&](const std::string& name, const std::string& config) {
    fs::path p = dir.path() / name;
    fs::create_directories(p);
    if (!config.empty()) moebench::testing::write_text(p / "tokenizer_config.json", config);
    return p;
  };
  std::string why;
  EXPECT_EQ(
      resolve_chat_format(
          "auto",
          model(
              "a",
              R"({"chat_template": "{% for m in messages %}<|im_start|>{{m.role}}{% endfor %}"})"),
          &why),
      ChatFormat::ChatML);
  EXPECT_NE(why.find("chat_template"), std::string::npos) << why;
  EXPECT_EQ(
      detect_chat_format(model(
          "b",
          R"({"chat_template": [{"name": "tool_use", "template": "<|user|>x"}, {"name": "default", "template": "{{ '[INST] ' + m + ' [/INST]' }}"}]})")),
      ChatFormat::Mistral);
  EXPECT_EQ(detect_chat_format(model("c", R"({"chat_template": "<<SYS>> [INST]"})")),
            ChatFormat::Llama2);
  EXPECT_EQ(detect_chat_format(model("zephyr-7b-beta", "")), ChatFormat::Zephyr);
  EXPECT_EQ(detect_chat_format(
                model("Mixtral-8x7B-Instruct-v0.1", R"({"tokenizer_class": "LlamaTokenizer"})")),
            ChatFormat::Mistral);
  EXPECT_EQ(
      detect_chat_format(model("d", R"({"name_or_path": "teknium/OpenHermes-2.5-Mistral-7B"})")),
      ChatFormat::ChatML);
  EXPECT_EQ(detect_chat_format(model("Llama-2-7b-chat-hf", "")), ChatFormat::Llama2);
  EXPECT_EQ(detect_chat_format(model("Mistral-7B-v0.1", "")), ChatFormat::None);
  EXPECT_EQ(detect_chat_format(model("e", R"({"chat_template": "{{ messages }}"})")),
            ChatFormat::None);
  EXPECT_THROW(detect_chat_format(model("f", "{broken")), InputError);
}

}  // namespace
}  // namespace moebench::eval
