#include "rsim/io/output_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "rsim/core/error.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/h5.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

namespace {

using h5::Id;

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

// The link name of the i-th member of a group in creation order (as rsim
// writes groups), or by name order.
std::string member_name(hid_t g, hsize_t i, const std::string& where, H5_index_t order = H5_INDEX_CRT_ORDER) {
  const ssize_t n = H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
  if (n < 0)
    throw core::IoError("cannot list a group of the result file", where, "was it written by this version of rsim?");
  std::string name(static_cast<std::size_t>(n) + 1, '\0');
  H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
  name.resize(static_cast<std::size_t>(n));
  return name;
}

std::string read_str_attr(hid_t obj, const char* name, const std::string& where);

// A member's own name: its attribute `name` where link_name() encoded it.
std::string original_name(hid_t obj, const std::string& link, const std::string& where) {
  return has_attr(obj, "name") ? read_str_attr(obj, "name", where) : link;
}

std::string read_str_attr(hid_t obj, const char* name, const std::string& where) {
  Id a = RSIM_H5(H5Aopen(obj, name, H5P_DEFAULT), where);
  Id t = string_type(where);
  char* p = nullptr;
  RSIM_H5_CHECK(H5Aread(a, t, &p), where);
  std::string s = p ? p : "";
  H5free_memory(p);
  return s;
}

template <class T>
T read_num_attr(hid_t obj, const char* name, hid_t memtype, const std::string& where) {
  Id a = RSIM_H5(H5Aopen(obj, name, H5P_DEFAULT), where);
  T v{};
  RSIM_H5_CHECK(H5Aread(a, memtype, &v), where);
  return v;
}

// Dimensions of a dataset: rows and (for 2-D) width.
std::pair<hsize_t, hsize_t> dims_of(hid_t d, const std::string& where) {
  Id sp = RSIM_H5(H5Dget_space(d), where);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(sp, dims, nullptr);
  if (rank < 1 || rank > 2) throw core::IoError("unexpected dataset rank", where, "");
  return {dims[0], rank == 2 ? dims[1] : 1};
}

// Reads rows [b, b + n) (x width) of `d` with memory type `mt` into `out`.
void read_rows(hid_t d, hid_t mt, hsize_t b, hsize_t n, hsize_t width, void* out, const std::string& where) {
  if (n == 0) return;
  Id fs = RSIM_H5(H5Dget_space(d), where);
  const hsize_t start[2] = {b, 0}, cnt[2] = {n, width};
  RSIM_H5_CHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, cnt, nullptr), where);
  Id ms = RSIM_H5(H5Screate_simple(width > 1 ? 2 : 1, cnt, nullptr), where);
  RSIM_H5_CHECK(H5Dread(d, mt, ms, fs, H5P_DEFAULT, out), where);
}

std::vector<std::string> read_strings(hid_t d, hsize_t b, hsize_t n, const std::string& where) {
  Id t = string_type(where);
  std::vector<char*> raw(n, nullptr);
  read_rows(d, t, b, n, 1, raw.data(), where);
  std::vector<std::string> out(n);
  for (hsize_t i = 0; i < n; ++i) {
    if (raw[i]) out[i] = raw[i];
    H5free_memory(raw[i]);
  }
  return out;
}

std::vector<core::Blob> read_blobs(hid_t d, hsize_t b, hsize_t n, const std::string& where) {
  Id t = bytes_type(where);
  std::vector<hvl_t> raw(n, hvl_t{0, nullptr});
  read_rows(d, t, b, n, 1, raw.data(), where);
  std::vector<core::Blob> out(n);
  for (hsize_t i = 0; i < n; ++i) {
    if (raw[i].p) out[i].bytes.assign(static_cast<const char*>(raw[i].p), raw[i].len);
    H5free_memory(raw[i].p);
  }
  return out;
}

// A factor (io/factor.hpp): an enum of labels, with an R class.
bool is_factor_enum(hid_t d, hid_t type) { return H5Tget_class(type) == H5T_ENUM && has_attr(d, "r_class"); }

