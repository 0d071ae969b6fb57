// SafetensorsFile: valid files map correctly; every malformed header listed in
// the design is refused with an InputError naming the file and the bad value.
#include "harness/io/safetensors_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace moebench::io {
namespace {

std::string le64(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(n >> (8 * i));
  return bytes;
}

class SafetensorsFileTest : public ::testing::Test {
 protected:
  // Writes length field + header + data; the length field is the header size
  // unless `length` overrides it.
  fs::path craft(const std::string& header, const std::string& data = std::string(16, '\x01'),
                 int64_t length = -1) {
    fs::path path = scratch_.path() / "model.safetensors";
    moebench::testing::write_text(
        path, le64(length < 0 ? header.size() : uint64_t(length)) + header + data);
    return path;
  }
  // The message of the InputError open() throws (fails the test if none).
  static std::string open_error(const fs::path& path) {
    try {
      SafetensorsFile::open(path);
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InputError for " << path;
    return "";
  }
  // Asserts that opening a file with this header fails naming the path and `what`.
  void expect_refused(const std::string& header, const std::string& what,
                      const std::string& data = std::string(16, '\x01')) {
    fs::path path = craft(header, data);
    EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr(what)))
        << "header: " << header;
  }

  moebench::testing::ScratchDir scratch_;
};

// A well-formed entry, to embed beside a broken one.
const std::string kGood = R"("good":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

TEST_F(SafetensorsFileTest, ReadsTensorsInDataOffsetOrder) {
  std::string data(16, '\0');
  for (int i = 0; i < 16; ++i) data[i] = static_cast<char>(i);
  auto file = SafetensorsFile::open(craft(
      R"({"z":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"U8","shape":[2,4],"data_offsets":[8,16]},"__metadata__":{"format":"pt"}}   )",
      data));
  EXPECT_EQ(file->names(), (std::vector<std::string>{"z", "a"}));
  EXPECT_TRUE(file->contains("a"));
  EXPECT_FALSE(file->contains("__metadata__"));
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  TensorView a = file->get("a");
  EXPECT_EQ(a.dtype, DType::U8);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(a.numel(), 8);
  ASSERT_EQ(a.nbytes, 8u);
  EXPECT_EQ(std::memcmp(a.data, data.data() + 8, 8), 0);
}

TEST_F(SafetensorsFileTest, AcceptsZeroSizeAndScalarTensors) {
  auto file = SafetensorsFile::open(
      craft(R"({"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[4,4]},)"
            R"("scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
            R"("tail":{"dtype":"BF16","shape":[3,0],"data_offsets":[16,16]}})"));
  EXPECT_EQ(file->get("empty").nbytes, 0u);
  EXPECT_EQ(file->get("empty").numel(), 0);
  EXPECT_EQ(file->get("tail").nbytes, 0u);
  EXPECT_EQ(file->get("scalar").numel(), 1);
  EXPECT_TRUE(file->metadata().empty());
}

TEST_F(SafetensorsFileTest, MissingTensorNamesFileTensorAndCloseName) {
  fs::path path = craft("{" + kGood + "}");
  auto file = SafetensorsFile::open(path);
  try {
    file->get("godo");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path.string()), HasSubstr("'godo'"),
                                HasSubstr("did you mean 'good'")));
  }
}

TEST_F(SafetensorsFileTest, RefusesMissingFileAndDirectory) {
  fs::path missing = scratch_.path() / "nope.safetensors";
  EXPECT_THAT(open_error(missing), AllOf(HasSubstr(missing.string()), HasSubstr("cannot open")));
  EXPECT_THAT(open_error(scratch_.path()), HasSubstr("not a regular file"));
}

TEST_F(SafetensorsFileTest, RefusesFileShorterThanLengthField) {
  fs::path path = scratch_.path() / "short.safetensors";
  moebench::testing::write_text(path, "abc");
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("3 bytes")));
  moebench::testing::write_text(path, "");
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("0 bytes")));
}

TEST_F(SafetensorsFileTest, RefusesBadHeaderLength) {
  fs::path path = craft("", "", 0);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("header length is 0")));
  path = craft("{}", "", 1000);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("header length 1000")));
  path = craft("{}", "", 200'000'000);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr("header length 200000000"), HasSubstr("cap")));
  path = craft("{}", "", std::numeric_limits<int64_t>::max());
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("cap")));
}

TEST_F(SafetensorsFileTest, RefusesMalformedJson) {
  expect_refused(R"({"a": {"dtype": )", "not well-formed JSON");
  expect_refused("{\"a\xff\": 1}", "not well-formed JSON");  // invalid UTF-8
  expect_refused(R"([1, 2])", "header is a JSON array");
  expect_refused(std::string(5000, '[') + std::string(5000, ']'), "nested deeper than");
}

TEST_F(SafetensorsFileTest, RefusesEntryThatIsNotAnObject) {
  expect_refused(R"({"w": [1, 2]})", "tensor 'w': entry is [1,2]");
}

TEST_F(SafetensorsFileTest, RefusesMissingFields) {
  expect_refused(R"({"w":{"shape":[2],"data_offsets":[0,8]}})",
                 "tensor 'w': missing field 'dtype'");
  expect_refused(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})",
                 "tensor 'w': missing field 'shape'");
  expect_refused(R"({"w":{"dtype":"F32","shape":[2]}})",
                 "tensor 'w': missing field 'data_offsets'");
}

