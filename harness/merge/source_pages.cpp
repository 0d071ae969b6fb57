#include "harness/merge/source_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace moebench::merge {

void release_source_pages(const io::TensorView& view) {
  if (view.nbytes == 0) return;
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(view.data) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(view.data) + view.nbytes;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace moebench::merge
