#include "harness/model/tiny_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/io/model_config.h"
#include "harness/io/sentencepiece_model.h"
#include "harness/io/tensor_store.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::model {
namespace {

namespace fs = std::filesystem;
using Shapes = std::map<std::string, std::vector<int64_t>>;

// Written independently of the generator, from the Hugging Face naming.
Shapes expected_shapes(const TinyModelSpec& s) {
  const int64_t H = s.hidden_size, I = s.intermediate_size, E = s.num_experts, hd = H / s.num_heads;
  Shapes out{{"model.embed_tokens.weight", {s.vocab_size, H}}, {"model.norm.weight", {H}}};
  if (!s.tie_word_embeddings) out["lm_head.weight"] = {s.vocab_size, H};
  for (int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out[p + "input_layernorm.weight"] = {H};
    out[p + "post_attention_layernorm.weight"] = {H};
    out[p + "self_attn.q_proj.weight"] = {s.num_heads * hd, H};
    out[p + "self_attn.k_proj.weight"] = {s.num_kv_heads * hd, H};
    out[p + "self_attn.v_proj.weight"] = {s.num_kv_heads * hd, H};
    out[p + "self_attn.o_proj.weight"] = {H, s.num_heads * hd};
    if (s.arch != "mixtral") {
      out[p + "mlp.gate_proj.weight"] = out[p + "mlp.up_proj.weight"] = {I, H};
      out[p + "mlp.down_proj.weight"] = {H, I};
    } else if (s.layout == "v4") {
      out[p + "block_sparse_moe.gate.weight"] = {E, H};
      for (int64_t e = 0; e < E; ++e) {
        const std::string x = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
        out[x + "w1.weight"] = out[x + "w3.weight"] = {I, H};
        out[x + "w2.weight"] = {H, I};
      }
    } else {
      out[p + "mlp.gate.weight"] = {E, H};
      out[p + "mlp.experts.gate_up_proj"] = {E, 2 * I, H};
      out[p + "mlp.experts.down_proj"] = {E, H, I};
    }
  }
  return out;
}

Shapes actual_shapes(const io::TensorStore& store) {
  Shapes out;
  for (const auto& name : store.names()) {
    const io::TensorView t = store.get(name);
    EXPECT_EQ(t.dtype, io::DType::F32) << name;
    out[name] = t.shape;
  }
  return out;
}

std::vector<float> floats(const io::TensorStore& store, const std::string& name) {
  const io::TensorView t = store.get(name);
  std::vector<float> v(t.nbytes / sizeof(float));
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

std::map<std::string, std::string> read_dir(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = read_file(entry.path());
  return files;
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(read_file(path)); }

TEST(TinyModel, WritesEveryArchitectureInHuggingFaceFormat) {
  testing::ScratchDir scratch;
  for (const std::string arch : {"llama", "mistral", "mixtral"}) {
    SCOPED_TRACE(arch);
    TinyModelSpec spec;
    spec.arch = arch;
    spec.tie_word_embeddings = arch == "llama";
    const fs::path dir = scratch.path() / arch;
    make_tiny_model(spec, dir);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.model",
                          "tokenizer_config.json", "special_tokens_map.json"})
      EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;
    EXPECT_EQ(actual_shapes(*io::TensorStore::open(dir)), expected_shapes(spec));

    const nlohmann::json c = read_json(dir / "config.json");
    EXPECT_EQ(c["model_type"], arch);
    EXPECT_EQ(c["head_dim"], 16);
    EXPECT_EQ(c.contains("sliding_window"), arch != "llama");
    EXPECT_EQ(c.contains("num_local_experts"), arch == "mixtral");
    const io::ModelConfig config = io::ModelConfig::load(dir);  // the project's own parser
    EXPECT_EQ(config.num_layers, spec.num_layers);
    EXPECT_EQ(config.num_experts, arch == "mixtral" ? 4 : 0);
    EXPECT_EQ(config.tie_word_embeddings, spec.tie_word_embeddings);

    const nlohmann::json tok = read_json(dir / "tokenizer_config.json");
    EXPECT_EQ(tok["tokenizer_class"], "LlamaTokenizer");
    EXPECT_EQ(tok["add_bos_token"], true);
    EXPECT_EQ(tok["model_max_length"], spec.max_position_embeddings);
    EXPECT_EQ(read_file(dir / "tokenizer.model"), tiny_tokenizer_model(spec.vocab_size));
  }
}

