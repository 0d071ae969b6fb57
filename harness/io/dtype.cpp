#include "harness/io/dtype.h"

#include <fmt/format.h>

#include <array>

#include "harness/util/error.h"

namespace moebench::io {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

// One table, so name, size and the "supported" list can never disagree.
constexpr std::array<DTypeInfo, 10> kDTypes{{
    {DType::F64, "F64", 8},
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},
    {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
}};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  // Only reachable through a cast of an out-of-range integer: a programming error.
  throw std::logic_error(fmt::format("invalid DType value {}", static_cast<int>(dtype)));
}

}  // namespace

size_t dtype_size(DType dtype) { return info(dtype).size; }

const char* dtype_name(DType dtype) { return info(dtype).name; }

DType parse_dtype(const std::string& name, const std::string& where) {
  std::string supported;
  for (const auto& entry : kDTypes) {
    if (name == entry.name) return entry.dtype;
    supported += supported.empty() ? entry.name : fmt::format(", {}", entry.name);
  }
  fail_input(where, "unknown dtype '{}' (supported: {})", name, supported);
}

}  // namespace moebench::io
