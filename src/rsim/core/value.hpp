#pragma once
// Typed scalar values of grid parameters, [args] constants and result fields.
#include <cstdint>
#include <string>
#include <variant>

namespace rsim::core {

// The first four match Value's alternatives (parameters and [args] take only
// those).  Result fields may also be bytes: Bytes, opaque (a native kernel's
// encoding), or RObject, an R value in R's serialization (serialize(x, NULL,
// version = 3), XDR), which the R package turns back into the object.
enum class ValueType : std::uint8_t { Int = 0, Float = 1, String = 2, Bool = 3, Bytes = 4, RObject = 5 };

using Value = std::variant<std::int64_t, double, std::string, bool>;

inline ValueType type_of(const Value& v) { return static_cast<ValueType>(v.index()); }
const char* type_name(ValueType t);  // "integer", "float", "string", "boolean", "bytes", "R object"
// True for the two byte types (stored as variable-length bytes).
inline bool is_bytes(ValueType t) { return t == ValueType::Bytes || t == ValueType::RObject; }
std::string to_string(const Value& v);  // 20, 0.5, "welch", true (strings quoted)

}  // namespace rsim::core
