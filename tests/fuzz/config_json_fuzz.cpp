// config.json of a model directory: JSON (depth- and size-checked) and then
// every field ModelConfig validates, as ModelConfig::load does after reading it.
#include "harness/io/json_input.h"
#include "harness/io/model_config.h"
#include "tests/fuzz/fuzz_support.h"

using namespace moebench;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::reject_only_with_input_error([&] {
    const io::ModelConfig config =
        io::ModelConfig::from_json(io::parse_json_text(text, "config.json"), "config.json");
    // The promises later layers rely on without re-checking.
    MOEBENCH_FUZZ_CHECK(config.hidden_size > 0 && config.num_layers > 0 && config.vocab_size > 0);
    MOEBENCH_FUZZ_CHECK(config.num_heads > 0 && config.num_kv_heads > 0 && config.head_dim > 0);
    MOEBENCH_FUZZ_CHECK(config.num_heads % config.num_kv_heads == 0);
    if (config.is_moe()) {
      MOEBENCH_FUZZ_CHECK(config.experts_per_token >= 1 &&
                          config.experts_per_token <= config.num_experts);
    }
  });
  return 0;
}
