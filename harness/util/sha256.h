// SHA-256 (FIPS 180-4) as lowercase hex: the hash lm-evaluation-harness puts
// in its samples files (doc_hash, prompt_hash, target_hash) and task_hashes.
#pragma once

#include <string>
#include <string_view>

namespace moebench {

std::string sha256_hex(std::string_view bytes);

}  // namespace moebench
