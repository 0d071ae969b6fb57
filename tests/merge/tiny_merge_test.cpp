// Merges of generated tiny models: the written model equals the in-memory one
// bit for bit (fp32) in every layout, dtype and shard split; weights are shared,
// not copied; noise/residual scales; gate modes; the all-experts-base invariant.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

#include "harness/io/tensor_store.h"
#include "harness/merge/gate_builder.h"
#include "harness/merge/mixtral_writer.h"
#include "harness/merge/moe_assembly.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "tests/merge/merge_test_util.h"
#include "tests/testing/test_env.h"

namespace moebench::merge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::vector<int32_t> kIds = {1, 40, 300, 7, 99, 260, 12, 400, 3, 77, 150, 201};

// A recipe over tiny_family(): experts expert-0..2 unless `experts` says otherwise.
MergeRecipe family_recipe(const std::string& extra = "", const std::string& mode = "hidden",
                          std::vector<std::string> experts = {"expert-0", "expert-1", "expert-2"}) {
  const std::vector<std::string> prompts = {"Once upon a time there was a girl", "How many apples does Tom have?",
                                            "def add(a, b):\n    return a + b", "The cat sat on the mat"};
  std::string text = "base_model: base\ngate_mode: " + mode + "\nexperts:\n";
  for (size_t i = 0; i < experts.size(); ++i)
    text += fmt::format("  - source_model: {}\n    positive_prompts: [\"{}\"]\n", experts[i], prompts[i % 4]);
  return MergeRecipe::parse(text + extra, "family.yml");
}

MergeOptions family_options() {
  MergeOptions options;
  options.search_dirs = {testing::tiny_family()};
  options.progress = false;
  return options;
}

std::vector<std::vector<float>> logits_of(const std::shared_ptr<model::LanguageModel>& lm) { return lm->logits(kIds); }

TEST(TinyMerge, WrittenShardsLoadBackBitIdentical) {
  moebench::testing::ScratchDir scratch;
  MergeOptions options = family_options();
  options.max_shard_bytes = 150'000;  // the ~0.5 MB model in several shards
  int64_t callbacks = 0;
  options.on_tensor_written = [&](int64_t written, int64_t total) {
    ++callbacks;
    EXPECT_LE(written, total);
  };
  MergeSummary s = merge_recipe_to_directory(family_recipe(), scratch.path() / "out", options);
  EXPECT_EQ(callbacks, s.tensors);
  auto files = testing::list_dir(scratch.path() / "out");
  EXPECT_THAT(files, ::testing::Contains("model.safetensors.index.json"));
  std::vector<std::string> shards;
  for (const auto& f : files)
    if (f.rfind("model-", 0) == 0) shards.push_back(f);
  ASSERT_GE(shards.size(), 3u);
  for (size_t i = 0; i < shards.size(); ++i) {
    EXPECT_EQ(shards[i], fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size()));
    // Each shard respects the cap unless it holds a single larger tensor.
    auto file = io::SafetensorsFile::open(scratch.path() / "out" / shards[i]);
    uint64_t bytes = 0;
    for (const auto& name : file->names()) bytes += file->get(name).nbytes;
    EXPECT_TRUE(bytes <= options.max_shard_bytes || file->names().size() == 1) << shards[i];
  }
  const auto index = testing::read_json(scratch.path() / "out" / "model.safetensors.index.json");
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), s.tensor_bytes);
  EXPECT_EQ(index["weight_map"].size(), static_cast<size_t>(s.tensors));

  auto in_memory = load_merged_model(family_recipe(), {}, family_options());
  auto from_disk = model::LanguageModel::load(scratch.path() / "out");
  EXPECT_EQ(testing::max_abs_diff(logits_of(in_memory), logits_of(from_disk)), 0.0);
}

