#pragma once
// Test helpers: a result batch's columns by field name.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rsim/core/result_batch.hpp"

namespace rsim::test {

inline std::size_t field(const core::ResultBatch& b, const std::string& name) {
  for (std::size_t i = 0; i < b.schema().size(); ++i)
    if (b.schema()[i].name == name) return i;
  ADD_FAILURE() << "no field " << name;
  return 0;
}
inline const std::vector<double>& floats(const core::ResultBatch& b, const std::string& name) {
  return std::get<std::vector<double>>(b.columns()[field(b, name)]);
}
inline const std::vector<std::int64_t>& ints(const core::ResultBatch& b, const std::string& name) {
  return std::get<std::vector<std::int64_t>>(b.columns()[field(b, name)]);
}
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace rsim::test
