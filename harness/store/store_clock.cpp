#include "harness/store/store_clock.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace moebench::store {

TimePoint system_now() { return std::chrono::system_clock::now(); }

std::string iso_timestamp(TimePoint time) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  // Floor division, so instants before 1970 still format (tests use fixed clocks).
  std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int64_t millis = ((ms % 1000) + 1000) % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

double epoch_seconds(const std::string& iso) {
  std::tm utc{};
  int millis = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis) != 7)
    return std::nan("");
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return static_cast<double>(timegm(&utc)) + millis / 1000.0;
}

}  // namespace moebench::store
