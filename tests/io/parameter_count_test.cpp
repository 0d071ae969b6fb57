#include "harness/io/parameter_count.h"

#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::io {
namespace {

using nlohmann::json;

// Mistral-7B's shapes; `experts` > 0 turns it into a Mixtral-architecture MoE.
ModelConfig mistral_shaped(int experts) {
  json j = {{"architectures", {experts > 0 ? "MixtralForCausalLM" : "MistralForCausalLM"}},
            {"hidden_size", 4096},
            {"intermediate_size", 14336},
            {"num_hidden_layers", 32},
            {"num_attention_heads", 32},
            {"num_key_value_heads", 8},
            {"vocab_size", 32000},
            {"tie_word_embeddings", false}};
  if (experts > 0) {
    j["num_local_experts"] = experts;
    j["num_experts_per_tok"] = 2;
  }
  return ModelConfig::from_json(j, "test config");
}

TEST(ParameterCount, DenseMistral7B) {
  ParameterCounts counts = count_parameters(mistral_shaped(0));
  EXPECT_EQ(counts.total, 7'241'732'096);
  EXPECT_EQ(counts.active, counts.total);
}

TEST(ParameterCount, FrankenMoE4x7B) {
  ParameterCounts counts = count_parameters(mistral_shaped(4));
  EXPECT_EQ(counts.total, 24'153'690'112);
  EXPECT_EQ(counts.active, 12'879'400'960);
}

TEST(ParameterCount, Mixtral8x7B) {
  ParameterCounts counts = count_parameters(mistral_shaped(8));
  EXPECT_EQ(counts.total, 46'702'792'704);
  EXPECT_EQ(counts.active, 12'879'925'248);
}

TEST(ParameterCount, TiedEmbeddingsCountOnce) {
  json j = mistral_shaped(0).raw;
  j["tie_word_embeddings"] = true;
  ParameterCounts tied = count_parameters(ModelConfig::from_json(j, "test config"));
  EXPECT_EQ(tied.total, 7'241'732'096 - 32000 * 4096);
}

TEST(ParameterCount, OverflowIsAnInputError) {
  json j = mistral_shaped(8).raw;
  j["hidden_size"] = 2'000'000'000;
  j["intermediate_size"] = 2'000'000'000;
  j["num_attention_heads"] = 1;
  j["num_key_value_heads"] = 1;
  EXPECT_THROW(count_parameters(ModelConfig::from_json(j, "test config")), InputError);
}

// tiny-mixtral's tensors (hidden 64, intermediate 160, 3 layers, 8 heads, 2 kv
// heads of 8, vocab 512, 4 experts, untied), summed by hand from their shapes:
//   per layer: q 64x64 + k 16x64 + v 16x64 + o 64x64 = 10,240; norms 2x64 = 128;
//   router 4x64 = 256; experts 4 x 3 x 64x160 = 122,880  -> 133,504 (x3 = 400,512)
//   embed 512x64 + lm_head 512x64 + final norm 64 = 65,600    -> total 466,112
//   active: experts 2 x 30,720 -> 72,064 per layer (x3 = 216,192) + 65,600 = 281,792
TEST(ParameterCount, TinyMixtralMatchesItsTensors) {
  MOEBENCH_REQUIRE_SHARED();
  ModelConfig c = ModelConfig::load(testing::shared_dir() / "reference" / "models" / "tiny-mixtral");
  ParameterCounts counts = count_parameters(c);
  EXPECT_EQ(counts.total, 466'112);
  EXPECT_EQ(counts.active, 281'792);
}

}  // namespace
}  // namespace moebench::io
