// SafetensorsWriter: round trip through SafetensorsFile for every dtype, the
// on-disk layout, atomicity and refusal of misuse.
#include "harness/io/safetensors_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "harness/io/safetensors_file.h"
#include "harness/io/tensor_store.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace fs = std::filesystem;
using moebench::testing::ScratchDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace moebench::io {
namespace {

constexpr DType kAllDTypes[] = {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64,
                                DType::I32, DType::I16, DType::I8,  DType::U8,   DType::BOOL};

// Distinct bytes per tensor, so a swapped or shifted tensor cannot pass.
std::vector<unsigned char> pattern(size_t nbytes, int seed) {
  std::vector<unsigned char> bytes(nbytes);
  for (size_t i = 0; i < nbytes; ++i) bytes[i] = static_cast<unsigned char>(seed * 31 + i * 7);
  return bytes;
}

size_t entries_in(const fs::path& dir) {
  return std::distance(fs::directory_iterator(dir), fs::directory_iterator());
}

TEST(DType, NamesSizesAndParsing) {
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::F64), 8u);
  EXPECT_EQ(dtype_size(DType::BOOL), 1u);
  for (DType dtype : kAllDTypes) EXPECT_EQ(parse_dtype(dtype_name(dtype), "test"), dtype);
  try {
    parse_dtype("f32", "config.json: torch_dtype");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("config.json: torch_dtype"), HasSubstr("'f32'"),
                                HasSubstr("BF16")));
  }
}

TEST(SafetensorsWriter, RoundTripsEveryDtypeZeroSizeTensorsAndMetadata) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "all.safetensors";
  std::vector<TensorSpec> specs;
  for (DType dtype : kAllDTypes)
    specs.push_back({std::string("t_") + dtype_name(dtype), dtype, {3, 5}});
  specs.push_back({"empty_rows", DType::F32, {0, 4}});
  specs.push_back({"scalar", DType::F64, {}});
  specs.push_back({"empty_cols", DType::BF16, {7, 0}});
  std::vector<std::vector<unsigned char>> buffers;
  std::vector<TensorData> tensors;
  for (size_t i = 0; i < specs.size(); ++i) buffers.push_back(pattern(specs[i].nbytes(), int(i)));
  for (size_t i = 0; i < specs.size(); ++i) tensors.push_back({specs[i], buffers[i].data()});
  const std::map<std::string, std::string> metadata{{"format", "pt"},
                                                    {"source", "moebench \"test\""}};
  write_safetensors(path, tensors, metadata);

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->metadata(), metadata);
  ASSERT_EQ(file->names().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    EXPECT_EQ(file->names()[i], spec.name) << "data order is the given order";
    TensorView view = file->get(spec.name);
    EXPECT_EQ(view.dtype, spec.dtype) << spec.name;
    EXPECT_EQ(view.shape, spec.shape) << spec.name;
    ASSERT_EQ(view.nbytes, spec.nbytes()) << spec.name;
    if (view.nbytes > 0) {  // memcmp on an empty vector's null data() is UB
      EXPECT_EQ(std::memcmp(view.data, buffers[i].data(), view.nbytes), 0) << spec.name;
    }
  }
  EXPECT_EQ(file->get("empty_rows").numel(), 0);
  EXPECT_EQ(file->get("scalar").numel(), 1);
}

TEST(SafetensorsWriter, HeaderIsSpacePaddedToEightBytes) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "layout.safetensors";
  const std::vector<double> values{1.5, -2.0, 3.25};
  write_safetensors(path, {{{"w", DType::F64, {3}}, values.data()}}, {});
  const std::string bytes = read_file(path);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i)
    header_len = (header_len << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(header_len % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + header_len + 24);
  const std::string header = bytes.substr(8, header_len);
  EXPECT_EQ(header.rfind(R"({"w":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}})", 0), 0u)
      << header;
  EXPECT_EQ(header.find_first_not_of(' ', header.find_last_of('}') + 1), std::string::npos)
      << header;
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + header_len, values.data(), 24), 0);
  // Empty metadata writes no "__metadata__" at all.
  EXPECT_TRUE(SafetensorsFile::open(path)->metadata().empty());
  auto view = SafetensorsFile::open(path)->get("w");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(view.data) % 8, 0u)
      << "8-byte dtypes are aligned in the map";
}

TEST(SafetensorsWriter, StreamsAndAppearsOnlyOnCommit) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "streamed.safetensors";
  const std::vector<int32_t> a{1, 2, 3, 4}, b{5, 6};
  SafetensorsWriter writer(path, {{"a", DType::I32, {2, 2}}, {"b", DType::I32, {2}}});
  writer.write_next(a.data(), 16);
  EXPECT_FALSE(fs::exists(path));
  writer.write_next(b.data(), 8);
  EXPECT_FALSE(fs::exists(path));
  writer.commit();
  EXPECT_EQ(entries_in(scratch.path()), 1u) << "no temporary left beside the file";
  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->get("b").shape, std::vector<int64_t>{2});
  EXPECT_EQ(std::memcmp(file->get("a").data, a.data(), 16), 0);
}

