#pragma once
// Typed scalar values of grid parameters, [args] constants and result fields.
#include <cstdint>
#include <string>
#include <variant>

namespace rsim::core {

// The order matches Value's alternatives.
enum class ValueType : std::uint8_t { Int = 0, Float = 1, String = 2, Bool = 3 };

using Value = std::variant<std::int64_t, double, std::string, bool>;

inline ValueType type_of(const Value& v) { return static_cast<ValueType>(v.index()); }
const char* type_name(ValueType t);  // "integer", "float", "string", "boolean"
std::string to_string(const Value& v);  // 20, 0.5, "welch", true (strings quoted)

}  // namespace rsim::core
