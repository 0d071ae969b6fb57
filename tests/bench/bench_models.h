// Models the benchmarks share, generated once into the temp directory.
#pragma once

#include <filesystem>

namespace moebench::bench {

// A random Llama of ~100M parameters (hidden 768, intermediate 2560, 12 layers,
// 12 heads, vocab 2048, context 1024).
std::filesystem::path llama_100m_dir();

}  // namespace moebench::bench