// The labels of enum type `t`, by code (codes 0, 1, ... as rsim writes them).
std::vector<std::string> enum_labels(hid_t t, const std::string& where) {
  const int n = H5Tget_nmembers(t);
  if (n < 0) throw core::IoError("cannot read the labels of a factor", where, "");
  std::vector<std::string> labels(static_cast<std::size_t>(n));
  Id native = RSIM_H5(H5Tget_native_type(t, H5T_DIR_ASCEND), where);
  for (int k = 0; k < n; ++k) {
    std::int64_t code = 0;  // the value in the base type's width, then sign-extended
    char* name = H5Tget_member_name(t, static_cast<unsigned>(k));
    RSIM_H5_CHECK(H5Tget_member_value(native, static_cast<unsigned>(k), &code), where);
    const std::int64_t v = H5Tget_size(native) == 1 ? static_cast<std::int8_t>(code)
                           : H5Tget_size(native) == 2 ? static_cast<std::int16_t>(code) : static_cast<std::int32_t>(code);
    if (!name || v < 0 || v >= n) throw core::IoError("a factor with codes rsim does not write", where, "");
    labels[static_cast<std::size_t>(v)] = name;
    H5free_memory(name);
  }
  return labels;
}

// Rows [b, b+n) of a factor dataset as their labels (NA: core::na_string).
std::vector<std::string> read_factor(hid_t d, hsize_t b, hsize_t n, const std::string& where) {
  Id ft = RSIM_H5(H5Dget_type(d), where);
  Id mt = RSIM_H5(H5Tget_native_type(ft, H5T_DIR_ASCEND), where);
  const std::vector<std::string> labels = enum_labels(mt, where);
  const std::size_t size = H5Tget_size(mt);
  std::vector<char> raw(n * size);
  read_rows(d, mt, b, n, 1, raw.data(), where);
  std::vector<std::string> out(n, std::string(core::na_string));
  for (hsize_t i = 0; i < n; ++i) {
    std::int64_t code = -1;
    if (size == 1) code = reinterpret_cast<const std::int8_t*>(raw.data())[i];
    else if (size == 2) code = reinterpret_cast<const std::int16_t*>(raw.data())[i];
    else code = reinterpret_cast<const std::int32_t*>(raw.data())[i];
    if (code >= 0 && static_cast<std::size_t>(code) < labels.size()) out[i] = labels[static_cast<std::size_t>(code)];
  }
  return out;
}

// What tasks said of a field beyond its values (core::FieldMeta), from the
// dataset's attributes; a factor's levels from its enum labels.
core::FieldMeta read_meta(hid_t d, const std::string& where) {
  core::FieldMeta meta;
  for (const char* key : {"element_names", "r_class", "tzone", "units", "levels"}) {
    if (!has_attr(d, key)) continue;
    Id a = RSIM_H5(H5Aopen(d, key, H5P_DEFAULT), where);
    Id sp = RSIM_H5(H5Aget_space(a), where);
    const hssize_t n = H5Sget_simple_extent_npoints(sp);
    Id t = string_type(where);
    std::vector<char*> raw(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
    RSIM_H5_CHECK(H5Aread(a, t, raw.data()), where);
    std::vector<std::string> values;
    for (char* p : raw) {
      values.emplace_back(p ? p : "");
      H5free_memory(p);
    }
    meta.emplace_back(key, std::move(values));
  }
  Id t = RSIM_H5(H5Dget_type(d), where);
  if (is_factor_enum(d, t)) meta.emplace_back("levels", enum_labels(t, where));
  return meta;
}

// True for an integer dataset stored in more than 32 bits (core::fits_int32()).
bool wide_int(hid_t d, const std::string& where) {
  Id t = RSIM_H5(H5Dget_type(d), where);
  return H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) > sizeof(std::int32_t);
}

