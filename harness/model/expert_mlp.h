// The SwiGLU MLP of a dense layer or of one expert, and the two ways an MoE
// layer sends tokens through its experts.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "harness/model/model_weights.h"

namespace moebench::model {

// down(silu(gate(x)) * up(x)) for x [..., H].
at::Tensor swiglu(const at::Tensor& x, const ExpertWeights& expert);

// sum over j of weights[n, j] * expert_{ids[n, j]}(tokens[n]) for tokens
// [N, H], ids [N, k] int64 and weights [N, k] in the tokens' dtype; the
// contributions of one token are added in ascending expert order.
//
// Grouped: the N*k (token, expert) pairs are sorted by expert once, so each
// expert runs one matrix product over a contiguous slice of gathered tokens;
// the only host synchronisation is one copy of the E counts per layer.
at::Tensor moe_grouped(const at::Tensor& tokens, const at::Tensor& ids, const at::Tensor& weights,
                       const std::vector<ExpertWeights>& experts);
// Per expert: find its tokens (a host synchronisation each), run them, add
// them back. The straightforward form, kept as the reference in tests.
at::Tensor moe_per_expert(const at::Tensor& tokens, const at::Tensor& ids, const at::Tensor& weights,
                          const std::vector<ExpertWeights>& experts);

// at::linear, but one fp32 row on CPU goes through a matrix-vector product: BLAS
// runs a one-row matrix product at about half the memory speed of its gemv,
// and decoding one token is nothing but such products.
at::Tensor project(const at::Tensor& x, const at::Tensor& weight);

}  // namespace moebench::model
