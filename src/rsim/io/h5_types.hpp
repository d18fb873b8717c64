#pragma once
// The HDF5 types of rsim's result file (also used to read it back).
#include "rsim/core/value.hpp"
#include "rsim/io/h5.hpp"

namespace rsim::io {

h5::Id string_type(const std::string& where);   // variable-length UTF-8
h5::Id logical_type(const std::string& where);  // int8 enum FALSE 0, TRUE 1, NA 2
h5::Id status_type(const std::string& where);   // int8 enum ok 0, error 1, timeout 2, not_run 3
h5::Id bytes_type(const std::string& where);    // variable-length uint8: Bytes and RObject fields
h5::Id value_type(core::ValueType t, const std::string& where);
// An integer column whose values fit 32 bits (core::fits_int32()).
h5::Id int32_type(const std::string& where);

// The dataset attribute `encoding` of a byte field (docs/format.md#bytes):
// what its bytes are.  The one home of these words.
const char* encoding_of(core::ValueType t);  // RObject: kRSerialization; Bytes: "bytes"
inline constexpr const char* kRSerialization = "R serialization (version 3, XDR)";
// The byte type an `encoding` attribute names: RObject for kRSerialization,
// Bytes for anything else.
core::ValueType bytes_type_of(const std::string& encoding);

}  // namespace rsim::io
