// Element types of tensors as stored in safetensors files.
#pragma once

#include <cstddef>
#include <string>

namespace moebench::io {

// The subset of safetensors dtypes that Llama/Mistral/Mixtral checkpoints use.
// Float8 and unsigned types wider than a byte are refused at open (parse_dtype).
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// Bytes per element (BOOL is one byte, as in safetensors).
size_t dtype_size(DType dtype);
// The safetensors spelling: "F32", "BF16", "BOOL", ...
const char* dtype_name(DType dtype);
// Inverse of dtype_name (case-sensitive, as the format is). Throws InputError
// "<where>: unknown dtype 'X' (supported: F64, F32, ...)".
DType parse_dtype(const std::string& name, const std::string& where);

}  // namespace moebench::io
