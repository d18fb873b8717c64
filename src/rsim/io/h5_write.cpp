#include "rsim/io/h5_write.hpp"

#include <algorithm>
#include <vector>

#include "rsim/io/h5_types.hpp"

namespace rsim::io {

using h5::Id;

namespace {
constexpr hsize_t kChunkBytes = 256 * 1024;
constexpr int kDeflateLevel = 1;  // bench/RESULTS.md: level 4 saves 2% more for 25% more time

// Values of a fixed size (numbers, enums) are compressed; variable-length
// ones (strings, bytes) are not: HDF5's filters would see only their heap
// references.  Deflate (served by libdeflate) is always there, but checked.
bool compressible(hid_t type, const std::string& where) {
  const H5T_class_t c = H5Tget_class(type);
  RSIM_H5_CHECK(c, where);
  if (c == H5T_VLEN || (c == H5T_STRING && RSIM_H5_CHECK(H5Tis_variable_str(type), where) > 0)) return false;
  return RSIM_H5_CHECK(H5Zfilter_avail(H5Z_FILTER_DEFLATE), where) > 0;
}

void attr(hid_t obj, const char* name, hid_t type, const void* value, const std::string& where) {
  Id space = RSIM_H5(H5Screate(H5S_SCALAR), where);
  Id a = RSIM_H5(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), where);
  RSIM_H5_CHECK(H5Awrite(a, type, value), where);
}

// The original name on a member stored under an encoded one.
void mark_original(hid_t obj, const std::string& name, const std::string& link, const std::string& where) {
  if (link != name) attr_str(obj, "name", name, where);
}
}  // namespace

std::string link_name(const std::string& name) {
  if (name == ".") return "%2E";
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '%') out += "%25";
    else if (c == '/') out += "%2F";
    else out += c;
  }
  return out;
}

Id ordered_group(hid_t parent, const std::string& name, const std::string& where) {
  Id gcpl = RSIM_H5(H5Pcreate(H5P_GROUP_CREATE), where);
  RSIM_H5_CHECK(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where);
  const std::string link = link_name(name);
  Id g = RSIM_H5(H5Gcreate2(parent, link.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), where);
  mark_original(g, name, link, where);
  return g;
}

void attr_strings(hid_t obj, const char* name, const std::vector<std::string>& v, const std::string& where) {
  Id t = string_type(where);
  const hsize_t n = v.size();
  Id space = RSIM_H5(H5Screate_simple(1, &n, nullptr), where);
  Id a = RSIM_H5(H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT), where);
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  RSIM_H5_CHECK(H5Awrite(a, t, ptrs.data()), where);
}

void write_member_names(hid_t group, const std::vector<std::string>& names, const std::string& where) {
  if (names.empty()) return;  // no members: nothing to list (and hdf5r cannot read an empty string array)
  std::vector<std::string> links;
  for (const auto& n : names) links.push_back(link_name(n));
  attr_strings(group, "names", names, where);
  attr_strings(group, "links", links, where);
}

Dataset create_dataset(hid_t parent, const std::string& name, Id type, hsize_t n, hsize_t width,
                       const void* fill, const std::string& where, bool staged) {
  Dataset d;
  d.where = where;
  d.width = width;
  d.type = std::move(type);
  const int rank = width > 1 ? 2 : 1;
  const hsize_t dims[2] = {n, width};
  Id space = RSIM_H5(H5Screate_simple(rank, dims, nullptr), where);
  Id dcpl = RSIM_H5(H5Pcreate(H5P_DATASET_CREATE), where);
  if (n > 0) {
    const std::size_t row_bytes = std::max<std::size_t>(1, H5Tget_size(d.type)) * width;
    const hsize_t rows = std::clamp<hsize_t>(kChunkBytes / row_bytes, 1, n);
    const hsize_t chunk[2] = {rows, width};
    RSIM_H5_CHECK(H5Pset_chunk(dcpl, rank, chunk), where);
    if (compressible(d.type, where)) {
      RSIM_H5_CHECK(H5Pset_shuffle(dcpl), where);
      RSIM_H5_CHECK(H5Pset_deflate(dcpl, kDeflateLevel), where);
      const std::size_t value_bytes = H5Tget_size(d.type);
      if (staged) d.stage = std::make_shared<ChunkStage>(n, rows, value_bytes * width, value_bytes, fill, kDeflateLevel);
    }
  }
  if (fill) RSIM_H5_CHECK(H5Pset_fill_value(dcpl, d.type, fill), where);
  const std::string link = link_name(name);
  d.id = RSIM_H5(H5Dcreate2(parent, link.c_str(), d.type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), where);
  mark_original(d.id, name, link, where);
  return d;
}

namespace {
// Rows straight to HDF5 (its own filters compress them).
void write_through(const Dataset& d, hsize_t offset, hsize_t count, const void* buf) {
  Id fspace = RSIM_H5(H5Dget_space(d.id), d.where);
  const hsize_t start[2] = {offset, 0};
  const hsize_t cnt[2] = {count, d.width};
  RSIM_H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), d.where);
  Id mspace = RSIM_H5(H5Screate_simple(d.width > 1 ? 2 : 1, cnt, nullptr), d.where);
  RSIM_H5_CHECK(H5Dwrite(d.id, d.type, mspace, fspace, H5P_DEFAULT, buf), d.where);
}
}  // namespace

// Writes rows [offset, offset + count) from `buf` (count x width values of the dataset's type).
void write_rows(const Dataset& d, hsize_t offset, hsize_t count, const void* buf) {
  if (count == 0) return;
  if (!d.stage) return write_through(d, offset, count, buf);
  d.stage->write(d.id, offset, count, buf, d.where,
                 [&](hsize_t o, hsize_t c, const void* rows) { write_through(d, o, c, rows); });
}

void flush_rows(const Dataset& d) {
  if (d.stage) d.stage->flush(d.id, d.where);
}

void write_strings(const Dataset& d, hsize_t offset, const std::string* first, std::size_t count) {
  std::vector<const char*> ptrs(count);
  for (std::size_t i = 0; i < count; ++i) ptrs[i] = first[i].c_str();
  write_rows(d, offset, count, ptrs.data());
}

void write_blobs(const Dataset& d, hsize_t offset, const core::Blob* first, std::size_t count) {
  std::vector<hvl_t> vl(count);
  for (std::size_t i = 0; i < count; ++i) {
    vl[i].len = first[i].bytes.size();
    vl[i].p = const_cast<char*>(first[i].bytes.data());  // HDF5 only reads it
  }
  write_rows(d, offset, count, vl.data());
}

void attr_str(hid_t obj, const char* name, const std::string& v, const std::string& where) {
  Id t = string_type(where);
  const char* p = v.c_str();
  attr(obj, name, t, &p, where);
}
void attr_i64(hid_t obj, const char* name, std::int64_t v, const std::string& where) {
  attr(obj, name, H5T_NATIVE_INT64, &v, where);
}
void attr_u64(hid_t obj, const char* name, std::uint64_t v, const std::string& where) {
  attr(obj, name, H5T_NATIVE_UINT64, &v, where);
}

}  // namespace rsim::io
