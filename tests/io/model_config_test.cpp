#include "harness/io/model_config.h"

#include <gtest/gtest.h>

#include <functional>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using nlohmann::json;
using testing::ScratchDir;
using testing::shared_dir;
using testing::write_text;

// Mistral-7B-v0.1's config.json, the base most frankenMoEs are built from.
json mistral_7b() {
  return json::parse(R"({
    "architectures": ["MistralForCausalLM"], "model_type": "mistral",
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000,
    "max_position_embeddings": 32768, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 4096, "tie_word_embeddings": false, "bos_token_id": 1,
    "eos_token_id": 2, "torch_dtype": "bfloat16"})");
}

json with(json j, const json& patch) {
  j.merge_patch(patch);  // a null in `patch` removes the key
  return j;
}

using moebench::testing::expect_input_error;

void expect_rejected(const json& j, const std::vector<std::string>& fragments) {
  expect_input_error([&] { ModelConfig::from_json(j, "config.json"); }, fragments);
}

TEST(ModelConfig, ParsesMistral7B) {
  ModelConfig c = ModelConfig::from_json(mistral_7b(), "config.json");
  EXPECT_EQ(c.architecture, "MistralForCausalLM");
  EXPECT_EQ(c.model_type, "mistral");
  EXPECT_EQ(c.hidden_size, 4096);
  EXPECT_EQ(c.num_layers, 32);
  EXPECT_EQ(c.num_kv_heads, 8);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_FALSE(c.is_moe());
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.raw, mistral_7b());
}

TEST(ModelConfig, AppliesTransformersDefaults) {
  json llama = json::parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 256,
    "intermediate_size": 688, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 1000,
    "sliding_window": 128, "num_local_experts": 4})");
  ModelConfig c = ModelConfig::from_json(llama, "config.json");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e4);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.sliding_window.has_value());  // LlamaConfig has no sliding window
  EXPECT_EQ(c.num_experts, 0);                 // dense architecture: experts key ignored
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_FALSE(c.pad_token_id.has_value());
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_EQ(c.torch_dtype, "");
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::None);

  json mixtral = with(llama, {{"architectures", {"MixtralForCausalLM"}}, {"num_local_experts", nullptr}});
  ModelConfig m = ModelConfig::from_json(mixtral, "config.json");
  EXPECT_DOUBLE_EQ(m.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(m.rope_theta, 1e6);
  EXPECT_EQ(m.num_experts, 8);
  EXPECT_EQ(m.experts_per_token, 2);
  EXPECT_EQ(m.max_position_embeddings, 131072);
  EXPECT_EQ(m.sliding_window, 128);

  ModelConfig mistral = ModelConfig::from_json(with(mistral_7b(), {{"sliding_window", nullptr},
                                                                   {"rms_norm_eps", nullptr}}), "c");
  EXPECT_FALSE(mistral.sliding_window.has_value());
  EXPECT_DOUBLE_EQ(mistral.rms_norm_eps, 1e-6);
}

TEST(ModelConfig, TokenIdsAndHeadDim) {
  json j = mistral_7b();
  j["eos_token_id"] = {128001, 128009};
  j["bos_token_id"] = nullptr;
  j["pad_token_id"] = -1;  // old conversions' way of saying "none"
  j["head_dim"] = nullptr;
  ModelConfig c = ModelConfig::from_json(j, "config.json");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128009}));
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_FALSE(c.pad_token_id.has_value());
  EXPECT_EQ(c.head_dim, 128);

  j["head_dim"] = 160;  // Mistral-Nemo style: heads * head_dim != hidden
  j["hidden_size"] = 5120;
  j["eos_token_id"] = nullptr;
  c = ModelConfig::from_json(j, "config.json");
  EXPECT_EQ(c.head_dim, 160);
  EXPECT_TRUE(c.eos_token_ids.empty());
}