TEST(TinyMerge, V5LayoutHoldsTheSameModel) {
  moebench::testing::ScratchDir scratch;
  MergeOptions options = family_options();
  options.layout = "v5";
  merge_recipe_to_directory(family_recipe(), scratch.path() / "v5", options);
  auto store = io::TensorStore::open(scratch.path() / "v5");
  EXPECT_TRUE(store->contains("model.layers.1.mlp.gate.weight"));
  EXPECT_EQ(store->get("model.layers.1.mlp.experts.gate_up_proj").shape, (std::vector<int64_t>{3, 320, 64}));
  EXPECT_EQ(store->get("model.layers.1.mlp.experts.down_proj").shape, (std::vector<int64_t>{3, 64, 160}));
  EXPECT_FALSE(store->contains("model.layers.1.block_sparse_moe.gate.weight"));
  // gate_up_proj[e] = cat(expert e's gate_proj, up_proj)
  auto expert1 = io::TensorStore::open(testing::tiny_family() / "expert-1");
  io::TensorView fused = store->get("model.layers.1.mlp.experts.gate_up_proj");
  const size_t matrix = 160 * 64 * sizeof(float);
  EXPECT_EQ(std::memcmp(fused.data + 2 * matrix, expert1->get("model.layers.1.mlp.gate_proj.weight").data, matrix), 0);
  EXPECT_EQ(std::memcmp(fused.data + 3 * matrix, expert1->get("model.layers.1.mlp.up_proj.weight").data, matrix), 0);
  auto in_memory = load_merged_model(family_recipe(), {}, family_options());
  EXPECT_EQ(testing::max_abs_diff(logits_of(in_memory), logits_of(model::LanguageModel::load(scratch.path() / "v5"))), 0.0);
}

TEST(TinyMerge, RecipeDtypeIsTheWrittenDtype) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = family_recipe("dtype: bfloat16\n");
  merge_recipe_to_directory(recipe, scratch.path() / "bf16", family_options());
  EXPECT_EQ(testing::read_json(scratch.path() / "bf16" / "config.json")["torch_dtype"], "bfloat16");
  auto store = io::TensorStore::open(scratch.path() / "bf16");
  for (const auto& name : store->names()) EXPECT_EQ(store->get(name).dtype, io::DType::BF16) << name;
  // In memory at float32, the MoE goes through bfloat16 as the written one did.
  auto in_memory = load_merged_model(recipe, {}, family_options());
  EXPECT_EQ(testing::max_abs_diff(logits_of(in_memory), logits_of(model::LanguageModel::load(scratch.path() / "bf16"))), 0.0);
  model::LoadOptions bf16;
  bf16.dtype = "auto";  // the recipe's dtype
  EXPECT_EQ(load_merged_model(recipe, bf16, family_options())->dtype(), "bfloat16");
}

TEST(TinyMerge, InMemoryWeightsAreViewsOfTheSourceFiles) {
  MergeOptions options = family_options();
  // expert-0 twice: one mapping, the same tensors for both experts.
  MergeInputs in = open_merge_inputs(family_recipe("", "hidden", {"expert-0", "expert-1", "expert-0"}), options,
                                     InputScope::Full);
  EXPECT_EQ(in.experts[0].store, in.experts[2].store);
  GateSet gates = compute_gates(in, options);
  auto w = assemble_moe_weights(in, gates, model::TensorPlacement{}, 0);
  auto base_view = [&](const std::string& name) { return static_cast<const void*>(in.base.store->get(name).data); };
  EXPECT_EQ(w->embed.data_ptr(), base_view("model.embed_tokens.weight"));
  EXPECT_EQ(w->layers[1].q.data_ptr(), base_view("model.layers.1.self_attn.q_proj.weight"));
  EXPECT_EQ(w->layers[1].experts[1].down.data_ptr(),
            static_cast<const void*>(in.experts[1].store->get("model.layers.1.mlp.down_proj.weight").data));
  EXPECT_EQ(w->layers[0].experts[0].gate.data_ptr(), w->layers[0].experts[2].gate.data_ptr());
  const float* g = w->layers[0].router.data_ptr<float>();
  EXPECT_EQ(std::memcmp(g, gates.row(0, 0), 3 * 64 * sizeof(float)), 0);
}