// The value type of a result dataset, from its HDF5 class.
core::ValueType type_of_dataset(hid_t d, const std::string& where) {
  Id t = RSIM_H5(H5Dget_type(d), where);
  switch (H5Tget_class(t)) {
    case H5T_INTEGER: return core::ValueType::Int;
    case H5T_FLOAT: return core::ValueType::Float;
    case H5T_STRING: return core::ValueType::String;
    case H5T_ENUM: return is_factor_enum(d, t) ? core::ValueType::String : core::ValueType::Bool;
    case H5T_VLEN:
      return bytes_type_of(has_attr(d, "encoding") ? read_str_attr(d, "encoding", where) : std::string());
    default: throw core::IoError("a result dataset of an unknown type", where, "");
  }
}

// Appends rows [b, b+n) of dataset d (type t, width w) for the selected rows to `col`.
void read_column(hid_t d, core::ValueType t, hsize_t w, hsize_t b, hsize_t n, core::ColumnData& col,
                 const std::string& where) {
  switch (t) {
    case core::ValueType::Int: {
      auto& v = std::get<std::vector<std::int64_t>>(col);
      v.resize(n * w);
      read_rows(d, H5T_NATIVE_INT64, b, n, w, v.data(), where);
      if (!wide_int(d, where)) core::na_from_int32(v.data(), v.size());
      break;
    }
    case core::ValueType::Float: {
      auto& v = std::get<std::vector<double>>(col);
      v.resize(n * w);
      read_rows(d, H5T_NATIVE_DOUBLE, b, n, w, v.data(), where);
      break;
    }
    case core::ValueType::Bool: {
      auto& v = std::get<std::vector<std::int8_t>>(col);
      v.resize(n * w);
      Id lt = logical_type(where);
      read_rows(d, lt, b, n, w, v.data(), where);
      break;
    }
    case core::ValueType::String: {
      Id ft = RSIM_H5(H5Dget_type(d), where);
      std::get<std::vector<std::string>>(col) =
          H5Tget_class(ft) == H5T_ENUM ? read_factor(d, b, n, where) : read_strings(d, b, n, where);
      break;
    }
    case core::ValueType::Bytes:
    case core::ValueType::RObject: std::get<std::vector<core::Blob>>(col) = read_blobs(d, b, n, where); break;
  }
}

std::map<std::uint64_t, core::ErrorRecord> read_records(hid_t file, const char* group, const std::string& where) {
  std::map<std::uint64_t, core::ErrorRecord> out;
  if (H5Lexists(file, group, H5P_DEFAULT) <= 0) return out;
  Id g = RSIM_H5(H5Gopen2(file, group, H5P_DEFAULT), where);
  Id dt = RSIM_H5(H5Dopen2(g, "task", H5P_DEFAULT), where);
  const hsize_t n = dims_of(dt, where).first;
  std::vector<std::int64_t> task(n);
  read_rows(dt, H5T_NATIVE_INT64, 0, n, 1, task.data(), where);
  Id dm = RSIM_H5(H5Dopen2(g, "message", H5P_DEFAULT), where);
  const auto msg = read_strings(dm, 0, n, where);
  std::vector<std::string> calls(n);
  if (H5Lexists(g, "calls", H5P_DEFAULT) > 0) {
    Id dc = RSIM_H5(H5Dopen2(g, "calls", H5P_DEFAULT), where);
    calls = read_strings(dc, 0, n, where);
  }
  for (hsize_t i = 0; i < n; ++i)
    out[static_cast<std::uint64_t>(task[i])] = {static_cast<std::uint64_t>(task[i]), msg[i], calls[i]};
  return out;
}

}  // namespace