TEST(SafetensorsWriter, LeavesNothingWithoutCommit) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "abandoned.safetensors";
  {
    const std::vector<float> a(4, 1.0f);
    SafetensorsWriter writer(path, {{"a", DType::F32, {4}}, {"b", DType::F32, {4}}});
    writer.write_next(a.data(), 16);
  }
  EXPECT_EQ(entries_in(scratch.path()), 0u);
}

TEST(SafetensorsWriter, ReplacesAnExistingFile) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "model.safetensors";
  const uint8_t old_value = 1, new_value = 2;
  write_safetensors(path, {{{"old", DType::U8, {1}}, &old_value}});
  write_safetensors(path, {{{"new", DType::U8, {1}}, &new_value}});
  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->names(), std::vector<std::string>{"new"});
  EXPECT_EQ(entries_in(scratch.path()), 1u);
}

TEST(SafetensorsWriter, RefusesWrongSizedWriteAndStaysUsable) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "w.safetensors";
  const std::vector<uint16_t> data(6, 7);
  SafetensorsWriter writer(path, {{"w", DType::BF16, {2, 3}}});
  try {
    writer.write_next(data.data(), 10);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path.string()),
                                HasSubstr("tensor 'w' (BF16 [2, 3]) needs 12 bytes, got 10")));
  }
  writer.write_next(data.data(), 12);  // nothing was written by the refused call
  EXPECT_THROW(writer.write_next(data.data(), 12), InputError);  // one tensor too many
  writer.commit();
  EXPECT_EQ(SafetensorsFile::open(path)->get("w").nbytes, 12u);
}

TEST(SafetensorsWriter, RefusesCommitWithMissingTensors) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "partial.safetensors";
  const float x = 1.0f;
  SafetensorsWriter writer(path, {{"x", DType::F32, {1}}, {"y", DType::F32, {1}}});
  writer.write_next(&x, 4);
  try {
    writer.commit();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(),
                AllOf(HasSubstr(path.string()), HasSubstr("tensor 'y' (2 of 2) was not written")));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(SafetensorsWriter, RefusesBadSpecs) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "bad.safetensors";
  auto error = [&](std::vector<TensorSpec> specs) {
    try {
      SafetensorsWriter writer(path, std::move(specs));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "expected InputError";
    return std::string();
  };
  EXPECT_THAT(error({{"a", DType::F32, {1}}, {"a", DType::F32, {2}}}),
              HasSubstr("duplicate tensor name 'a'"));
  EXPECT_THAT(error({{"__metadata__", DType::F32, {1}}}), HasSubstr("'__metadata__'"));
  EXPECT_THAT(error({{"neg", DType::F32, {4, -1}}}),
              AllOf(HasSubstr(path.string()), HasSubstr("tensor 'neg'"), HasSubstr("-1")));
  EXPECT_THAT(error({{"huge", DType::F64, {int64_t(1) << 62, 4}}}), HasSubstr("tensor 'huge'"));
  EXPECT_THAT(error({{"bad\xff", DType::F32, {1}}}), HasSubstr("UTF-8"));
  EXPECT_EQ(entries_in(scratch.path()), 0u);
}

TEST(SafetensorsWriter, RefusesMissingParentDirectory) {
  ScratchDir scratch;
  const fs::path path = scratch.path() / "no" / "such" / "dir" / "model.safetensors";
  EXPECT_THROW(SafetensorsWriter(path, {{"a", DType::F32, {1}}}), InputError);
}

// Rewriting the reference model through the writer reproduces it byte for byte:
// same layout conventions (compact JSON, metadata first, space padding).
TEST(SafetensorsWriter, ReproducesReferenceFileByteForByte) {
  MOEBENCH_REQUIRE_SHARED();
  const fs::path source =
      moebench::testing::shared_dir() / "reference/models/tiny-mixtral/model.safetensors";
  auto original = SafetensorsFile::open(source);
  std::vector<TensorSpec> specs;
  for (const std::string& name : original->names()) {
    TensorView view = original->get(name);
    specs.push_back({name, view.dtype, view.shape});
  }
  ScratchDir scratch;
  const fs::path copy = scratch.path() / "model.safetensors";
  SafetensorsWriter writer(copy, specs, original->metadata());
  for (const std::string& name : original->names()) {
    TensorView view = original->get(name);
    writer.write_next(view.data, view.nbytes);
  }
  writer.commit();
  EXPECT_TRUE(read_file(copy) == read_file(source));
}

}  // namespace
}  // namespace moebench::io
