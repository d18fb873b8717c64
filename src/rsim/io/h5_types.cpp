#include "rsim/io/h5_types.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include "rsim/core/schema.hpp"

namespace rsim::io {

using h5::Id;

h5::Id string_type(const std::string& where) {
  Id t = RSIM_H5(H5Tcopy(H5T_C_S1), where);
  RSIM_H5_CHECK(H5Tset_size(t, H5T_VARIABLE), where);
  RSIM_H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8), where);
  return t;
}

static h5::Id int8_enum(const std::vector<std::pair<const char*, std::int8_t>>& labels, const std::string& where) {
  Id t = RSIM_H5(H5Tenum_create(H5T_NATIVE_INT8), where);
  for (const auto& [name, v] : labels) RSIM_H5_CHECK(H5Tenum_insert(t, name, &v), where);
  return t;
}

// Logical fields: an enum that hdf5r reads as logical and h5py as integers.
h5::Id logical_type(const std::string& where) { return int8_enum({{"FALSE", 0}, {"TRUE", 1}, {"NA", core::na_bool}}, where); }

h5::Id status_type(const std::string& where) {
  using core::TaskStatus;
  auto v = [](TaskStatus s) { return static_cast<std::int8_t>(s); };
  return int8_enum({{"ok", v(TaskStatus::ok)}, {"error", v(TaskStatus::error)},
                    {"timeout", v(TaskStatus::timeout)}, {"not_run", v(TaskStatus::not_run)}},
                   where);
}

h5::Id bytes_type(const std::string& where) { return RSIM_H5(H5Tvlen_create(H5T_NATIVE_UINT8), where); }

const char* encoding_of(core::ValueType t) { return t == core::ValueType::RObject ? kRSerialization : "bytes"; }

core::ValueType bytes_type_of(const std::string& encoding) {
  return encoding == kRSerialization ? core::ValueType::RObject : core::ValueType::Bytes;
}

h5::Id int32_type(const std::string& where) { return RSIM_H5(H5Tcopy(H5T_NATIVE_INT32), where); }

// Memory type of a value type (the file type is the same, little-endian here).
h5::Id value_type(core::ValueType t, const std::string& where) {
  switch (t) {
    case core::ValueType::Int: return RSIM_H5(H5Tcopy(H5T_NATIVE_INT64), where);
    case core::ValueType::Float: return RSIM_H5(H5Tcopy(H5T_NATIVE_DOUBLE), where);
    case core::ValueType::String: return string_type(where);
    case core::ValueType::Bool: return logical_type(where);
    case core::ValueType::Bytes:
    case core::ValueType::RObject: return bytes_type(where);
  }
  throw std::logic_error("value_type");
}

}  // namespace rsim::io