TEST(TinyMerge, NoiseAndResidualScale) {
  moebench::testing::ScratchDir scratch;
  MergeRecipe recipe = MergeRecipe::parse(R"(
base_model: base
experts:
  - {source_model: expert-0, positive_prompts: ["a story"], noise_scale: 0.01}
  - {source_model: expert-1, positive_prompts: ["a sum"], residual_scale: 0.5}
  - {source_model: expert-2, positive_prompts: ["some code"]}
)", "scaled.yml");
  MergeOptions options = family_options();
  options.seed = 7;
  merge_recipe_to_directory(recipe, scratch.path() / "a", options);
  merge_recipe_to_directory(recipe, scratch.path() / "b", options);
  options.seed = 8;
  merge_recipe_to_directory(recipe, scratch.path() / "c", options);
  auto a = io::TensorStore::open(scratch.path() / "a"), b = io::TensorStore::open(scratch.path() / "b"),
       c = io::TensorStore::open(scratch.path() / "c");
  auto e0 = io::TensorStore::open(testing::tiny_family() / "expert-0");
  auto e1 = io::TensorStore::open(testing::tiny_family() / "expert-1");
  const std::string w1 = "model.layers.0.block_sparse_moe.experts.0.w1.weight";
  const size_t n = 160 * 64;
  auto floats = [](const io::TensorView& v) { return reinterpret_cast<const float*>(v.data); };
  EXPECT_EQ(std::memcmp(a->get(w1).data, b->get(w1).data, n * 4), 0);  // same seed, same noise
  EXPECT_NE(std::memcmp(a->get(w1).data, c->get(w1).data, n * 4), 0);  // another seed
  double sum2 = 0;
  const float* noisy = floats(a->get(w1));
  const float* clean = floats(e0->get("model.layers.0.mlp.gate_proj.weight"));
  for (size_t i = 0; i < n; ++i) sum2 += (noisy[i] - clean[i]) * (noisy[i] - clean[i]);
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.01, 0.0005);
  // residual_scale multiplies the expert's down projection (w2) only.
  const float* down = floats(a->get("model.layers.1.block_sparse_moe.experts.1.w2.weight"));
  const float* source = floats(e1->get("model.layers.1.mlp.down_proj.weight"));
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(down[i], source[i] * 0.5f);
  EXPECT_EQ(std::memcmp(a->get("model.layers.1.block_sparse_moe.experts.1.w1.weight").data,
                        e1->get("model.layers.1.mlp.gate_proj.weight").data, n * 4), 0);
  options.seed = 7;
  auto in_memory = load_merged_model(recipe, {}, options);
  EXPECT_EQ(testing::max_abs_diff(logits_of(in_memory), logits_of(model::LanguageModel::load(scratch.path() / "a"))), 0.0);
}

TEST(TinyMerge, AllExpertsBaseComputesTheBaseInEveryGateMode) {
  auto base = model::LanguageModel::load(testing::tiny_family() / "base");
  const auto want = logits_of(base);
  MergeOptions options = family_options();
  options.allow_all_same = true;
  for (const char* mode : {"hidden", "hidden_avg", "cheap_embed", "random", "uniform_random"}) {
    auto merged = load_merged_model(family_recipe("", mode, {"base", "base", "base", "base"}), {}, options);
    EXPECT_LE(testing::max_abs_diff(logits_of(merged), want), 2e-6) << mode;
  }
}

TEST(TinyMerge, RandomGatesFollowTheSeedAndMergekitsDistributions) {
  MergeOptions options = family_options();
  MergeInputs in = open_merge_inputs(family_recipe("", "random"), options, InputScope::GatesOnly);
  GateSet a = compute_gates(in, options), b = compute_gates(in, options);
  EXPECT_EQ(a.values, b.values);
  options.seed = 1;
  EXPECT_NE(compute_gates(in, options).values, a.values);
  double mean = 0, var = 0;
  for (float v : a.values) mean += v / a.values.size();
  for (float v : a.values) var += (v - mean) * (v - mean) / a.values.size();
  EXPECT_NEAR(var, 1.0, 0.15);  // N(0, 1), not normalised
  MergeInputs u = open_merge_inputs(family_recipe("", "uniform_random"), options, InputScope::GatesOnly);
  GateSet g = compute_gates(u, options);
  for (float v : g.values) ASSERT_LE(std::abs(v), 1 / std::sqrt(64.0f));  // U(-1/sqrt(H), 1/sqrt(H))
}

