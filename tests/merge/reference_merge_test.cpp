// Acceptance against ../shared/reference/merge (mergekit's algorithm,
// reimplemented in float32 and cross-checked with llama.cpp): gates, the
// written config and tensors, and the merged model's logits, in memory and
// from disk.
#include <gtest/gtest.h>

#include <cstring>

#include <fmt/format.h>

#include "harness/io/tensor_store.h"
#include "harness/merge/gate_builder.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/merge/moe_assembly.h"
#include "harness/model/language_model.h"
#include "harness/util/atomic_path.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::read_json;
using testing::reference_dir;

MergeRecipe reference_recipe(const std::string& mode) {
  return MergeRecipe::load(reference_dir() / "merge" / ("config-" + mode + ".yml"));
}

GateSet gates_for(const std::string& mode) {
  MergeInputs in = open_merge_inputs(reference_recipe(mode), testing::reference_options(), InputScope::GatesOnly);
  return compute_gates(in, testing::reference_options());
}

// max |ours - expected| over gates[l][e][h] of an expected-gates-*.json.
double gate_diff(const GateSet& gates, const json& expected) {
  double diff = 0;
  for (int64_t l = 0; l < gates.layers; ++l)
    for (int64_t e = 0; e < gates.experts; ++e)
      for (int64_t h = 0; h < gates.hidden; ++h)
        diff = std::max(diff, std::abs(gates.row(l, e)[h] - expected["gates"][l][e][h].get<double>()));
  return diff;
}

TEST(ReferenceMerge, TokenizedPromptsMatchMergekits) {
  MOEBENCH_REQUIRE_SHARED();
  const json expected = read_json(reference_dir() / "merge" / "expected-gates-hidden.json");
  MergeInputs in = open_merge_inputs(reference_recipe("hidden"), testing::reference_options(), InputScope::GatesOnly);
  const std::vector<std::string> names = {"expert_a", "expert_b", "expert_c"};
  for (size_t e = 0; e < names.size(); ++e) {
    for (const char* kind : {"positive", "negative"}) {
      const json& want = expected["tokenized_prompts"][names[e]];
      if (!want.contains(kind)) continue;
      const auto& prompts = std::string(kind) == "positive" ? in.recipe.experts[e].positive_prompts
                                                            : in.recipe.experts[e].negative_prompts;
      PromptBatch batch = tokenize_prompts(*in.tokenizer, prompts);
      EXPECT_EQ(json(batch.ids), want[kind]["input_ids"]) << names[e] << " " << kind;
      EXPECT_EQ(json(batch.mask), want[kind]["attention_mask"]) << names[e] << " " << kind;
    }
  }
}

TEST(ReferenceMerge, HiddenGatesMatchExpected) {
  MOEBENCH_REQUIRE_SHARED();
  const json expected = read_json(reference_dir() / "merge" / "expected-gates-hidden.json");
  GateSet gates = gates_for("hidden");
  ASSERT_EQ(gates.layers, 5);
  ASSERT_EQ(gates.experts, 3);
  ASSERT_EQ(gates.hidden, 64);
  const double diff = gate_diff(gates, expected);
  EXPECT_LE(diff, 1e-5);
  RecordProperty("max_abs_diff", std::to_string(diff));
  std::printf("hidden gates: max abs diff vs expected %.3g\n", diff);
}

TEST(ReferenceMerge, CheapEmbedGatesMatchExpected) {
  MOEBENCH_REQUIRE_SHARED();
  const json expected = read_json(reference_dir() / "merge" / "expected-gates-cheap_embed.json");
  GateSet gates = gates_for("cheap_embed");
  const double diff = gate_diff(gates, expected);
  EXPECT_LE(diff, 1e-6);
  RecordProperty("max_abs_diff", std::to_string(diff));
  std::printf("cheap_embed gates: max abs diff vs expected %.3g\n", diff);
  for (int64_t l = 1; l < gates.layers; ++l)  // the same vector for every layer
    EXPECT_EQ(std::memcmp(gates.row(l, 0), gates.row(0, 0), 3 * 64 * sizeof(float)), 0);
}

