// TensorStore over the reference models (single file and sharded) and over
// hand-made directories with broken indexes.
#include "harness/io/tensor_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "harness/io/safetensors_writer.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace fs = std::filesystem;
using moebench::testing::ScratchDir;
using moebench::testing::write_text;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace moebench::io {
namespace {

std::string open_error(const fs::path& dir) {
  try {
    TensorStore::open(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError for " << dir;
  return "";
}

// A shard holding F32 tensors of shape [n] named by `sizes`, filled with `fill`.
void write_shard(const fs::path& path, const std::vector<std::pair<std::string, int64_t>>& sizes,
                 float fill) {
  std::vector<std::vector<float>> buffers;
  std::vector<TensorData> tensors;
  for (const auto& [name, n] : sizes) buffers.emplace_back(n, fill);
  for (size_t i = 0; i < sizes.size(); ++i)
    tensors.push_back({{sizes[i].first, DType::F32, {sizes[i].second}}, buffers[i].data()});
  write_safetensors(path, tensors);
}

// ---- the reference models --------------------------------------------------

fs::path reference_model(const std::string& name) {
  return moebench::testing::shared_dir() / "reference" / "models" / name;
}

TEST(TensorStoreReference, SingleFileAndShardsHoldTheSameTensors) {
  MOEBENCH_REQUIRE_SHARED();
  auto single = TensorStore::open(reference_model("tiny-mixtral"));
  auto sharded = TensorStore::open(reference_model("tiny-mixtral-sharded"));
  EXPECT_EQ(single->files().size(), 1u);
  ASSERT_EQ(sharded->files().size(), 2u);
  EXPECT_EQ(sharded->files()[0].filename(), "model-00001-of-00002.safetensors");
  const std::vector<std::string> names = single->names();
  EXPECT_EQ(names.size(), 60u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  ASSERT_EQ(names, sharded->names());
  for (const std::string& name : names) {
    TensorView a = single->get(name), b = sharded->get(name);
    EXPECT_EQ(a.dtype, DType::F32) << name;
    EXPECT_EQ(a.shape, b.shape) << name;
    ASSERT_EQ(a.nbytes, b.nbytes) << name;
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << name;
  }
  // metadata.total_size of the reference index.
  EXPECT_EQ(single->total_bytes(), 1864448u);
  EXPECT_EQ(sharded->total_bytes(), 1864448u);
}

TEST(TensorStoreReference, MixtralShapes) {
  MOEBENCH_REQUIRE_SHARED();
  auto store = TensorStore::open(reference_model("tiny-mixtral-sharded"));
  auto shape = [&](const std::string& name) { return store->get(name).shape; };
  using Shape = std::vector<int64_t>;
  EXPECT_EQ(shape("model.layers.0.block_sparse_moe.experts.3.w1.weight"), (Shape{160, 64}));
  EXPECT_EQ(shape("model.layers.2.block_sparse_moe.experts.0.w2.weight"), (Shape{64, 160}));
  EXPECT_EQ(shape("model.layers.1.block_sparse_moe.gate.weight"), (Shape{4, 64}));
  EXPECT_EQ(shape("model.layers.1.self_attn.k_proj.weight"), (Shape{16, 64}));
  EXPECT_EQ(shape("model.embed_tokens.weight"), (Shape{512, 64}));
  EXPECT_EQ(shape("lm_head.weight"), (Shape{512, 64}));
  EXPECT_EQ(store->get("lm_head.weight").nbytes, 512u * 64 * 4);
}

TEST(TensorStoreReference, MissingTensorSuggestsCloseName) {
  MOEBENCH_REQUIRE_SHARED();
  auto store = TensorStore::open(reference_model("tiny-mixtral"));
  try {
    store->get("model.layers.0.block_sparse_moe.experts.3.w4.weight");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(),
                AllOf(HasSubstr(reference_model("tiny-mixtral").string()),
                      HasSubstr("'model.layers.0.block_sparse_moe.experts.3.w4.weight'"),
                      HasSubstr("did you mean 'model.layers.0.block_sparse_moe.experts.3.w")));
  }
}

// ---- hand-made directories -------------------------------------------------

class TensorStoreTest : public ::testing::Test {
 protected:
  fs::path dir() const { return scratch_.path(); }
  fs::path index() const { return dir() / "model.safetensors.index.json"; }
  // Two shards: a.safetensors {x, y}, b.safetensors {z, extra}.
  void write_two_shards() {
    write_shard(dir() / "a.safetensors", {{"x", 2}, {"y", 3}}, 1.0f);
    write_shard(dir() / "b.safetensors", {{"z", 4}, {"extra", 1}}, 2.0f);
  }
  // The index error for this index text, asserting it names the index file.
  std::string index_error(const std::string& text) {
    write_text(index(), text);
    std::string message = open_error(dir());
    EXPECT_THAT(message, HasSubstr(index().string()));
    return message;
  }
  ScratchDir scratch_;
};

TEST_F(TensorStoreTest, SingleFile) {
  write_shard(dir() / "model.safetensors", {{"b", 2}, {"a", 0}}, 3.0f);
  auto store = TensorStore::open(dir());
  EXPECT_EQ(store->dir(), dir());
  EXPECT_EQ(store->names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store->files(), (std::vector<fs::path>{dir() / "model.safetensors"}));
  EXPECT_EQ(store->total_bytes(), 8u);
  EXPECT_EQ(store->get("a").nbytes, 0u);
  float value;
  std::memcpy(&value, store->get("b").data, sizeof value);
  EXPECT_EQ(value, 3.0f);
}

TEST_F(TensorStoreTest, IndexSharesShardsAndIgnoresUnlistedTensors) {
  write_two_shards();
  write_text(index(), R"({"metadata":{"total_size":36},
    "weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}})");
  auto store = TensorStore::open(dir());
  EXPECT_EQ(store->names(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_FALSE(store->contains("extra"));
  EXPECT_EQ(store->files(),
            (std::vector<fs::path>{dir() / "a.safetensors", dir() / "b.safetensors"}));
  EXPECT_EQ(store->total_bytes(), 36u);
  // x and y come from one mapping of a.safetensors: y directly follows x.
  EXPECT_EQ(store->get("y").data, store->get("x").data + 8);
}

TEST_F(TensorStoreTest, IndexWinsOverSingleFile) {
  write_two_shards();
  write_shard(dir() / "model.safetensors", {{"only_single", 1}}, 0.0f);
  write_text(index(), R"({"weight_map":{"z":"b.safetensors"}})");
  auto store = TensorStore::open(dir());
  EXPECT_EQ(store->names(), (std::vector<std::string>{"z"}));
}

TEST_F(TensorStoreTest, RefusesDirectoryWithoutWeights) {
  EXPECT_THAT(open_error(dir()), AllOf(HasSubstr(dir().string()), HasSubstr("model.safetensors"),
                                       HasSubstr("model.safetensors.index.json")));
  EXPECT_THAT(open_error(dir() / "absent"),
              AllOf(HasSubstr("absent"), HasSubstr("not a directory")));
}

TEST_F(TensorStoreTest, RefusesBrokenSingleFile) {
  write_text(dir() / "model.safetensors", "short");
  EXPECT_THAT(open_error(dir()), HasSubstr((dir() / "model.safetensors").string()));
}

TEST_F(TensorStoreTest, RefusesBrokenIndexJson) {
  write_two_shards();
  EXPECT_THAT(index_error(R"({"weight_map": {"x": "a.safetensors",)"),
              HasSubstr("not well-formed JSON"));
  EXPECT_THAT(index_error("[]"), HasSubstr("index is a JSON array"));
  EXPECT_THAT(index_error(R"({"metadata": {}})"), HasSubstr("missing field 'weight_map'"));
  EXPECT_THAT(index_error(R"({"weight_map": ["a.safetensors"]})"),
              HasSubstr("weight_map is a JSON array"));
  EXPECT_THAT(index_error(R"({"weight_map": {"x": 1}})"), HasSubstr("weight_map['x'] is 1"));
}

TEST_F(TensorStoreTest, RefusesDuplicateKeyInWeightMap) {
  write_two_shards();
  EXPECT_THAT(index_error(R"({"weight_map": {"x": "a.safetensors", "x": "b.safetensors"}})"),
              HasSubstr("duplicate key 'x' in 'weight_map'"));
}

TEST_F(TensorStoreTest, RefusesShardPathOutsideDirectory) {
  write_two_shards();
  for (std::string bad : {"../a.safetensors", "sub/a.safetensors", "/etc/passwd", "..", ""})
    EXPECT_THAT(index_error(R"({"weight_map": {"x": ")" + bad + R"("}})"),
                HasSubstr("weight_map['x'] = '" + bad + "' is not a plain file name"));
}

TEST_F(TensorStoreTest, RefusesMissingShard) {
  write_two_shards();
  EXPECT_THAT(index_error(R"({"weight_map": {"x": "a.safetensors", "w": "c.safetensors"}})"),
              AllOf(HasSubstr("shard 'c.safetensors'"), HasSubstr("tensor 'w'"),
                    HasSubstr("does not exist")));
}

TEST_F(TensorStoreTest, RefusesTensorAbsentFromItsShard) {
  write_two_shards();
  EXPECT_THAT(index_error(R"({"weight_map": {"x": "a.safetensors", "z": "a.safetensors"}})"),
              AllOf(HasSubstr("tensor 'z'"), HasSubstr((dir() / "a.safetensors").string())));
}

TEST_F(TensorStoreTest, RefusesBrokenShard) {
  write_two_shards();
  write_text(dir() / "b.safetensors", std::string(8, '\0'));
  write_text(index(), R"({"weight_map": {"z": "b.safetensors"}})");
  EXPECT_THAT(open_error(dir()), AllOf(HasSubstr((dir() / "b.safetensors").string()),
                                       HasSubstr("header length is 0")));
}

}  // namespace
}  // namespace moebench::io
