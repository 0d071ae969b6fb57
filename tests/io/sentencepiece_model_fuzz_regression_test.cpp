// tokenizer.model inputs that tests/fuzz/tokenizer_model_fuzz found crashing
// the reader, fed through the same entry point: each is now an InputError or
// a usable model.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/io/sentencepiece_model.h"
#include "harness/util/error.h"

namespace moebench::io {
namespace {

// What the fuzz target does with an input: parse, then encode and decode.
void parse_and_use(const std::string& bytes) {
  try {
    const auto model = SentencePieceModel::parse(bytes, "tokenizer.model");
    model.decode(model.encode("Hello world\n"));
  } catch (const InputError&) {
  }
}

// A byte piece spelled "<0x-6>": sscanf's %2X took the sign and gave byte
// 4294967290, written far outside the 256-entry byte table (UBSan: index out
// of bounds in the SentencePieceModel constructor).
TEST(SentencePieceModelFuzzRegression, SignedBytePieceSpelling) {
  const std::string input(
      "\x0a\x0e\x0a\x05\x3c\x75\x6e\x6b\x3e\x15\x00\x00\x00\x00\x18\x02"
      "\x0a\x00\x0a\x0f\x0a\x06\x3c\x30\x78\x2d\x36\x3e\x15\x00\x28\x01"
      "\x01\x18\x06\x12\x1d\x18\x02\x20\x80\x04\x98\x02\x01\xc0\x02\x00"
      "\xc8\xd0\x02\x02\xd8\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00"
      "\x28\x01",
      66);
  parse_and_use(input);
}

// The same flaw without a sanitizer to see it: "<0x+A>" was read as byte 0x0A
// and replaced <0x0A> in byte fallback. Only "<0xHH>" names a byte.
TEST(SentencePieceModelFuzzRegression, OnlyTwoHexDigitsNameAByte) {
  using Type = SentencePieceModel::PieceType;
  std::vector<SentencePieceModel::Piece> pieces = {
      {"<unk>", 0, Type::Unknown}, {"<s>", 0, Type::Control}, {"</s>", 0, Type::Control}};
  const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b)
    pieces.push_back({std::string("<0x") + hex[b / 16] + hex[b % 16] + ">", 0, Type::Byte});
  for (const char* odd : {"<0x+A>", "<0x-6>", "<0x 9>"}) pieces.push_back({odd, 0, Type::Byte});
  SentencePieceModel::Spec spec;
  spec.byte_fallback = true;
  spec.add_dummy_prefix = false;
  const SentencePieceModel model(pieces, spec);
  EXPECT_EQ(model.encode("\n"), std::vector<int32_t>{3 + 0x0A});
  EXPECT_EQ(model.encode("\t"), std::vector<int32_t>{3 + 0x09});
}

}  // namespace
}  // namespace moebench::io
