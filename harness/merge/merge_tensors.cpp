#include "harness/merge/merge_tensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include "harness/model/model_weights.h"

namespace moebench::merge {
namespace {

const SourceModel& source_of(const MergeInputs& in, const TensorRef& ref) {
  return from_expert(ref.part) ? in.experts.at(ref.expert) : in.base;
}

// A stable 64-bit key for one expert tensor's noise (FNV-1a, then splitmix64's
// finaliser), so the noise does not depend on std::hash or on tensor order.
uint64_t noise_seed(uint64_t seed, int64_t expert, const std::string& name) {
  uint64_t h = 0xCBF29CE484222325ULL ^ static_cast<uint64_t>(expert);
  for (unsigned char c : name) h = (h ^ c) * 0x100000001B3ULL;
  uint64_t z = seed + h + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

at::ScalarType scalar_type(io::DType dtype) {
  return dtype == io::DType::BF16 ? at::kBFloat16 : dtype == io::DType::F16 ? at::kHalf : at::kFloat;
}

std::optional<io::TensorView> source_view(const MergeInputs& in, const TensorRef& ref) {
  if (ref.part == Part::Router) return std::nullopt;
  return source_of(in, ref).store->get(source_name(ref));
}

at::Tensor merged_tensor(const MergeInputs& in, const GateSet& gates, const TensorRef& ref, uint64_t seed) {
  const at::ScalarType out = scalar_type(in.out_dtype);
  const std::vector<int64_t> shape = tensor_shape(in.config, ref);
  if (ref.part == Part::Router) {
    at::Tensor g = at::from_blob(const_cast<float*>(gates.row(ref.layer, 0)), shape, at::kFloat);
    return g.to(out, /*non_blocking=*/false, /*copy=*/true);  // owns its data
  }
  const SourceModel& source = source_of(in, ref);
  const std::string name = source_name(ref);
  std::optional<double> noise, scale;
  if (from_expert(ref.part)) {
    const ExpertRecipe& expert = in.recipe.experts.at(ref.expert);
    noise = expert.noise_scale;
    if (ref.part == Part::ExpertDown) scale = expert.residual_scale;  // the expert's output
  }
  if (!noise && !scale) return model::load_tensor(source.store, name, shape, {at::kCPU, out});
  at::Tensor x = model::load_tensor(source.store, name, shape, {at::kCPU, at::kFloat});
  if (noise) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(noise_seed(seed, ref.expert, name));
    x = x + at::randn(shape, gen, at::kFloat) * *noise;
  }
  if (scale) x = x * *scale;
  return x.to(out).contiguous();
}

}  // namespace moebench::merge
