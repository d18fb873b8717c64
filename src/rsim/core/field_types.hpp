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
#include <utility>
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

// What a task says about a field's values beyond their type, stored as the
// dataset's attributes (docs/format.md#results): `element_names` of a
// vector field, and for R values with a class the attributes that rebuild
// it (`r_class`, `tzone`, `units`, `levels`).  Each is a list of strings.
using FieldMeta = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Where a result field first appears among the tasks of a batch (and, merged,
// of the whole job): it decides the order of the fields and, where tasks
// return a field with types that do not join, which type the file keeps.
// Task ids, not the order ranks ran tasks in, so both are the same at any
// rank count (docs/r-tasks.md#the-field-rule).
struct FieldOrigin {
  static constexpr std::uint64_t none = UINT64_MAX;
  std::uint64_t first_task = none;   // the lowest task that returned the field
  std::uint32_t position = 0;        // its place among the fields that task returned
  std::uint64_t first_value = none;  // the lowest task whose value is not NA
  bool wide = false;                 // an integer field with a value that needs 64 bits (fits_int32())
  FieldMeta meta;                    // as first_task gave it
  // Task `task` returned the field as its `position`-th (with `meta`, if
  // any): kept if it is the lowest task so far.
  void note(std::uint64_t task, std::uint32_t position, const FieldMeta* meta = nullptr);
  // The lower of both, field by field.
  void merge(const FieldOrigin& o);
  // Orders fields: by first_task, then position.
  bool before(const FieldOrigin& o) const {
    return first_task != o.first_task ? first_task < o.first_task : position < o.position;
  }
};

// True if every element of row `row` (of width `w`) of `col` is missing.
bool is_na_row(const ColumnData& col, std::size_t row, std::size_t w);
// Sets row `row` (of width `w`) of `col` to missing.
void set_na_row(ColumnData& col, std::size_t row, std::size_t w);
// The lowest of `tasks` (one per row) whose row of `col` is not missing;
// FieldOrigin::none if every row is.
std::uint64_t first_value_task(const ColumnData& col, std::size_t w, const std::vector<std::uint64_t>& tasks);

// The one rule for narrow integers (docs/format.md#types): an integer
// column whose values other than NA all lie in (INT32_MIN, INT32_MAX] is
// stored as int32, with INT32_MIN (R's NA_integer_) for NA.
constexpr std::int32_t na_int32 = INT32_MIN;
bool fits_int32(const std::int64_t* v, std::size_t n);
// Into int32 (values that fit_int32()), NA to na_int32.
void narrow_ints(const std::int64_t* src, std::size_t n, std::int32_t* dst);
// In place: values read from an int32 dataset into int64, na_int32 to NA.
void na_from_int32(std::int64_t* v, std::size_t n);

// Converts `col` in place to type `to`, which must accept its type
// (a no-op for the same type); NA stays NA.  std::logic_error otherwise.
void convert_column(ColumnData& col, ValueType to);

}  // namespace rsim::core
