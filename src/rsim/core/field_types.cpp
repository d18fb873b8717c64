#include "rsim/core/field_types.hpp"

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