// hidden_avg: mergekit sums over all T positions (pads included) and divides
// by T. With one prompt there are no pads: the mean of the layer inputs.
TEST(TinyMerge, HiddenAvgIsTheMeanOverPositions) {
  MergeOptions options = family_options();
  MergeInputs in = open_merge_inputs(family_recipe("", "hidden_avg"), options, InputScope::GatesOnly);
  GateSet gates = compute_gates(in, options);
  PromptBatch batch = tokenize_prompts(*in.tokenizer, in.recipe.experts[1].positive_prompts);
  auto weights = model::load_model_weights(in.base.config, in.base.store, {});
  model::Transformer transformer(weights);
  std::vector<at::Tensor> inputs;
  std::vector<const std::vector<int32_t>*> rows = {&batch.ids[0]};
  transformer.forward(model::make_batch(rows, {0}, 0), nullptr, {nullptr, &inputs});
  for (int64_t l = 0; l < gates.layers; ++l) {
    at::Tensor v = inputs[l][0].mean(0);
    v = v / v.norm();
    at::Tensor ours = at::from_blob(const_cast<float*>(gates.row(l, 1)), {64}, at::kFloat);
    EXPECT_LE((v - ours).abs().max().item<double>(), 1e-6) << "layer " << l;
  }
}

// Gates are computed on the device asked for; a GPU gives the CPU's gates
// (float32 both) and a GPU-resident merged model the CPU's logits.
TEST(TinyMerge, GatesOnGpuMatchCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "SKIPPED: no CUDA device in this build or machine";
  MergeOptions cpu = family_options(), gpu = family_options();
  cpu.device = "cpu";
  gpu.device = "cuda";
  EXPECT_EQ(gate_device(MergeOptions{}), "cuda");
  for (const char* mode : {"hidden", "hidden_avg", "cheap_embed"}) {
    MergeInputs in = open_merge_inputs(family_recipe("", mode), cpu, InputScope::GatesOnly);
    GateSet a = compute_gates(in, cpu), b = compute_gates(in, gpu);
    double diff = 0;
    for (size_t i = 0; i < a.values.size(); ++i) diff = std::max(diff, double(std::abs(a.values[i] - b.values[i])));
    EXPECT_LE(diff, 1e-5) << mode;
  }
  model::LoadOptions on_gpu;
  on_gpu.device = "cuda";
  auto a = load_merged_model(family_recipe(), {}, family_options());
  auto b = load_merged_model(family_recipe(), on_gpu, family_options());
  EXPECT_EQ(b->device(), "cuda:0");
  EXPECT_LE(testing::max_abs_diff(logits_of(a), logits_of(b)), 1e-4);
}

TEST(TinyMerge, InterruptedMergeLeavesNothing) {
  moebench::testing::ScratchDir scratch;
  MergeOptions options = family_options();
  options.on_tensor_written = [](int64_t written, int64_t) {
    if (written == 5) throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(merge_recipe_to_directory(family_recipe(), scratch.path() / "out", options), std::runtime_error);
  EXPECT_TRUE(testing::list_dir(scratch.path()).empty());
  // A killed merge leaves its hidden staging directory: the next merge removes it.
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // a pid that no longer exists
  fs::create_directories(scratch.path() / fmt::format(".out.tmp-{}-abc", child) / "half");
  options.on_tensor_written = nullptr;
  merge_recipe_to_directory(family_recipe(), scratch.path() / "out", options);
  EXPECT_EQ(testing::list_dir(scratch.path()), std::vector<std::string>{"out"});
  // An existing output is refused, or replaced only with --overwrite.
  EXPECT_THROW(merge_recipe_to_directory(family_recipe(), scratch.path() / "out", options), InputError);
  options.overwrite = true;
  merge_recipe_to_directory(family_recipe("dtype: float16\n"), scratch.path() / "out", options);
  EXPECT_EQ(testing::read_json(scratch.path() / "out" / "config.json")["torch_dtype"], "float16");
  EXPECT_EQ(testing::list_dir(scratch.path()), std::vector<std::string>{"out"});
}

}  // namespace
}  // namespace moebench::merge
