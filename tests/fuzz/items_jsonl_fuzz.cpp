// A task's items file (JSONL: one JSON object a line), after it was read or
// decompressed, through parse_jsonl as read_jsonl does.
#include "harness/eval/doc_files.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::reject_only_with_input_error([&] {
    for (const nlohmann::json& item : eval::parse_jsonl(text, "items.jsonl"))
      MOEBENCH_FUZZ_CHECK(item.is_object());
  });
  return 0;
}
