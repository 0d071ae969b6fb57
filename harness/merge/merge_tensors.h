// The merged model's tensors, produced from the sources one at a time. The
// in-memory assembly and the writer both call merged_tensor(), so a model built
// in memory and the same model written and loaded back hold identical bits.
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "harness/io/safetensors_file.h"
#include "harness/merge/gate_builder.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_plan.h"

namespace moebench::merge {

at::ScalarType scalar_type(io::DType dtype);  // F32, BF16 or F16

// `ref` as a CPU tensor in inputs.out_dtype with the shape tensor_shape() gives:
//  - base tensors and untouched expert MLPs: a zero-copy view of the memory
//    map when the file already holds out_dtype, else converted (round to
//    nearest even, as torch's .to());
//  - routers: the gates (float32) cast to out_dtype;
//  - an expert with noise_scale: its gate/up/down matrices in float32 plus
//    N(0, noise_scale^2) noise, then (down only) times residual_scale, then
//    cast. The noise is keyed by (seed, expert, tensor name): it depends
//    neither on the order tensors are produced in nor on the layout.
// Requires inputs opened with InputScope::Full for expert parts.
at::Tensor merged_tensor(const MergeInputs& inputs, const GateSet& gates, const TensorRef& ref,
                         uint64_t seed);

// The memory-mapped source of `ref` (nullopt for routers), so callers can
// release its pages once used.
std::optional<io::TensorView> source_view(const MergeInputs& inputs, const TensorRef& ref);

}  // namespace moebench::merge