TEST_F(SafetensorsFileTest, RefusesWrongFieldTypes) {
  expect_refused(R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", "tensor 'w': dtype is 4");
  expect_refused(R"({"w":{"dtype":"F32","shape":"2x2","data_offsets":[0,8]}})",
                 R"(shape is "2x2")");
  expect_refused(R"({"w":{"dtype":"F32","shape":[2,1.5],"data_offsets":[0,8]}})",
                 "shape[1] is 1.5");
  expect_refused(R"({"w":{"dtype":"F32","shape":[2,null],"data_offsets":[0,8]}})",
                 "shape[1] is null");
}

TEST_F(SafetensorsFileTest, RefusesUnknownDtype) {
  expect_refused(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})",
                 "tensor 'w': unknown dtype 'F8_E4M3' (supported: F64, F32, F16, BF16");
}

TEST_F(SafetensorsFileTest, RefusesNegativeDimension) {
  expect_refused(R"({"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,8]}})",
                 "tensor 'w': shape[1] = -3");
}

TEST_F(SafetensorsFileTest, RefusesShapeProductOverflow) {
  // 2^32 * 2^32 overflows int64 elements; 2^61 F64 elements overflow the byte count.
  expect_refused(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                 "shape [4294967296, 4294967296] overflows");
  expect_refused(R"({"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})",
                 "shape [2305843009213693952] overflows");
  expect_refused(R"({"w":{"dtype":"F64","shape":[18446744073709551615],"data_offsets":[0,8]}})",
                 "shape[0] = 18446744073709551615 is too large");
}

TEST_F(SafetensorsFileTest, RefusesDataOffsetsThatAreNotTwoIntegers) {
  auto header = [](const std::string& offsets) {
    return R"({"w":{"dtype":"F32","shape":[2],"data_offsets":)" + offsets + "}}";
  };
  for (std::string offsets : {"[0]", "[0,8,16]", "\"0-8\"", "[-1,7]", "[0,8.5]"})
    expect_refused(header(offsets), "tensor 'w': data_offsets is " + offsets);
  // Beyond uint64 nlohmann parses a float, which the message shows as parsed.
  expect_refused(header("[0,18446744073709551616]"), "data_offsets is [0,1.8446744073709552e+19]");
}

TEST_F(SafetensorsFileTest, RefusesDescendingDataOffsets) {
  expect_refused(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                 "data_offsets [8, 0] are not ascending");
}

TEST_F(SafetensorsFileTest, RefusesOffsetsOutsideDataSection) {
  expect_refused(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})",
                 "tensor 'w': data_offsets [0, 32] reach outside the data section of 16 bytes");
  expect_refused(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[17,17]}})",
                 "data_offsets [17, 17] reach outside");
}

TEST_F(SafetensorsFileTest, RefusesByteSizeMismatch) {
  expect_refused(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})",
                 "tensor 'w': data_offsets [0, 12] span 12 bytes, but shape [2] of F32 needs 8");
}

TEST_F(SafetensorsFileTest, RefusesOverlappingTensors) {
  expect_refused("{" + kGood + R"(,"late":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                 "tensors 'good' [0, 8] and 'late' [4, 12] overlap");
  // Same range twice is the degenerate overlap.
  expect_refused("{" + kGood + R"(,"twin":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                 "overlap");
}

TEST_F(SafetensorsFileTest, RefusesDuplicateKeys) {
  expect_refused("{" + kGood + "," + kGood + "}", "duplicate key 'good' in the top-level object");
  expect_refused(R"({"w":{"dtype":"F32","dtype":"I32","shape":[2],"data_offsets":[0,8]}})",
                 "duplicate key 'dtype' in 'w'");
}

TEST_F(SafetensorsFileTest, RefusesMetadataThatIsNotAnObjectOfStrings) {
  expect_refused("{" + kGood + R"(,"__metadata__":"pt"})", R"(__metadata__ is "pt")");
  expect_refused("{" + kGood + R"(,"__metadata__":{"format":"pt","step":1000}})",
                 "__metadata__ key 'step' is 1000, expected a string");
}

// Random corruption of a valid file (length field, header and data bytes,
// truncation) must give either a valid file or an InputError, never a crash.
TEST_F(SafetensorsFileTest, SurvivesRandomCorruption) {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],)"
      R"("data_offsets":[0,16]},"b":{"dtype":"I8","shape":[0],"data_offsets":[16,16]}})";
  const std::string base = le64(header.size()) + header + std::string(16, '\x02');
  const std::string kJsonChars = "{}[]\",:-0123456789 ";  // mutations the parser gets past
  std::mt19937 rng(1234);
  fs::path path = scratch_.path() / "fuzz.safetensors";
  int opened = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = base;
    for (int flips = 1 + int(rng() % 3); flips > 0; --flips)
      bytes[rng() % bytes.size()] =
          round % 2 ? static_cast<char>(rng()) : kJsonChars[rng() % kJsonChars.size()];
    if (round % 7 == 0) bytes.resize(rng() % bytes.size());
    fs::remove(path);  // rewriting a truncated file in place makes ext4 flush it: slow
    moebench::testing::write_text(path, bytes);
    try {
      auto file = SafetensorsFile::open(path);
      unsigned sum = 0;  // touch every byte, so a view outside the map would fault (or trip ASan)
      for (const std::string& name : file->names()) {
        TensorView view = file->get(name);
        for (size_t i = 0; i < view.nbytes; ++i) sum += std::to_integer<unsigned>(view.data[i]);
      }
      EXPECT_LE(sum, 255u * 16);
      ++opened;
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(path.string()));
      ++refused;
    }
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace moebench::io