OutputInfo inspect_output(const std::string& path) {
  OutputInfo info;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return info;
  info.exists = true;
  h5::quiet_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) return info;
  const hid_t raw = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (raw < 0) return info;
  Id f(raw);
  if (!has_attr(f, "format_version") || !has_attr(f, "grid_hash") || !has_attr(f, "n_tasks")) return info;
  info.is_rsim = true;
  info.format_version = read_num_attr<std::int64_t>(f, "format_version", H5T_NATIVE_INT64, path);
  info.grid_hash = read_str_attr(f, "grid_hash", path);
  info.n_tasks = read_num_attr<std::uint64_t>(f, "n_tasks", H5T_NATIVE_UINT64, path);
  if (has_attr(f, "n_ok")) info.n_ok = read_num_attr<std::uint64_t>(f, "n_ok", H5T_NATIVE_UINT64, path);
  if (has_attr(f, "n_failed")) info.n_failed = read_num_attr<std::uint64_t>(f, "n_failed", H5T_NATIVE_UINT64, path);
  if (has_attr(f, "n_not_run"))
    info.n_not_run = read_num_attr<std::uint64_t>(f, "n_not_run", H5T_NATIVE_UINT64, path);
  if (has_attr(f, "grid_toml")) info.grid_toml = read_str_attr(f, "grid_toml", path);
  if (has_attr(f, "grid_path")) info.grid_path = read_str_attr(f, "grid_path", path);
  if (has_attr(f, "job_json")) info.job_json = read_str_attr(f, "job_json", path);
  if (has_attr(f, "identity")) info.identity = read_str_attr(f, "identity", path);
  if (has_attr(f, "runs")) info.runs = read_str_attr(f, "runs", path);
  return info;
}

namespace {

// An open result file with its per-task and field datasets.
struct OpenOutput {
  std::string where;
  Id f, status, elapsed, rank, attempts, warnings, rss;  // rss absent (-1) in files before /tasks/max_rss
  hsize_t n_tasks = 0;
  core::Schema schema;
  std::vector<core::FieldMeta> meta;  // per field
  std::vector<bool> wide;             // per field: an integer field stored in 64 bits
  std::vector<Id> fields;

  explicit OpenOutput(const std::string& path) : where(path) {
    h5::quiet_errors();
    f = RSIM_H5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), where);
    status = RSIM_H5(H5Dopen2(f, "tasks/status", H5P_DEFAULT), where);
    n_tasks = dims_of(status, where).first;
    Id g = RSIM_H5(H5Gopen2(f, "results", H5P_DEFAULT), where);
    H5G_info_t gi;
    RSIM_H5_CHECK(H5Gget_info(g, &gi), where);
    for (hsize_t i = 0; i < gi.nlinks; ++i) {
      const std::string link = member_name(g, i, where);
      fields.push_back(RSIM_H5(H5Dopen2(g, link.c_str(), H5P_DEFAULT), where + "/results/" + link));
      schema.push_back({original_name(fields.back(), link, where), type_of_dataset(fields.back(), where),
                        static_cast<std::uint32_t>(dims_of(fields.back(), where).second)});
      meta.push_back(read_meta(fields.back(), where));
      wide.push_back(wide_int(fields.back(), where));
    }
  }
  void open_meta() {
    elapsed = RSIM_H5(H5Dopen2(f, "tasks/elapsed", H5P_DEFAULT), where);
    rank = RSIM_H5(H5Dopen2(f, "tasks/rank", H5P_DEFAULT), where);
    attempts = RSIM_H5(H5Dopen2(f, "tasks/attempts", H5P_DEFAULT), where);
    warnings = RSIM_H5(H5Dopen2(f, "tasks/warnings", H5P_DEFAULT), where);
    if (H5Lexists(f, "tasks/max_rss", H5P_DEFAULT) > 0) rss = RSIM_H5(H5Dopen2(f, "tasks/max_rss", H5P_DEFAULT), where);
  }
  std::vector<std::int8_t> statuses(hsize_t b, hsize_t n) const {
    std::vector<std::int8_t> out(n);
    Id st = status_type(where);
    read_rows(status, st, b, n, 1, out.data(), where);
    return out;
  }
};

