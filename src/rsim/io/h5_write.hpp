#pragma once
// Writing HDF5 datasets and attributes the way the result file wants them:
// chunked datasets with a fill value, row blocks written in one call,
// groups that remember creation order, scalar attributes.  Every call goes
// through RSIM_H5.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rsim/core/field_types.hpp"
#include "rsim/io/chunk_stage.hpp"
#include "rsim/io/h5.hpp"

namespace rsim::io {

// rsim's one rule for storing a name (a result field, a table, a column)
// as an HDF5 link name (docs/format.md#names): '%' and '/' are
// percent-encoded ("%25", "%2F") and a name "." is "%2E"; every other
// name, non-ASCII and spaces included, is its own link name.  A member
// stored under another name than its own has an attribute `name` with the
// original.  Its group lists its members in creation order in two
// attributes, `names` (as tasks gave them) and `links` (the link names), so
// readers need not list the group (hdf5r 1.3 lists non-ASCII and long
// names wrongly).
std::string link_name(const std::string& name);

// A group that remembers the order its members were created in, so readers
// can list result fields and table columns in the order tasks returned them.
// `name` is stored by link_name().
h5::Id ordered_group(hid_t parent, const std::string& name, const std::string& where);

// The group attributes `names` and `links` (arrays of strings) of members
// called `names`, in creation order; none for a group without members.
void write_member_names(hid_t group, const std::vector<std::string>& names, const std::string& where);

// A 1-D (width 1) or 2-D dataset of n rows, chunked at about 256 KiB,
// numbers and enums shuffled and deflated (docs/format.md#chunking-and-compression);
// `name` is stored by link_name().  A `staged` one gathers its rows into
// whole chunks and compresses them itself (ChunkStage): for the per-task
// columns, written in many blocks; flush_rows() writes what it holds.
struct Dataset {
  h5::Id id;
  h5::Id type;
  hsize_t width = 1;
  std::string where;
  std::shared_ptr<ChunkStage> stage;  // none: rows go straight to HDF5
};
Dataset create_dataset(hid_t parent, const std::string& name, h5::Id type, hsize_t n, hsize_t width,
                       const void* fill, const std::string& where, bool staged = false);
// Writes the rows a staged dataset still holds; nothing for another one.
void flush_rows(const Dataset& d);

// Writes rows [offset, offset + count) from `buf` (count x width values of the dataset's type).
void write_rows(const Dataset& d, hsize_t offset, hsize_t count, const void* buf);
void write_strings(const Dataset& d, hsize_t offset, const std::string* first, std::size_t count);
// Rows of a variable-length byte dataset (bytes_type()); an empty Blob is an empty element.
void write_blobs(const Dataset& d, hsize_t offset, const core::Blob* first, std::size_t count);

void attr_str(hid_t obj, const char* name, const std::string& v, const std::string& where);
// An attribute holding an array of strings (at least one).
void attr_strings(hid_t obj, const char* name, const std::vector<std::string>& v, const std::string& where);
void attr_i64(hid_t obj, const char* name, std::int64_t v, const std::string& where);
void attr_u64(hid_t obj, const char* name, std::uint64_t v, const std::string& where);

}  // namespace rsim::io
