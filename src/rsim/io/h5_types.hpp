#pragma once
// The HDF5 types of rsim's result file (also used to read it back).
#include "rsim/core/value.hpp"
#include "rsim/io/h5.hpp"

namespace rsim::io {

h5::Id string_type(const std::string& where);   // variable-length UTF-8
h5::Id logical_type(const std::string& where);  // int8 enum FALSE 0, TRUE 1, NA 2
h5::Id status_type(const std::string& where);   // int8 enum ok 0, error 1, timeout 2, not_run 3
h5::Id value_type(core::ValueType t, const std::string& where);

}  // namespace rsim::io