TEST(TinyModel, WeightsFollowTheRequestedDistributions) {
  testing::ScratchDir scratch;
  TinyModelSpec spec;
  make_tiny_model(spec, scratch.path() / "m");
  auto store = io::TensorStore::open(scratch.path() / "m");
  auto check = [&](const std::string& name, double mean, double sd, double tol) {
    const std::vector<float> v = floats(*store, name);
    double sum = 0, sq = 0, within = 0;
    for (float x : v) sum += x;
    const double m = sum / v.size();
    for (float x : v) sq += (x - m) * (x - m), within += std::abs(x - mean) < sd;
    EXPECT_NEAR(m, mean, tol * sd) << name;
    EXPECT_NEAR(std::sqrt(sq / v.size()), sd, tol * sd) << name;
    if (v.size() > 10000) {  // shaped like a normal: 68.3% within one sd
      EXPECT_NEAR(within / v.size(), 0.6827, 0.01) << name;
    }
  };
  check("model.embed_tokens.weight", 0.0, 0.02, 0.03);
  check("lm_head.weight", 0.0, 0.02, 0.03);
  check("model.layers.1.block_sparse_moe.experts.3.w2.weight", 0.0, 0.02, 0.05);
  check("model.layers.0.block_sparse_moe.gate.weight", 0.0, 1.0, 0.25);  // 256 values
  check("model.norm.weight", 1.0, 0.1, 0.4);
}

TEST(TinyModel, IsDeterministicAndSeedDependent) {
  testing::ScratchDir scratch;
  TinyModelSpec spec;
  make_tiny_model(spec, scratch.path() / "a");
  make_tiny_model(spec, scratch.path() / "b");
  spec.seed += 1;
  make_tiny_model(spec, scratch.path() / "c");
  const auto a = read_dir(scratch.path() / "a"), b = read_dir(scratch.path() / "b"),
             c = read_dir(scratch.path() / "c");
  EXPECT_EQ(a.size(), 5u);
  EXPECT_TRUE(a == b);
  EXPECT_NE(a.at("model.safetensors"), c.at("model.safetensors"));
  EXPECT_EQ(a.at("tokenizer.model"), c.at("tokenizer.model"));
}