TEST(ModelConfig, RopeScalingVariants) {
  ModelConfig c = ModelConfig::from_json(with(mistral_7b(), {{"rope_scaling", {{"type", "linear"}, {"factor", 4.0}}}}), "c");
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::Linear);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 4.0);

  json llama3 = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  c = ModelConfig::from_json(with(mistral_7b(), {{"rope_scaling", llama3}, {"rope_theta", 500000.0}}), "c");
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::Llama3);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 8.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);

  c = ModelConfig::from_json(with(mistral_7b(), {{"rope_scaling", {{"rope_type", "default"}}}}), "c");
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::None);

  // transformers v5: theta and type inside rope_parameters, torch_dtype renamed dtype.
  json v5 = with(mistral_7b(), {{"rope_theta", nullptr}, {"torch_dtype", nullptr}, {"dtype", "float16"},
                               {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", 1e6}}}});
  c = ModelConfig::from_json(v5, "c");
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.torch_dtype, "float16");
  v5["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 5e5}};
  c = ModelConfig::from_json(v5, "c");
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::Linear);
  EXPECT_DOUBLE_EQ(c.rope_theta, 5e5);
}

TEST(ModelConfig, RejectsUnsupportedRopeScaling) {
  expect_rejected(with(mistral_7b(), {{"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}}}}),
                  {"config.json", "'rope_scaling.type'", "\"yarn\"", "linear", "llama3"});
  expect_rejected(with(mistral_7b(), {{"rope_scaling", {{"rope_type", "dynamic"}}}}),
                  {"'rope_scaling.rope_type'", "\"dynamic\""});
  expect_rejected(with(mistral_7b(), {{"rope_parameters", {{"rope_type", "yarn"}}}}),
                  {"'rope_parameters.rope_type'", "\"yarn\""});
  expect_rejected(with(mistral_7b(), {{"rope_scaling", {{"type", "linear"}}}}), {"'rope_scaling.factor'", "missing"});
  expect_rejected(with(mistral_7b(), {{"rope_scaling", {{"factor", 2.0}}}}), {"'rope_scaling.type'", "missing"});
  expect_rejected(with(mistral_7b(), {{"rope_scaling", "linear"}}), {"'rope_scaling'", "object"});
  expect_rejected(with(mistral_7b(), {{"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}}),
                  {"'rope_scaling.low_freq_factor'"});
}

TEST(ModelConfig, RejectsUnsupportedArchitecture) {
  expect_rejected(with(mistral_7b(), {{"architectures", {"MixtralForCausalLm"}}}),
                  {"config.json", "'architectures'", "\"MixtralForCausalLm\"", "LlamaForCausalLM",
                   "did you mean MixtralForCausalLM"});
  expect_rejected(with(mistral_7b(), {{"architectures", {"GPT2LMHeadModel"}}}), {"\"GPT2LMHeadModel\""});
  expect_rejected(with(mistral_7b(), {{"architectures", json::array()}}), {"'architectures'", "non-empty list"});
  expect_rejected(with(mistral_7b(), {{"architectures", "MistralForCausalLM"}}), {"'architectures'"});
  expect_rejected(with(mistral_7b(), {{"architectures", nullptr}}), {"'architectures'"});
  expect_rejected(with(mistral_7b(), {{"model_type", "llama"}}), {"'model_type'", "\"llama\"", "\"mistral\""});
}

TEST(ModelConfig, RejectsBadNumbers) {
  try {
    ModelConfig::from_json(with(mistral_7b(), {{"num_attention_heads", -3}}), "config.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "config.json: field 'num_attention_heads': expected a positive integer, got -3");
  }
  expect_rejected(with(mistral_7b(), {{"hidden_size", "4096"}}), {"'hidden_size'", "\"4096\""});
  expect_rejected(with(mistral_7b(), {{"hidden_size", 4096.5}}), {"'hidden_size'", "4096.5"});
  expect_rejected(with(mistral_7b(), {{"hidden_size", true}}), {"'hidden_size'", "true"});
  expect_rejected(with(mistral_7b(), {{"vocab_size", 0}}), {"'vocab_size'", "got 0"});
  expect_rejected(with(mistral_7b(), {{"vocab_size", 18446744073709551615ull}}), {"'vocab_size'", "2^31"});
  expect_rejected(with(mistral_7b(), {{"intermediate_size", nullptr}}), {"'intermediate_size'", "missing"});
  expect_rejected(with(mistral_7b(), {{"rms_norm_eps", -1e-5}}), {"'rms_norm_eps'", "positive number"});
  expect_rejected(with(mistral_7b(), {{"rope_theta", "big"}}), {"'rope_theta'", "\"big\""});
  expect_rejected(with(mistral_7b(), {{"tie_word_embeddings", "false"}}), {"'tie_word_embeddings'"});
  expect_rejected(with(mistral_7b(), {{"eos_token_id", {2, "x"}}}), {"'eos_token_id'", "\"x\""});
  expect_rejected(with(mistral_7b(), {{"torch_dtype", 16}}), {"'torch_dtype'", "16"});
  expect_rejected(with(mistral_7b(), {{"sliding_window", -1}}), {"'sliding_window'"});
  expect_rejected(json::array(), {"config.json", "JSON object"});
}

TEST(ModelConfig, RejectsInconsistentShapes) {
  expect_rejected(with(mistral_7b(), {{"num_key_value_heads", 5}}),
                  {"num_attention_heads (32)", "num_key_value_heads (5)"});
  expect_rejected(with(mistral_7b(), {{"num_attention_heads", 30}, {"num_key_value_heads", 10}}),
                  {"hidden_size (4096)", "num_attention_heads (30)"});
  json mixtral = with(mistral_7b(), {{"architectures", {"MixtralForCausalLM"}}, {"model_type", "mixtral"}});
  expect_rejected(with(mixtral, {{"num_local_experts", 4}, {"num_experts_per_tok", 5}}),
                  {"num_experts_per_tok (5)", "num_local_experts (4)"});
  expect_rejected(with(mixtral, {{"num_local_experts", 0}}), {"'num_local_experts'", "got 0"});
  expect_rejected(with(mixtral, {{"num_experts_per_tok", 0}}), {"'num_experts_per_tok'", "got 0"});
}

TEST(ModelConfig, LoadReportsFileProblems) {
  ScratchDir dir;
  expect_input_error([&] { ModelConfig::load(dir.path()); }, {(dir.path() / "config.json").string(), "not found"});
  write_text(dir.path() / "config.json", "{\"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_size\": 64,,}");
  expect_input_error([&] { ModelConfig::load(dir.path()); },
                     {(dir.path() / "config.json").string(), "malformed JSON", "line 2"});
  write_text(dir.path() / "config.json", with(mistral_7b(), {{"num_hidden_layers", "32"}}).dump());
  expect_input_error([&] { ModelConfig::load(dir.path()); },
                     {(dir.path() / "config.json").string(), "'num_hidden_layers'"});
}

TEST(ModelConfig, LoadsReferenceModels) {
  MOEBENCH_REQUIRE_SHARED();
  const auto models = shared_dir() / "reference" / "models";
  ModelConfig mixtral = ModelConfig::load(models / "tiny-mixtral");
  EXPECT_EQ(mixtral.architecture, "MixtralForCausalLM");
  EXPECT_TRUE(mixtral.is_moe());
  EXPECT_EQ(mixtral.num_experts, 4);
  EXPECT_EQ(mixtral.experts_per_token, 2);
  EXPECT_EQ(mixtral.head_dim, 8);
  EXPECT_EQ(mixtral.num_kv_heads, 2);
  EXPECT_DOUBLE_EQ(mixtral.rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(mixtral.rms_norm_eps, 1e-5);
  EXPECT_FALSE(mixtral.sliding_window.has_value());
  EXPECT_EQ(mixtral.torch_dtype, "float32");

  ModelConfig stories = ModelConfig::load(models / "stories260K");
  EXPECT_EQ(stories.model_type, "llama");
  EXPECT_TRUE(stories.tie_word_embeddings);
  EXPECT_EQ(stories.intermediate_size, 172);
  EXPECT_EQ(stories.rope_scaling.type, RopeScaling::Type::None);

  ModelConfig mistral = ModelConfig::load(models / "tiny-mistral");
  EXPECT_EQ(mistral.model_type, "mistral");
  EXPECT_FALSE(mistral.is_moe());

  ModelConfig merged = ModelConfig::load(shared_dir() / "reference" / "merge" / "expected-merged-hidden");
  EXPECT_EQ(merged.num_experts, 3);
  EXPECT_EQ(merged.bos_token_id, 1);
}

}  // namespace
}  // namespace moebench::io

namespace moebench::io {
namespace {

TEST(ModelConfigUnsupported, ActivationsAndBiasesAreRefused) {
  nlohmann::json base = {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 64},
                         {"intermediate_size", 128}, {"num_hidden_layers", 2},
                         {"num_attention_heads", 4}, {"vocab_size", 300}};
  for (auto [key, value, expected] :
       std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"hidden_act", "gelu", "hidden_act"},
           {"attention_bias", true, "attention_bias"},
           {"mlp_bias", true, "mlp_bias"}}) {
    nlohmann::json j = base;
    j[key] = value;
    try {
      ModelConfig::from_json(j, "config.json");
      ADD_FAILURE() << key << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(ModelConfig::from_json(base, "config.json"));
}

}  // namespace
}  // namespace moebench::io
