// How many CPU threads a run may ask for. Far more threads than cores only take
// turns (and libtorch and OpenBLAS build pools of that size that spin), so a
// request like 100000 is a mistake to report, not a setting to obey.
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// 4x the hardware threads, at least 8.
int max_thread_count();

// InputError "<where>: expected 0 (the default) to N threads, got X".
void check_thread_count(int64_t threads, const std::string& where);

}  // namespace moebench