TEST(TinyModel, ShardsAndV5LayoutHoldTheSameNumbers) {
  testing::ScratchDir scratch;
  TinyModelSpec spec;
  spec.num_layers = 3;
  make_tiny_model(spec, scratch.path() / "one");
  TinyModelSpec sharded = spec, v5 = spec;
  sharded.shard_count = 2;
  v5.layout = "v5";
  make_tiny_model(sharded, scratch.path() / "sharded");
  make_tiny_model(v5, scratch.path() / "v5");

  const fs::path dir = scratch.path() / "sharded";
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  const nlohmann::json index = read_json(dir / "model.safetensors.index.json");
  auto one = io::TensorStore::open(scratch.path() / "one");
  auto shards = io::TensorStore::open(dir);
  EXPECT_EQ(index["metadata"]["total_size"], shards->total_bytes());
  EXPECT_EQ(index["weight_map"].size(), one->names().size());
  EXPECT_EQ(index["weight_map"]["model.embed_tokens.weight"], "model-00001-of-00002.safetensors");
  EXPECT_EQ(index["weight_map"]["model.layers.0.self_attn.q_proj.weight"],
            "model-00001-of-00002.safetensors");
  EXPECT_EQ(index["weight_map"]["model.layers.1.self_attn.q_proj.weight"],
            "model-00002-of-00002.safetensors");
  EXPECT_EQ(index["weight_map"]["lm_head.weight"], "model-00002-of-00002.safetensors");
  EXPECT_EQ(shards->files().size(), 2u);
  for (const auto& name : one->names())
    EXPECT_EQ(floats(*one, name), floats(*shards, name)) << name;

  auto fused = io::TensorStore::open(scratch.path() / "v5");
  EXPECT_EQ(actual_shapes(*fused), expected_shapes(v5));
  const std::string p = "model.layers.2.", x = p + "block_sparse_moe.experts.";
  EXPECT_EQ(floats(*fused, p + "mlp.gate.weight"),
            floats(*one, p + "block_sparse_moe.gate.weight"));
  std::vector<float> gate_up, down;
  for (int e = 0; e < spec.num_experts; ++e) {
    for (const char* w : {"w1", "w3"}) {
      const auto m = floats(*one, x + std::to_string(e) + "." + w + ".weight");
      gate_up.insert(gate_up.end(), m.begin(), m.end());
    }
    const auto m = floats(*one, x + std::to_string(e) + ".w2.weight");
    down.insert(down.end(), m.begin(), m.end());
  }
  EXPECT_EQ(floats(*fused, p + "mlp.experts.gate_up_proj"), gate_up);
  EXPECT_EQ(floats(*fused, p + "mlp.experts.down_proj"), down);
}

// libsentencepiece cannot be loaded next to libtorch (see io/sentencepiece_model.h),
// so the model is read back with the project's codec, itself tested against
// libsentencepiece in io_tests.
TEST(TinyTokenizer, TrainsTheRequestedVocabularyWithLlamaIds) {
  using Type = io::SentencePieceModel::PieceType;
  for (int64_t vocab : {300, 512}) {
    SCOPED_TRACE(vocab);
    const std::string bytes = tiny_tokenizer_model(vocab);
    EXPECT_EQ(bytes, train_tiny_tokenizer(vocab));  // training itself is deterministic
    const auto sp = io::SentencePieceModel::parse(bytes, "tiny tokenizer.model");
    ASSERT_EQ(static_cast<int64_t>(sp.pieces().size()), vocab);
    EXPECT_EQ(sp.spec().unk_id, 0);
    EXPECT_EQ(sp.spec().bos_id, 1);
    EXPECT_EQ(sp.spec().eos_id, 2);
    EXPECT_EQ(sp.spec().pad_id, -1);
    EXPECT_TRUE(sp.spec().byte_fallback);
    EXPECT_EQ(sp.pieces()[0].type, Type::Unknown);
    EXPECT_EQ(sp.pieces()[1].text, "<s>");
    EXPECT_EQ(sp.pieces()[2].text, "</s>");
    EXPECT_EQ(sp.pieces()[3].text, "<0x00>");
    EXPECT_EQ(sp.pieces()[258].type, Type::Byte);
    for (const std::string text :
         {"Once upon a time, there was a little robot.", "def add(a, b):\n    return a + b",
          "Question: What is 12 * 34? Answer: 408.", "Caf\xC3\xA9 \xE2\x98\x95 and  two spaces"}) {
      const std::vector<int32_t> ids = sp.encode(text);
      EXPECT_EQ(sp.decode(ids), text);
      for (int32_t id : ids) EXPECT_NE(id, 0) << text;  // byte fallback: never <unk>
    }
  }
  // Learned pieces make common words short, more so with a larger vocabulary.
  const std::string text = "Once upon a time there was a little girl.";
  const auto small = io::SentencePieceModel::parse(tiny_tokenizer_model(300), "300");
  const auto large = io::SentencePieceModel::parse(tiny_tokenizer_model(1000), "1000");
  EXPECT_LT(large.encode(text).size(), small.encode(text).size());
  EXPECT_LE(large.encode(text).size(), text.size() / 2);
}

