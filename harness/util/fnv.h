// FNV-1a 64: a stable, fast content fingerprint (plans, task specs, routers),
// not a security hash (sha256.h is that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace moebench {

inline constexpr uint64_t kFnvOffset = 1469598103934665603ull;

// Continues hash `h` over `n` bytes at `data`; start from kFnvOffset.
inline uint64_t fnv1a64(const void* data, size_t n, uint64_t h = kFnvOffset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}

// A hash as 16 hex digits.
inline std::string fnv_hex(uint64_t h) { return fmt::format("{:016x}", h); }

}  // namespace moebench
