#pragma once
// The named, typed result fields a task returns, and per-task status.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rsim/core/value.hpp"

namespace rsim::core {

struct Field {
  std::string name;
  ValueType type = ValueType::Float;
  std::uint32_t width = 1;  // > 1: a fixed-length vector, stored as a 2-D dataset
  bool operator==(const Field& o) const { return name == o.name && type == o.type && width == o.width; }
  bool operator!=(const Field& o) const { return !(*this == o); }
};

using Schema = std::vector<Field>;

// Stored as an HDF5 enum with these labels; values are part of the format.
enum class TaskStatus : std::int8_t { ok = 0, error = 1, timeout = 2, not_run = 3 };
const char* status_name(TaskStatus s);  // "ok", "error", "timeout", "not_run"

// Missing values, chosen so R reads them as NA: R's NA_real_ bit pattern,
// bit64's NA_integer64_, and a third logical state.
double na_float();
bool is_na_float(double x);  // true for R's NA only, not for other NaNs
constexpr std::int64_t na_int = INT64_MIN;
constexpr std::int8_t na_bool = 2;  // logical fields: 0 FALSE, 1 TRUE, 2 NA
// Missing text: U+FFFF (a Unicode noncharacter, never in real text), so that
// NA_character_ and "" stay apart; string datasets name it in their
// attribute `na_string` (docs/format.md#missing-values).
inline constexpr std::string_view na_string = "\xEF\xBF\xBF";

}  // namespace rsim::core
