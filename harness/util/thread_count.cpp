#include "harness/util/thread_count.h"

#include <algorithm>
#include <thread>

#include "harness/util/error.h"

namespace moebench {

int max_thread_count() {
  return std::max(8, 4 * static_cast<int>(std::thread::hardware_concurrency()));
}

void check_thread_count(int64_t threads, const std::string& where) {
  if (threads < 0 || threads > max_thread_count())
    fail_input(where, "expected 0 (the default) to {} threads on this machine, got {}",
               max_thread_count(), threads);
}

}  // namespace moebench
