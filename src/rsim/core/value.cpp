#include "rsim/core/value.hpp"

#include <cmath>
#include <cstdio>

namespace rsim::core {

const char* type_name(ValueType t) {
  switch (t) {
    case ValueType::Int: return "integer";
    case ValueType::Float: return "float";
    case ValueType::String: return "string";
    case ValueType::Bool: return "boolean";
    case ValueType::Bytes: return "bytes";
    case ValueType::RObject: return "R object";
  }
  return "?";
}

std::string to_string(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Int: return std::to_string(std::get<std::int64_t>(v));
    case ValueType::Float: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v));
      return buf;
    }
    case ValueType::String: return "\"" + std::get<std::string>(v) + "\"";
    case ValueType::Bool: return std::get<bool>(v) ? "true" : "false";
    default: break;  // a Value never holds bytes
  }
  return "?";
}

}  // namespace rsim::core