// Asserts that `make` throws an InputError containing every `needle`.
using moebench::testing::expect_input_error;

TEST(TinyModel, RejectsBadSpecsNamingFieldAndValue) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "m";
  const std::vector<std::pair<std::function<void(TinyModelSpec&)>, std::vector<std::string>>>
      cases = {{[](auto& s) { s.arch = "gpt2"; }, {"arch", "gpt2", "mixtral"}},
               {[](auto& s) { s.hidden_size = 0; }, {"hidden_size", "0"}},
               {[](auto& s) { s.num_layers = -2; }, {"num_layers", "-2"}},
               {[](auto& s) { s.num_heads = 5; }, {"num_heads", "5"}},
               {[](auto& s) { s.hidden_size = 60, s.num_heads = 4; }, {"head_dim", "15"}},
               {[](auto& s) { s.num_kv_heads = 3; }, {"num_kv_heads", "3"}},
               {[](auto& s) { s.experts_per_token = 5; }, {"experts_per_token", "5"}},
               {[](auto& s) { s.experts_per_token = 0; }, {"experts_per_token", "0"}},
               {[](auto& s) { s.vocab_size = 299; }, {"vocab_size", "299"}},
               {[](auto& s) { s.layout = "v6"; }, {"layout", "v6"}},
               {[](auto& s) { s.shard_count = 3; }, {"shard_count", "3"}},
               {[](auto& s) { s.rope_theta = -1; }, {"rope_theta", "-1"}},
               {[](auto& s) { s.hidden_size = 1 << 20, s.vocab_size = 1 << 20; }, {"too large"}}};
  for (const auto& [mutate, needles] : cases) {
    TinyModelSpec spec;
    mutate(spec);
    expect_input_error([&] { make_tiny_model(spec, dir); }, needles);
    EXPECT_FALSE(fs::exists(dir));
  }
  TinyModelSpec dense;  // expert counts are ignored for dense models
  dense.arch = "llama", dense.num_experts = 0;
  EXPECT_NO_THROW(validate_tiny_model_spec(dense));
}

TEST(TinyModel, FailedGenerationLeavesNoDirectory) {
  testing::ScratchDir scratch;
  TinyModelSpec spec;
  // Passes validate_tiny_model_spec but not the tokenizer trainer, which runs
  // inside the staging directory. (A size the corpus cannot fill, say 32000,
  // fails the same way after ~2 s of training.)
  spec.vocab_size = (1 << 20) + 1;
  EXPECT_NO_THROW(validate_tiny_model_spec(spec));
  expect_input_error([&] { make_tiny_model(spec, scratch.path() / "m"); },
                     {"vocab_size", "1048577"});
  EXPECT_TRUE(fs::is_empty(scratch.path()));  // neither out_dir nor a temporary sibling
}

TEST(TinyModel, ReplacesAnExistingDirectoryOnlyWhenAsked) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "m";
  testing::write_text(dir / "keep.txt", "precious");
  expect_input_error([&] { make_tiny_model(TinyModelSpec{}, dir); }, {dir.string(), "exists"});
  EXPECT_EQ(read_file(dir / "keep.txt"), "precious");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1);

  make_tiny_model(TinyModelSpec{}, dir, /*overwrite=*/true);
  EXPECT_FALSE(fs::exists(dir / "keep.txt"));
  EXPECT_TRUE(fs::exists(dir / "config.json"));
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), {}), 1);  // no leftovers

  testing::write_text(scratch.path() / "file", "x");  // never replace a non-directory
  expect_input_error([&] { make_tiny_model(TinyModelSpec{}, scratch.path() / "file", true); },
                     {"not a directory"});
  EXPECT_EQ(read_file(scratch.path() / "file"), "x");
}

}  // namespace
}  // namespace moebench::model