// One merge of config-hidden.yml to disk, shared by the tests below.
class WrittenReferenceMerge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (moebench::testing::shared_dir().empty()) return;
    scratch_ = new moebench::testing::ScratchDir();
    summary_ = new MergeSummary(merge_recipe_to_directory(reference_recipe("hidden"), scratch_->path() / "merged",
                                                          testing::reference_options()));
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete scratch_;
  }
  void SetUp() override { MOEBENCH_REQUIRE_SHARED(); }
  static fs::path out() { return scratch_->path() / "merged"; }

  static moebench::testing::ScratchDir* scratch_;
  static MergeSummary* summary_;
};
moebench::testing::ScratchDir* WrittenReferenceMerge::scratch_ = nullptr;
MergeSummary* WrittenReferenceMerge::summary_ = nullptr;

TEST_F(WrittenReferenceMerge, ConfigEqualsExpectedFieldByField) {
  const json ours = read_json(out() / "config.json");
  const json expected = read_json(reference_dir() / "merge" / "expected-merged-config.json");
  for (const auto& [key, value] : expected.items()) {
    ASSERT_TRUE(ours.contains(key)) << key;
    EXPECT_EQ(ours[key], value) << key;
  }
  // Anything else is carried over from the base, as MixtralConfig(**base.to_dict()) does.
  const json base = read_json(reference_dir() / "models" / "stories260K" / "config.json");
  for (const auto& [key, value] : ours.items())
    if (!expected.contains(key)) EXPECT_EQ(base.at(key), value) << key;
}

