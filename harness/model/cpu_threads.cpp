#include "harness/model/cpu_threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace moebench::model {
namespace {

int env_threads() {
  for (const char* name : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
    const char* value = std::getenv(name);
    if (value && std::atoi(value) > 0) return std::atoi(value);
  }
  return 0;
}

int affinity_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1u, std::thread::hardware_concurrency());
}

// OpenBLAS's controls, looked up at run time: libtorch reaches BLAS through
// libblas.so.3, which may be another implementation (or MKL on GPU images).
using SetThreads = void (*)(int);
using GetThreads = int (*)();
using GetName = char* (*)();
SetThreads blas_set() { return reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }
GetThreads blas_get() { return reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }

// Score and activation buffers of a forward pass are megabytes each (tens of
// megabytes at batch 16) and freed every layer; glibc gives blocks above its
// mmap threshold (at most 32 MiB) back to the kernel at once, and the next
// layer takes a page fault for every 4 KiB to map them again: at batch 16
// that was more time in the kernel than in the products. Served from the
// heap and kept there, freed buffers are reused by the next layer.
void keep_freed_buffers() {
  static const bool done = [] {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)done;
}

}  // namespace

int use_cpu_threads(int threads) {
  keep_freed_buffers();
  if (threads <= 0) threads = env_threads();
  if (threads <= 0) threads = affinity_cores();
  SetThreads set = blas_set();
  if (!set) {
    // Another BLAS (MKL) runs inside libtorch's own threads: give them the cores.
    at::set_num_threads(threads);
    return threads;
  }
  if (at::get_num_threads() != 1) at::set_num_threads(1);
  set(threads);
  return blas_threads();
}

std::string blas_kernels() {
  auto name = reinterpret_cast<GetName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return name ? std::string("OpenBLAS ") + name() : "libtorch's BLAS";
}

int blas_threads() {
  GetThreads get = blas_get();
  return get ? get() : at::get_num_threads();
}

}  // namespace moebench::model
