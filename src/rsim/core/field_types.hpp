#pragma once
// The one rule for the types of result fields, table columns and kernel
// parameters, and the typed columns that hold them.  Integers and doubles
// mix as double; any other disagreement (another type, another vector
// width, another name) is a conflict.  Widening keeps NA: the int64 NA
// becomes R's NA_real_.  Backends, checkpoints and the result file all ask
// this module instead of spelling the rule out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rsim/core/schema.hpp"

namespace rsim::core {

// One value of a byte field (ValueType::Bytes or RObject); empty means
// missing (a task that failed or did not return the field).  A struct, not a
// std::string, so that code visiting a column cannot mistake it for text.
struct Blob {
  std::string bytes;
  bool operator==(const Blob& o) const { return bytes == o.bytes; }
};

// One typed column; int8 holds logicals (0, 1, na_bool), Blob both byte types.
using ColumnData = std::variant<std::vector<std::int64_t>, std::vector<double>,
                                std::vector<std::string>, std::vector<std::int8_t>, std::vector<Blob>>;

// An empty column of type t.
ColumnData make_column(ValueType t);
// The type a column holds (Bytes for a Blob column, which also holds RObject).
ValueType column_type(const ColumnData& col);

// True if a column of type `stored` takes values of type `given`: the same
// type, or an integer into a float column.
inline bool accepts(ValueType stored, ValueType given) {
  return given == stored || (stored == ValueType::Float && given == ValueType::Int);
}
// True if field `stored` takes field `given`: same name and width, and
// accepts(stored.type, given.type).
bool accepts(const Field& stored, const Field& given);

// The type of a column holding values of both types: the type itself, float
// for integer with float, or nothing (a conflict).
inline std::optional<ValueType> widened(ValueType a, ValueType b) {
  if (accepts(a, b)) return a;
  if (accepts(b, a)) return b;
  return std::nullopt;
}
// The type of the field holding both fields (same name and width, widened
// type), or nothing; copies nothing, for per-task checks.
inline std::optional<ValueType> widened_type(const Field& a, const Field& b) {
  if (a.width != b.width || a.name != b.name) return std::nullopt;
  return widened(a.type, b.type);
}
// The field holding both fields: same name and width, widened type; or
// nothing.
std::optional<Field> widened(const Field& a, const Field& b);
// Column by column (same count, names and widths in the same order); or
// nothing if any column conflicts.
std::optional<Schema> widened(const Schema& a, const Schema& b);

// An integer as a float; the int64 NA becomes R's NA.
inline double widen_int(std::int64_t x) { return x == na_int ? na_float() : static_cast<double>(x); }
// widen_int over n values, from `src` into `dst`.
void widen_ints(const std::int64_t* src, std::size_t n, double* dst);

// Converts `col` in place to type `to`, which must accept its type
// (a no-op for the same type); NA stays NA.  std::logic_error otherwise.
void convert_column(ColumnData& col, ValueType to);

}  // namespace rsim::core