TEST_F(WrittenReferenceMerge, DirectoryHasWhatLoadersNeed) {
  EXPECT_EQ(testing::list_dir(out()),
            (std::vector<std::string>{"config.json", "mergekit_moe_config.yml", "model.safetensors",
                                      "special_tokens_map.json", "tokenizer.model", "tokenizer_config.json"}));
  EXPECT_EQ(summary_->files, testing::list_dir(out()));
  EXPECT_EQ(read_file(out() / "mergekit_moe_config.yml"), reference_recipe("hidden").text);
  for (const char* name : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_EQ(read_file(out() / name), read_file(reference_dir() / "models" / "stories260K" / name)) << name;
  auto file = io::SafetensorsFile::open(out() / "model.safetensors");
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(testing::list_dir(out().parent_path()), std::vector<std::string>{"merged"});  // no temporaries left
}

// Every tensor of expected-tensors.json's classic layout, from its source:
// base and expert tensors bit-identical, routers = our gates (bit-identical)
// = the expected gates (within 1e-5); nothing else in the file.
TEST_F(WrittenReferenceMerge, EveryTensorEqualsItsSource) {
  const json spec = read_json(reference_dir() / "merge" / "expected-tensors.json");
  const json gates = read_json(reference_dir() / "merge" / "expected-gates-hidden.json");
  GateSet ours = gates_for("hidden");
  auto merged = io::TensorStore::open(out());
  std::map<std::string, std::shared_ptr<const io::TensorStore>> sources;
  for (const auto& [key, dir] : spec["sources"].items()) sources[key] = io::TensorStore::open(reference_dir() / dir.get<std::string>());
  const json& tensors = spec["classic_layout"]["tensors"];
  EXPECT_EQ(merged->names().size(), tensors.size());
  for (const auto& [name, from] : tensors.items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(merged->contains(name));
    io::TensorView got = merged->get(name);
    EXPECT_EQ(got.dtype, io::DType::F32);
    const std::string source = from.get<std::string>();
    if (source.rfind("gates[", 0) == 0) {
      const int64_t layer = std::stoll(source.substr(6));
      ASSERT_EQ(got.nbytes, 3 * 64 * sizeof(float));
      EXPECT_EQ(std::memcmp(got.data, ours.row(layer, 0), got.nbytes), 0);
      const float* values = reinterpret_cast<const float*>(got.data);
      for (int64_t i = 0; i < 3 * 64; ++i)
        EXPECT_NEAR(values[i], gates["gates"][layer][i / 64][i % 64].get<double>(), 1e-5);
      continue;
    }
    const size_t colon = source.find(':');
    io::TensorView want = sources.at(source.substr(0, colon))->get(source.substr(colon + 1));
    EXPECT_EQ(got.shape, want.shape);
    ASSERT_EQ(got.nbytes, want.nbytes);
    EXPECT_EQ(std::memcmp(got.data, want.data, got.nbytes), 0);
  }
  // And against the reference's own merged file: the same tensors, routers within 1e-5.
  auto expected = io::TensorStore::open(reference_dir() / "merge" / "expected-merged-hidden");
  EXPECT_EQ(expected->names(), merged->names());
  for (const std::string& name : expected->names()) {
    io::TensorView want = expected->get(name), got = merged->get(name);
    ASSERT_EQ(got.nbytes, want.nbytes) << name;
    if (name.find(".gate.weight") == std::string::npos) {
      EXPECT_EQ(std::memcmp(got.data, want.data, got.nbytes), 0) << name;
      continue;
    }
    for (size_t i = 0; i < got.nbytes / sizeof(float); ++i)
      EXPECT_NEAR(reinterpret_cast<const float*>(got.data)[i], reinterpret_cast<const float*>(want.data)[i], 1e-5)
          << name;
  }
}

// Golden logits of the merged model (reference implementation, cross-checked
// with llama.cpp); the written directory through moebench's own loader gives
// bit-identical logits to the in-memory MoE.
TEST_F(WrittenReferenceMerge, LogitsMatchGoldenInMemoryAndFromDisk) {
  const json golden = read_json(reference_dir() / "merge" / "merged-hidden__logits16.json");
  const auto tokens = golden["tokens"].get<std::vector<int32_t>>();
  const auto want = golden["logits"].get<std::vector<std::vector<float>>>();
  auto in_memory = load_merged_model(reference_recipe("hidden"), {}, testing::reference_options());
  auto from_disk = model::LanguageModel::load(out());
  const auto a = in_memory->logits(tokens), b = from_disk->logits(tokens);
  const double diff = testing::max_abs_diff(a, want);
  EXPECT_LE(diff, 1e-4);
  EXPECT_EQ(testing::max_abs_diff(a, b), 0.0) << "written model differs from the in-memory MoE";
  RecordProperty("max_abs_diff", std::to_string(diff));
  std::printf("merged logits: max abs diff vs golden %.3g (in memory and from disk identical)\n", diff);
  EXPECT_EQ(in_memory->config().num_experts, 3);
  EXPECT_EQ(in_memory->config().experts_per_token, 2);
}

// A frankenMoE whose experts are all the base computes the base, whatever the gates.
TEST(ReferenceMerge, AllExpertsBaseGivesBaseLogits) {
  MOEBENCH_REQUIRE_SHARED();
  const json golden = read_json(reference_dir() / "logits" / "stories260K__short16.json");
  const auto tokens = golden["tokens"].get<std::vector<int32_t>>();
  auto base = model::LanguageModel::load(reference_dir() / "models" / "stories260K");
  const auto want = base->logits(tokens);
  for (const char* mode : {"hidden", "random"}) {
    MergeRecipe r = MergeRecipe::parse(fmt::format(R"(
base_model: models/stories260K
gate_mode: {}
experts:
  - {{source_model: models/stories260K, positive_prompts: ["Once upon a time"]}}
  - {{source_model: models/stories260K, positive_prompts: ["The big dog"]}}
  - {{source_model: models/stories260K, positive_prompts: ["Mom baked a cake"]}}
)", mode), "all-base.yml");
    MergeOptions options = testing::reference_options();
    options.allow_all_same = true;
    auto merged = load_merged_model(r, {}, options);
    const double diff = testing::max_abs_diff(merged->logits(tokens), want);
    EXPECT_LE(diff, 5e-5) << mode;  // logits up to ~20: fp32 rounding of w1*y + w2*y
    std::printf("all experts = base (%s gates): max abs diff vs base %.3g\n", mode, diff);
  }
}

}  // namespace
}  // namespace moebench::merge
