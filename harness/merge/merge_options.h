// How a frankenMoE is built from a recipe: every knob of `moebench merge` and
// `moebench gates` that is not in the recipe itself, with its default and why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace moebench::merge {

struct MergeOptions {
  // Where the gate forward pass runs: "auto" (a GPU when this build and machine
  // have one, else the CPU, like mergekit's --device auto), "cpu", "cuda",
  // "cuda:N". Gates are always computed in float32 (mergekit runs the base in
  // bfloat16; see ../shared/reference/README.md for the effect).
  std::string device = "auto";
  // CPU threads for the gate forward and dtype conversions (0: every core this process may use).
  int threads = 0;
  // mergekit's --i-understand-this-is-not-useful-without-training: allow a
  // recipe whose experts are all the same model (useful before training).
  bool allow_all_same = false;
  // Seeds `random` / `uniform_random` gates and `noise_scale` noise. mergekit
  // draws from torch's global RNG unseeded, so no seed reproduces its output.
  uint64_t seed = 0;
  // Directories a relative base_model / source_model is tried against, in
  // order. Empty: the recipe file's directory, then the working directory
  // (mergekit itself only uses the working directory).
  std::vector<std::filesystem::path> search_dirs;
  // Router weights from a `moebench gates` file instead of computing them: the
  // fast path for prompt ablations (no prompt forward, same expert weights).
  std::filesystem::path gates_file;

  // ---- writer only ----
  // Largest shard; a tensor larger than this gets a shard of its own.
  // transformers' default "5GB" means 5 * 10^9 bytes.
  uint64_t max_shard_bytes = 5'000'000'000ULL;
  // "v4": block_sparse_moe.experts.E.w1/w2/w3 (transformers v4, vLLM, llama.cpp's
  // converter); "v5": mlp.experts.gate_up_proj / down_proj (transformers v5,
  // current mergekit).
  std::string layout = "v4";
  // Replace an existing output directory (only once the new one is complete).
  bool overwrite = false;
  // Progress bar on stderr (ProgressBar decides whether stderr can show it).
  bool progress = true;
  // Called after each written tensor with (written, total); tests use it to
  // interrupt a merge half-way.
  std::function<void(int64_t, int64_t)> on_tensor_written;
};

}  // namespace moebench::merge
