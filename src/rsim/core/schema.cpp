#include "rsim/core/schema.hpp"

#include <cstring>

namespace rsim::core {

const char* status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::ok: return "ok";
    case TaskStatus::error: return "error";
    case TaskStatus::timeout: return "timeout";
    case TaskStatus::not_run: return "not_run";
  }
  return "?";
}

namespace {
constexpr std::uint64_t kRNaBits = 0x7FF00000000007A2ULL;  // R's NA_real_
}

double na_float() {
  double x;
  std::memcpy(&x, &kRNaBits, sizeof x);
  return x;
}

bool is_na_float(double x) {
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof x);
  // R compares the low word only (R_IsNA); a signalling/quiet bit may be set in transit.
  return (bits & 0x7FF0000000000000ULL) == 0x7FF0000000000000ULL && (bits & 0xFFFFFFFFULL) == 1954;
}

}  // namespace rsim::core
