#include "rsim/job/json_values.hpp"

#include <cmath>

#include "rsim/core/schema.hpp"

namespace rsim::job {

nlohmann::ordered_json double_json(double x) {
  if (std::isfinite(x)) return x;
  if (core::is_na_float(x)) return nullptr;
  if (std::isnan(x)) return "NaN";
  return x > 0 ? "Inf" : "-Inf";
}

nlohmann::ordered_json value_json(const core::Value& v) {
  switch (core::type_of(v)) {
    case core::ValueType::Int: return std::get<std::int64_t>(v);
    case core::ValueType::Float: return double_json(std::get<double>(v));
    case core::ValueType::String: return std::get<std::string>(v);
    case core::ValueType::Bool: return std::get<bool>(v);
    default: break;  // a Value never holds bytes
  }
  return nullptr;
}

}  // namespace rsim::job