// Every table of the file, whole, rows sorted by task (as rsim writes them).
std::vector<std::pair<std::string, core::TableBatch>> read_tables(hid_t f, const std::string& where) {
  std::vector<std::pair<std::string, core::TableBatch>> tables;
  if (H5Lexists(f, "tables", H5P_DEFAULT) <= 0) return tables;
  Id g = RSIM_H5(H5Gopen2(f, "tables", H5P_DEFAULT), where);
  H5G_info_t gi;
  RSIM_H5_CHECK(H5Gget_info(g, &gi), where);
  for (hsize_t i = 0; i < gi.nlinks; ++i) {
    const std::string link = member_name(g, i, where, H5_INDEX_NAME);
    Id tg = RSIM_H5(H5Gopen2(g, link.c_str(), H5P_DEFAULT), where);
    core::TableBatch t;
    Id dt = RSIM_H5(H5Dopen2(tg, "task", H5P_DEFAULT), where);
    const hsize_t rows = dims_of(dt, where).first;
    std::vector<std::int64_t> task(rows);
    read_rows(dt, H5T_NATIVE_INT64, 0, rows, 1, task.data(), where);
    t.task.assign(task.begin(), task.end());
    H5G_info_t ti;
    RSIM_H5_CHECK(H5Gget_info(tg, &ti), where);
    for (hsize_t c = 0; c < ti.nlinks; ++c) {
      const std::string clink = member_name(tg, c, where);
      if (clink == "task") continue;
      Id dc = RSIM_H5(H5Dopen2(tg, clink.c_str(), H5P_DEFAULT), where);
      const core::ValueType vt = type_of_dataset(dc, where);
      t.schema.push_back({original_name(dc, clink, where), vt, 1});
      t.meta.push_back(read_meta(dc, where));
      t.cols.push_back(core::make_column(vt));
      read_column(dc, vt, 1, 0, rows, t.cols.back(), where);
    }
    if (!t.task.empty()) t.meta_task = t.task.front();  // rows sorted by task: the lowest
    tables.emplace_back(original_name(tg, link, where), std::move(t));
  }
  return tables;
}

// Copies elements [from, to) of each column of `src` onto the end of `dst`'s.
void append_slices(std::vector<core::ColumnData>& dst, const std::vector<core::ColumnData>& src, std::size_t from,
                   std::size_t to) {
  for (std::size_t c = 0; c < src.size(); ++c)
    std::visit(
        [&](auto& d) {
          using V = std::decay_t<decltype(d)>;
          const V& s = std::get<V>(src[c]);
          d.insert(d.end(), s.begin() + static_cast<std::ptrdiff_t>(from), s.begin() + static_cast<std::ptrdiff_t>(to));
        },
        dst[c]);
}

// Rows `rows` (of width w) of a column, in that order.
core::ColumnData select_rows(const core::ColumnData& src, const std::vector<std::size_t>& rows, std::size_t w) {
  return std::visit(
      [&](const auto& s) -> core::ColumnData {
        std::decay_t<decltype(s)> out;
        out.reserve(rows.size() * w);
        for (const std::size_t r : rows)
          out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(r * w),
                     s.begin() + static_cast<std::ptrdiff_t>((r + 1) * w));
        return out;
      },
      src);
}

// The rows of tasks [b, e) of every table, as the batch's tables.
void add_table_rows(core::ResultBatch& batch, const std::vector<std::pair<std::string, core::TableBatch>>& tables,
                    std::uint64_t b, std::uint64_t e) {
  for (const auto& [name, t] : tables) {
    const auto lo = std::lower_bound(t.task.begin(), t.task.end(), b);
    const auto hi = std::lower_bound(lo, t.task.end(), e);
    if (lo == hi) continue;
    core::TableBatch part;
    part.schema = t.schema;
    part.meta = t.meta;
    part.meta_task = t.meta_task;
    for (const auto& fld : t.schema) part.cols.push_back(core::make_column(fld.type));
    part.task.assign(lo, hi);
    append_slices(part.cols, t.cols, static_cast<std::size_t>(lo - t.task.begin()),
                  static_cast<std::size_t>(hi - t.task.begin()));
    batch.mutable_tables().emplace_back(name, std::move(part));
  }
}

}  // namespace

