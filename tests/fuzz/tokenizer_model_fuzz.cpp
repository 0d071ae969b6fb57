// tokenizer.model: the SentencePiece ModelProto (protobuf wire format) read by
// our own codec, and, when it is accepted, encoding and decoding with it, since
// a model that parses is trusted from then on.
#include "harness/io/sentencepiece_model.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::reject_only_with_input_error([&] {
    const auto model = io::SentencePieceModel::parse(fuzz::as_text(data, size), "tokenizer.model");
    const int32_t n = static_cast<int32_t>(model.pieces().size());
    for (const char* text : {"Hello world", "  two  spaces\n<s>tab\t", "caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x99\x82",
                             "def f(x):\n    return x"}) {
      const std::vector<int32_t> ids = model.encode(text);
      for (int32_t id : ids) MOEBENCH_FUZZ_CHECK(id >= 0 && id < n);
      model.decode(ids);
      model.decode(ids, false);
    }
    std::vector<int32_t> all(static_cast<size_t>(n));
    for (int32_t id = 0; id < n; ++id) all[static_cast<size_t>(id)] = id;
    model.decode(all);
    for (const auto& piece : model.pieces()) {
      const int32_t id = model.piece_to_id(piece.text);
      MOEBENCH_FUZZ_CHECK(id >= -1 && id < n);
    }
  });
  return 0;
}
