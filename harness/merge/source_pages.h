// Keeps a merge's resident memory at about one tensor rather than the whole
// model. Pages of a memory-mapped file count towards RSS once touched and stay
// mapped until the file is closed, so streaming 4 x 7B of experts through mmap
// would look (and, under memory pressure, act) like holding them all. Once a
// source tensor has been copied or written out, its pages are dropped from
// this process: they stay in the page cache and fault back in if read again.
#pragma once

#include "harness/io/safetensors_file.h"

namespace moebench::merge {

// madvise(MADV_DONTNEED) over the pages of `view`. The mapping is private and
// read-only, so this never loses data; neighbouring tensors that share an edge
// page simply fault it back in. Best effort: errors are ignored.
void release_source_pages(const io::TensorView& view);

}  // namespace moebench::merge