core::Schema output_schema(const std::string& path) { return OpenOutput(path).schema; }

OutputFields output_fields(const std::string& path) {
  OpenOutput out(path);
  return {std::move(out.schema), std::move(out.meta), std::move(out.wide)};
}

TaskRanges output_tasks(const std::string& path, bool exclude_failed) {
  const OpenOutput out(path);
  TaskRanges ranges;
  constexpr hsize_t kBlock = 1 << 20;
  for (hsize_t b = 0; b < out.n_tasks; b += kBlock) {
    const hsize_t n = std::min(kBlock, out.n_tasks - b);
    const std::vector<std::int8_t> st = out.statuses(b, n);
    for (hsize_t i = 0; i < n; ++i) {
      const auto s = static_cast<core::TaskStatus>(st[i]);
      const bool keep = exclude_failed ? s == core::TaskStatus::ok : s != core::TaskStatus::not_run;
      if (!keep) continue;
      if (!ranges.empty() && ranges.back().second == b + i) ++ranges.back().second;
      else ranges.emplace_back(b + i, b + i + 1);
    }
  }
  return ranges;
}

void read_output_rows(const std::string& path, const RowBlockFn& fn) {
  OpenOutput out(path);
  out.open_meta();
  const std::string& where = out.where;
  const auto errors = read_records(out.f, "errors", where);
  const auto warnings = read_records(out.f, "warnings", where);
  const auto tables = read_tables(out.f, where);
  constexpr hsize_t kBlock = 1 << 16;
  core::ResultBatch batch(out.schema);
  std::vector<std::int32_t> ranks;
  for (hsize_t b = 0; b < out.n_tasks; b += kBlock) {
    const hsize_t n = std::min(kBlock, out.n_tasks - b);
    const std::vector<std::int8_t> status = out.statuses(b, n);
    std::vector<double> elapsed(n);
    std::vector<std::int32_t> rank(n), attempts(n), warns(n);
    std::vector<std::int64_t> rss(n, -1);
    read_rows(out.elapsed, H5T_NATIVE_DOUBLE, b, n, 1, elapsed.data(), where);
    read_rows(out.rank, H5T_NATIVE_INT32, b, n, 1, rank.data(), where);
    read_rows(out.attempts, H5T_NATIVE_INT32, b, n, 1, attempts.data(), where);
    read_rows(out.warnings, H5T_NATIVE_INT32, b, n, 1, warns.data(), where);
    if (out.rss.get() >= 0) read_rows(out.rss, H5T_NATIVE_INT64, b, n, 1, rss.data(), where);
    std::vector<core::ColumnData> cols;
    for (std::size_t c = 0; c < out.schema.size(); ++c) {
      cols.push_back(core::make_column(out.schema[c].type));
      read_column(out.fields[c], out.schema[c].type, out.schema[c].width, b, n, cols.back(), where);
    }
    batch.clear();
    batch.mutable_tables().clear();
    ranks.clear();
    std::vector<std::size_t> ran;  // the rows of tasks that ran
    for (hsize_t i = 0; i < n; ++i)
      if (status[i] != static_cast<std::int8_t>(core::TaskStatus::not_run)) ran.push_back(i);
    for (const std::size_t i : ran) {
      const std::uint64_t task = b + i;
      batch.append_meta(task, static_cast<core::TaskStatus>(status[i]), elapsed[i], attempts[i], warns[i], rss[i]);
      ranks.push_back(rank[i]);
      if (auto e = errors.find(task); e != errors.end()) batch.add_error(e->second);
      if (auto w = warnings.find(task); w != warnings.end()) batch.add_warning(w->second);
    }
    for (std::size_t c = 0; c < out.schema.size(); ++c)
      batch.mutable_columns()[c] = select_rows(cols[c], ran, out.schema[c].width);
    add_table_rows(batch, tables, b, b + n);
    if (!batch.empty()) fn(batch, ranks);
  }
}

}  // namespace rsim::io
