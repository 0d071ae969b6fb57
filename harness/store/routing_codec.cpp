#include "harness/store/routing_codec.h"

#include <zstd.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "harness/store/sqlite_db.h"

namespace moebench::store {

// ---- fp16 ----------------------------------------------------------------------

uint16_t fp16_from_float_slow(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t exponent = (bits >> 23) & 0xFFu;
  uint32_t mantissa = bits & 0x7FFFFFu;
  if (exponent == 0xFF)  // inf, or NaN with the quiet bit set so it stays NaN
    return sign | 0x7C00u | (mantissa ? 0x200u | (mantissa >> 13) : 0);
  const int e = static_cast<int>(exponent) - 127 + 15;  // rebias
  if (e >= 0x1F) return sign | 0x7C00u;                 // too large: infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand into place and
    // round at the cut. Below 2^-25 everything rounds to zero.
    if (e < -10) return sign;
    mantissa |= 0x800000u;
    const int shift = 14 - e;  // 13 + (1 - e)
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return sign | static_cast<uint16_t>(half);  // a carry into the exponent is right
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry to infinity: right
  return sign | static_cast<uint16_t>(half);
}

float float_from_fp16_slow(uint16_t half) {
  const uint32_t sign = (half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu, mantissa = half & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  } else {  // zero or subnormal: exact in fp32
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// ---- blobs -----------------------------------------------------------------------

namespace {

int id_width(int32_t num_experts) { return num_experts > 256 ? 2 : 1; }

// One context per thread: ZSTD_compress would allocate (and zero) a fresh
// context of a few hundred KB for every 1-2 KB blob, which costs more than
// compressing it.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
ZstdContexts& zstd_contexts() {
  thread_local ZstdContexts contexts;
  return contexts;
}

std::string zstd_compress(const std::string& raw, int level) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compressCCtx(zstd_contexts().c, out.data(), out.size(), raw.data(), raw.size(),
                               level);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string zstd_decompress(const std::string& blob, size_t expected, const std::string& where) {
  // Checked before allocating, since a damaged row's shape may ask for
  // terabytes: the frame records its size (encode_routing's frames always
  // do), and a zstd block of up to 128 KiB takes at least 4 bytes.
  if (ZSTD_getFrameContentSize(blob.data(), blob.size()) != expected || expected / 32768 > blob.size())
    throw StoreError(where + ": corrupt zstd routing blob (wrong size)", 0);
  std::string out(expected, '\0');
  size_t n = ZSTD_decompressDCtx(zstd_contexts().d, out.data(), out.size(), blob.data(), blob.size());
  if (ZSTD_isError(n) || n != expected)
    throw StoreError(where + ": corrupt zstd routing blob (" +
                         (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size") + ")",
                     0);
  return out;
}

}  // namespace

EncodedRouting encode_routing(const LayerRouting& r, int zstd_level) {
  const size_t n = r.expert_ids.size();
  if (r.top_k <= 0 || n % r.top_k != 0 || r.weights.size() != n)
    throw std::invalid_argument("encode_routing: layer " + std::to_string(r.layer) + " has " +
                                std::to_string(n) + " ids and " + std::to_string(r.weights.size()) +
                                " weights for top_k " + std::to_string(r.top_k));
  const int width = id_width(r.num_experts);
  EncodedRouting out;
  out.expert_ids.resize(n * width);
  out.weights.resize(n * 2);
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = r.expert_ids[i];
    if (id < 0 || id >= r.num_experts)
      throw std::invalid_argument("encode_routing: layer " + std::to_string(r.layer) +
                                  ": expert id " + std::to_string(id) + " outside [0, " +
                                  std::to_string(r.num_experts) + ")");
    out.expert_ids[i * width] = static_cast<char>(id & 0xFF);
    if (width == 2) out.expert_ids[i * 2 + 1] = static_cast<char>(id >> 8);
    const uint16_t h = fp16_from_float(r.weights[i]);
    out.weights[i * 2] = static_cast<char>(h & 0xFF);
    out.weights[i * 2 + 1] = static_cast<char>(h >> 8);
  }
  if (zstd_level != 0 && n > 0) {
    EncodedRouting packed{zstd_compress(out.expert_ids, zstd_level),
                          zstd_compress(out.weights, zstd_level), true};
    if (packed.expert_ids.size() + packed.weights.size() < out.expert_ids.size() + out.weights.size())
      return packed;
  }
  return out;
}

LayerRouting decode_routing(const EncodedRouting& blobs, int32_t layer, int32_t top_k,
                            int32_t num_experts, int64_t tokens, const std::string& where) {
  if (top_k <= 0 || num_experts <= 0 || tokens < 0 || tokens > (int64_t{1} << 40))
    throw StoreError(where + ": bad routing shape (top_k " + std::to_string(top_k) +
                         ", num_experts " + std::to_string(num_experts) + ", tokens " +
                         std::to_string(tokens) + ")",
                     0);
  const size_t n = static_cast<size_t>(tokens) * top_k;
  const int width = id_width(num_experts);
  std::string ids = blobs.zstd ? zstd_decompress(blobs.expert_ids, n * width, where) : blobs.expert_ids;
  std::string weights = blobs.zstd ? zstd_decompress(blobs.weights, n * 2, where) : blobs.weights;
  if (ids.size() != n * width || weights.size() != n * 2)
    throw StoreError(where + ": routing blobs hold " + std::to_string(ids.size()) + " id and " +
                         std::to_string(weights.size()) + " weight bytes, expected " +
                         std::to_string(n * width) + " and " + std::to_string(n * 2),
                     0);
  LayerRouting out{layer, top_k, num_experts, std::vector<int32_t>(n), std::vector<float>(n)};
  const auto* id_bytes = reinterpret_cast<const uint8_t*>(ids.data());
  const auto* w_bytes = reinterpret_cast<const uint8_t*>(weights.data());
  for (size_t i = 0; i < n; ++i) {
    int32_t id = width == 1 ? id_bytes[i] : id_bytes[2 * i] | (id_bytes[2 * i + 1] << 8);
    if (id >= num_experts)
      throw StoreError(where + ": expert id " + std::to_string(id) + " in a blob of a " +
                           std::to_string(num_experts) + "-expert layer",
                       0);
    out.expert_ids[i] = id;
    out.weights[i] = float_from_fp16(static_cast<uint16_t>(w_bytes[2 * i] | (w_bytes[2 * i + 1] << 8)));
  }
  return out;
}

std::string encode_segments(const std::vector<RoutingSegment>& segments) {
  std::string out(segments.size() * 24, '\0');
  auto put = [&out](size_t at, int64_t v) {
    for (int b = 0; b < 8; ++b) out[at + b] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * b)) & 0xFF);
  };
  for (size_t i = 0; i < segments.size(); ++i) {
    put(i * 24, segments[i].request);
    put(i * 24 + 8, segments[i].first_position);
    put(i * 24 + 16, segments[i].tokens);
  }
  return out;
}

std::vector<RoutingSegment> decode_segments(std::string_view blob, const std::string& where) {
  if (blob.size() % 24 != 0)
    throw StoreError(where + ": routing_segments blob of " + std::to_string(blob.size()) +
                         " bytes is not a multiple of 24",
                     0);
  auto get = [&blob](size_t at) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= static_cast<uint64_t>(static_cast<uint8_t>(blob[at + b])) << (8 * b);
    return static_cast<int64_t>(v);
  };
  std::vector<RoutingSegment> out(blob.size() / 24);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = {static_cast<int32_t>(get(i * 24)), get(i * 24 + 8), get(i * 24 + 16)};
  return out;
}

}  // namespace moebench::store
