#include "rsim/io/factor.hpp"

#include <algorithm>

#include "rsim/core/schema.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

using h5::Id;

namespace {

const std::vector<std::string>* meta_values(const core::FieldMeta& meta, const char* key) {
  for (const auto& [name, values] : meta)
    if (name == key) return &values;
  return nullptr;
}

// An enum type message holds each name (NUL-terminated, padded to 8 bytes)
// and value; HDF5 object header messages are limited to 64 KiB.
bool fits_enum(const std::vector<std::string>& labels) {
  constexpr std::size_t kLimit = 48 * 1024;
  std::size_t bytes = 64;
  for (const auto& l : labels) {
    if (l.empty() || l.find('\0') != std::string::npos) return false;
    bytes += (l.size() + 8) / 8 * 8 + 4;
  }
  return labels.size() <= INT32_MAX && bytes <= kLimit;
}

// The enum type of `labels` on the narrowest integer that holds their codes.
Id enum_type(const std::vector<std::string>& labels, const std::string& where) {
  const hid_t base = labels.size() <= INT8_MAX ? H5T_NATIVE_INT8 : labels.size() <= INT16_MAX ? H5T_NATIVE_INT16
                                                                                              : H5T_NATIVE_INT32;
  Id t = RSIM_H5(H5Tenum_create(base), where);
  for (std::size_t k = 0; k < labels.size(); ++k) {
    const auto v8 = static_cast<std::int8_t>(k);
    const auto v16 = static_cast<std::int16_t>(k);
    const auto v32 = static_cast<std::int32_t>(k);
    const void* v = base == H5T_NATIVE_INT8 ? static_cast<const void*>(&v8)
                    : base == H5T_NATIVE_INT16 ? static_cast<const void*>(&v16) : static_cast<const void*>(&v32);
    RSIM_H5_CHECK(H5Tenum_insert(t, labels[k].c_str(), v), where);
  }
  return t;
}

template <class T>
void write_codes(const Dataset& d, const std::vector<std::int32_t>& codes) {
  std::vector<T> narrow(codes.begin(), codes.end());
  write_rows(d, 0, narrow.size(), narrow.data());
}

}  // namespace

bool is_factor(const core::FieldMeta& meta) {
  const auto* cls = meta_values(meta, "r_class");
  return cls && std::find(cls->begin(), cls->end(), "factor") != cls->end();
}

std::vector<std::string> levels_of(const core::FieldMeta& meta) {
  const auto* lv = meta_values(meta, "levels");
  return lv ? *lv : std::vector<std::string>{};
}

FactorColumn::FactorColumn(std::vector<std::string> levels, hsize_t n_rows) : codes_(n_rows, -1) {
  for (auto& l : levels)
    if (index_.emplace(l, static_cast<std::int32_t>(labels_.size())).second) labels_.push_back(std::move(l));
  n_levels_ = labels_.size();
}

void FactorColumn::set(hsize_t row, const std::string& label) {
  if (label == core::na_string) {
    codes_[row] = -1;
    return;
  }
  const auto [it, fresh] = index_.emplace(label, static_cast<std::int32_t>(labels_.size()));
  if (fresh) labels_.push_back(label);
  codes_[row] = it->second;
}

Dataset FactorColumn::write(hid_t parent, const std::string& name, const std::string& where) const {
  // final order: the levels, then the labels rows hold beyond them, sorted
  std::vector<bool> used(labels_.size(), false);
  for (const std::int32_t c : codes_)
    if (c >= 0) used[static_cast<std::size_t>(c)] = true;
  std::vector<std::int32_t> order;
  for (std::size_t k = 0; k < labels_.size(); ++k)
    if (k < n_levels_ || used[k]) order.push_back(static_cast<std::int32_t>(k));
  std::sort(order.begin() + static_cast<std::ptrdiff_t>(n_levels_), order.end(),
            [&](std::int32_t a, std::int32_t b) { return labels_[a] < labels_[b]; });
  std::vector<std::string> labels;
  std::vector<std::int32_t> final_code(labels_.size(), -1);
  for (std::size_t k = 0; k < order.size(); ++k) {
    labels.push_back(labels_[order[k]]);
    final_code[order[k]] = static_cast<std::int32_t>(k);
  }
  std::vector<std::int32_t> codes(codes_.size());
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = codes_[i] < 0 ? -1 : final_code[codes_[i]];
  const hsize_t n = codes.size();
  if (!fits_enum(labels)) {  // text, the labels in an attribute
    std::vector<std::string> text(n);
    for (std::size_t i = 0; i < n; ++i) text[i] = codes[i] < 0 ? std::string(core::na_string) : labels[codes[i]];
    const std::string na(core::na_string);
    const char* fill = na.c_str();
    Dataset d = create_dataset(parent, name, string_type(where), n, 1, &fill, where);
    write_strings(d, 0, text.data(), n);
    attr_str(d.id, "na_string", na, where);
    if (!labels.empty()) attr_strings(d.id, "levels", labels, where);
    return d;
  }
  Id type = enum_type(labels, where);
  const std::size_t size = H5Tget_size(type);
  const std::int64_t minus1 = -1;  // all bits set: -1 in any width, the fill value
  Dataset d = create_dataset(parent, name, std::move(type), n, 1, &minus1, where);
  if (size == 1) write_codes<std::int8_t>(d, codes);
  else if (size == 2) write_codes<std::int16_t>(d, codes);
  else write_codes<std::int32_t>(d, codes);
  return d;
}

}  // namespace rsim::io
