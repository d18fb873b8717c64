#pragma once
// R factors in the result file (docs/format.md#factors).  A text column
// whose deciding task returned a factor (its meta has r_class "factor") is
// stored as an HDF5 enum: the labels are the levels that task gave, then
// every other label the column's values use, sorted, so they do not depend
// on rank count or order; a missing value is -1, not a member.  With too
// many labels for an HDF5 enum type (its type message is limited to 64 KiB),
// the column stays text and its labels go into the attribute `levels`.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsim/core/field_types.hpp"
#include "rsim/io/h5_write.hpp"

namespace rsim::io {

// True if `meta` says the values are an R factor.
bool is_factor(const core::FieldMeta& meta);
// The `levels` of `meta` (none if it has none).
std::vector<std::string> levels_of(const core::FieldMeta& meta);

// A factor column of n rows, filled row by row, then written whole.
// Memory: 4 bytes a row, plus each label once.
class FactorColumn {
 public:
  FactorColumn(std::vector<std::string> levels, hsize_t n_rows);
  // Row `row` holds `label` (core::na_string: missing).
  void set(hsize_t row, const std::string& label);
  // Creates dataset `name` in `parent` with every row; its attribute
  // `levels` only when it is stored as text.  Labels beyond the levels
  // that no row holds in the end (a row replaced later) are left out.
  Dataset write(hid_t parent, const std::string& name, const std::string& where) const;

 private:
  std::unordered_map<std::string, std::int32_t> index_;
  std::vector<std::string> labels_;  // by provisional code: the levels first, then in the order met
  std::size_t n_levels_;
  std::vector<std::int32_t> codes_;  // provisional, -1 missing
};

}  // namespace rsim::io
