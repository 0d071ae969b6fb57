// Time as the store records it: ISO 8601 UTC text with milliseconds
// ("2024-05-01T02:13:07.412Z"), readable in the sqlite3 shell and in CSV, and
// ordered correctly as text. The clock is injectable so tests are repeatable.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace moebench::store {

using TimePoint = std::chrono::system_clock::time_point;
using Clock = std::function<TimePoint()>;

TimePoint system_now();
std::string iso_timestamp(TimePoint time);
// Seconds since the Unix epoch of an iso_timestamp text; NaN when it is not one.
double epoch_seconds(const std::string& iso);

}  // namespace moebench::store
