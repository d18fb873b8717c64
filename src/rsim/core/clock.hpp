#pragma once
// Wall-clock stamps for provenance and a monotonic clock for timings.
#include <chrono>
#include <string>

namespace rsim::core {

using MonoClock = std::chrono::steady_clock;

inline double seconds_since(MonoClock::time_point t0) {
  return std::chrono::duration<double>(MonoClock::now() - t0).count();
}

// Now as "2026-11-29T13:44:42Z".
std::string utc_now_iso();

}  // namespace rsim::core
