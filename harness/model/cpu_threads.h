// Who uses the CPU cores. libtorch's intra-op pool (OpenMP) and OpenBLAS each
// keep their own threads, and an idle thread of either spins for a while
// before it sleeps: both pools at N threads put 2N busy threads on N cores,
// and a model's mix of BLAS products and element-wise operations then runs
// slower on two threads than on one. So moebench gives the cores to BLAS,
// where nearly all of a model's time is, and runs libtorch's own operations on
// the calling thread, which leaves no OpenMP pool to spin at all.
#pragma once

#include <string>

namespace moebench::model {

// Sets BLAS to `threads` threads (0: the process's CPU affinity count, or
// OMP_NUM_THREADS / OPENBLAS_NUM_THREADS when the environment sets one) and
// libtorch's intra-op threads to 1; returns the BLAS thread count. Without
// OpenBLAS (MKL runs inside libtorch's pool) libtorch gets the threads.
// Cheap and idempotent: every model load calls it with its --threads.
int use_cpu_threads(int threads = 0);

// The BLAS thread count in effect.
int blas_threads();
// The BLAS and the kernels it runs, e.g. "OpenBLAS Cooperlake" (OpenBLAS
// chooses them for the CPU as it loads, unless OPENBLAS_CORETYPE says).
std::string blas_kernels();

}  // namespace moebench::model
