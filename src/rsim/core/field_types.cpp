#include "rsim/core/field_types.hpp"

#include <algorithm>
#include <stdexcept>

namespace rsim::core {

ColumnData make_column(ValueType t) {
  switch (t) {
    case ValueType::Int: return std::vector<std::int64_t>{};
    case ValueType::Float: return std::vector<double>{};
    case ValueType::String: return std::vector<std::string>{};
    case ValueType::Bool: return std::vector<std::int8_t>{};
    case ValueType::Bytes:
    case ValueType::RObject: return std::vector<Blob>{};
  }
  throw std::logic_error("make_column: bad type");
}

ValueType column_type(const ColumnData& col) {
  switch (col.index()) {
    case 0: return ValueType::Int;
    case 1: return ValueType::Float;
    case 2: return ValueType::String;
    case 3: return ValueType::Bool;
    default: return ValueType::Bytes;
  }
}

bool accepts(const Field& stored, const Field& given) {
  return stored.name == given.name && stored.width == given.width && accepts(stored.type, given.type);
}

std::optional<Field> widened(const Field& a, const Field& b) {
  const auto t = widened_type(a, b);
  if (!t) return std::nullopt;
  Field f = a;
  f.type = *t;
  return f;
}

std::optional<Schema> widened(const Schema& a, const Schema& b) {
  if (a.size() != b.size()) return std::nullopt;
  Schema out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto f = widened(a[i], b[i]);
    if (!f) return std::nullopt;
    out.push_back(std::move(*f));
  }
  return out;
}

void FieldOrigin::note(std::uint64_t task, std::uint32_t pos, const FieldMeta* m) {
  if (task >= first_task) return;
  first_task = task;
  position = pos;
  if (m) meta = *m;
  else meta.clear();
}

void FieldOrigin::merge(const FieldOrigin& o) {
  if (o.first_task < first_task) note(o.first_task, o.position, &o.meta);
  else if (meta.empty()) meta = o.meta;  // a kept field: what the tasks that returned it said
  first_value = std::min(first_value, o.first_value);
  wide = wide || o.wide;
}

namespace {
template <class T>
bool is_na(const T& v) {
  if constexpr (std::is_same_v<T, double>) return is_na_float(v);
  else if constexpr (std::is_same_v<T, std::int64_t>) return v == na_int;
  else if constexpr (std::is_same_v<T, std::int8_t>) return v == na_bool;
  else if constexpr (std::is_same_v<T, std::string>) return v == na_string;
  else return v.bytes.empty();
}
template <class T>
T na_of() {
  if constexpr (std::is_same_v<T, double>) return na_float();
  else if constexpr (std::is_same_v<T, std::int64_t>) return na_int;
  else if constexpr (std::is_same_v<T, std::int8_t>) return na_bool;
  else if constexpr (std::is_same_v<T, std::string>) return std::string(na_string);
  else return T{};
}
}  // namespace

bool is_na_row(const ColumnData& col, std::size_t row, std::size_t w) {
  return std::visit(
      [&](const auto& c) {
        for (std::size_t k = row * w; k < (row + 1) * w; ++k)
          if (!is_na(c[k])) return false;
        return true;
      },
      col);
}

void set_na_row(ColumnData& col, std::size_t row, std::size_t w) {
  std::visit(
      [&](auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        for (std::size_t k = row * w; k < (row + 1) * w; ++k) c[k] = na_of<T>();
      },
      col);
}

std::uint64_t first_value_task(const ColumnData& col, std::size_t w, const std::vector<std::uint64_t>& tasks) {
  return std::visit(  // once per column: this runs at every commit
      [&](const auto& c) {
        std::uint64_t first = FieldOrigin::none;
        for (std::size_t r = 0; r < tasks.size(); ++r) {
          if (tasks[r] >= first) continue;
          for (std::size_t k = r * w; k < (r + 1) * w; ++k)
            if (!is_na(c[k])) {
              first = tasks[r];
              break;
            }
        }
        return first;
      },
      col);
}

bool fits_int32(const std::int64_t* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] != na_int && (v[i] <= na_int32 || v[i] > INT32_MAX)) return false;
  return true;
}

void narrow_ints(const std::int64_t* src, std::size_t n, std::int32_t* dst) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i] == na_int ? na_int32 : static_cast<std::int32_t>(src[i]);
}

void na_from_int32(std::int64_t* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] == na_int32) v[i] = na_int;
}

void widen_ints(const std::int64_t* src, std::size_t n, double* dst) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = widen_int(src[i]);
}

void convert_column(ColumnData& col, ValueType to) {
  const ValueType from = column_type(col);
  if (from == to || (is_bytes(from) && is_bytes(to))) return;
  if (!accepts(to, from))
    throw std::logic_error(std::string("convert_column: a ") + type_name(from) + " column cannot become " +
                           type_name(to));
  const auto& ints = std::get<std::vector<std::int64_t>>(col);
  std::vector<double> d(ints.size());
  widen_ints(ints.data(), ints.size(), d.data());
  col = std::move(d);
}

}  // namespace rsim::core
