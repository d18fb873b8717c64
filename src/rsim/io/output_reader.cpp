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

// The i-th member of a group in creation order (as rsim writes groups).
std::string member_name(hid_t g, hsize_t i, const std::string& where) {
  char name[1024];
  const ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof name)
    throw core::IoError("cannot list a group of the result file", where, "was it written by this version of rsim?");
  return name;
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

// The value type of a result dataset, from its HDF5 class.
core::ValueType type_of_dataset(hid_t d, const std::string& where) {
  Id t = RSIM_H5(H5Dget_type(d), where);
  switch (H5Tget_class(t)) {
    case H5T_INTEGER: return core::ValueType::Int;
    case H5T_FLOAT: return core::ValueType::Float;
    case H5T_STRING: return core::ValueType::String;
    case H5T_ENUM: return core::ValueType::Bool;
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
    case core::ValueType::String: std::get<std::vector<std::string>>(col) = read_strings(d, b, n, where); break;
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
  if (has_attr(f, "job_json")) info.job_json = read_str_attr(f, "job_json", path);
  return info;
}

std::uint64_t export_output_to_segments(const std::string& path, const std::string& dir,
                                        const std::string& grid_hash) {
  h5::quiet_errors();
  const std::string& where = path;
  Id f = RSIM_H5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), where);
  Id d_status = RSIM_H5(H5Dopen2(f, "tasks/status", H5P_DEFAULT), where);
  Id d_elapsed = RSIM_H5(H5Dopen2(f, "tasks/elapsed", H5P_DEFAULT), where);
  Id d_rank = RSIM_H5(H5Dopen2(f, "tasks/rank", H5P_DEFAULT), where);
  Id d_attempts = RSIM_H5(H5Dopen2(f, "tasks/attempts", H5P_DEFAULT), where);
  Id d_warn = RSIM_H5(H5Dopen2(f, "tasks/warnings", H5P_DEFAULT), where);
  // (files from before /tasks/max_rss existed have none: -1, unknown)
  Id d_rss = H5Lexists(f, "tasks/max_rss", H5P_DEFAULT) > 0 ? RSIM_H5(H5Dopen2(f, "tasks/max_rss", H5P_DEFAULT), where)
                                                              : Id();
  const hsize_t n_tasks = dims_of(d_status, where).first;

  // The result fields.
  core::Schema schema;
  std::vector<Id> d_fields;
  {
    Id g = RSIM_H5(H5Gopen2(f, "results", H5P_DEFAULT), where);
    H5G_info_t gi;
    RSIM_H5_CHECK(H5Gget_info(g, &gi), where);
    for (hsize_t i = 0; i < gi.nlinks; ++i) {
      const std::string name = member_name(g, i, where);
      d_fields.push_back(RSIM_H5(H5Dopen2(g, name.c_str(), H5P_DEFAULT), where + "/results/" + name));
      schema.push_back({name, type_of_dataset(d_fields.back(), where),
                        static_cast<std::uint32_t>(dims_of(d_fields.back(), where).second)});
    }
  }
  auto errors = read_records(f, "errors", where);
  auto warnings = read_records(f, "warnings", where);

  // Tables, whole.
  std::vector<std::pair<std::string, core::TableBatch>> tables;
  if (H5Lexists(f, "tables", H5P_DEFAULT) > 0) {
    Id g = RSIM_H5(H5Gopen2(f, "tables", H5P_DEFAULT), where);
    H5G_info_t gi;
    RSIM_H5_CHECK(H5Gget_info(g, &gi), where);
    for (hsize_t i = 0; i < gi.nlinks; ++i) {
      char name[1024];
      H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
      Id tg = RSIM_H5(H5Gopen2(g, name, H5P_DEFAULT), where);
      core::TableBatch t;
      Id dt = RSIM_H5(H5Dopen2(tg, "task", H5P_DEFAULT), where);
      const hsize_t rows = dims_of(dt, where).first;
      std::vector<std::int64_t> task(rows);
      read_rows(dt, H5T_NATIVE_INT64, 0, rows, 1, task.data(), where);
      t.task.assign(task.begin(), task.end());
      H5G_info_t ti;
      RSIM_H5_CHECK(H5Gget_info(tg, &ti), where);
      for (hsize_t c = 0; c < ti.nlinks; ++c) {
        const std::string cname = member_name(tg, c, where);
        if (cname == "task") continue;
        Id dc = RSIM_H5(H5Dopen2(tg, cname.c_str(), H5P_DEFAULT), where);
        const core::ValueType vt = type_of_dataset(dc, where);
        t.schema.push_back({cname, vt, 1});
        t.cols.push_back(core::make_column(vt));
        read_column(dc, vt, 1, 0, rows, t.cols.back(), where);
      }
      tables.emplace_back(name, std::move(t));
    }
  }

  // Rows in blocks, regrouped by the rank that ran them.
  std::map<std::int32_t, std::pair<std::unique_ptr<SegmentWriter>, core::ResultBatch>> by_rank;
  auto batch_of = [&](std::int32_t r) -> std::pair<std::unique_ptr<SegmentWriter>, core::ResultBatch>& {
    auto it = by_rank.find(r);
    if (it == by_rank.end()) {
      it = by_rank.emplace(r, std::make_pair(std::make_unique<SegmentWriter>(dir, grid_hash,
                                                                              static_cast<std::uint32_t>(std::max(r, 0)), 0),
                                             core::ResultBatch(schema)))
               .first;
    }
    return it->second;
  };
  std::uint64_t written = 0;
  constexpr hsize_t kBlock = 1 << 16;
  for (hsize_t b = 0; b < n_tasks; b += kBlock) {
    const hsize_t n = std::min(kBlock, n_tasks - b);
    std::vector<std::int8_t> status(n);
    std::vector<double> elapsed(n);
    std::vector<std::int32_t> rank(n), attempts(n), warns(n);
    std::vector<std::int64_t> rss(n);
    {
      Id st = status_type(where);
      read_rows(d_status, st, b, n, 1, status.data(), where);
    }
    read_rows(d_elapsed, H5T_NATIVE_DOUBLE, b, n, 1, elapsed.data(), where);
    read_rows(d_rank, H5T_NATIVE_INT32, b, n, 1, rank.data(), where);
    read_rows(d_attempts, H5T_NATIVE_INT32, b, n, 1, attempts.data(), where);
    read_rows(d_warn, H5T_NATIVE_INT32, b, n, 1, warns.data(), where);
    if (d_rss.get() >= 0) read_rows(d_rss, H5T_NATIVE_INT64, b, n, 1, rss.data(), where);
    else std::fill(rss.begin(), rss.end(), -1);
    std::vector<core::ColumnData> cols;
    for (std::size_t c = 0; c < schema.size(); ++c) {
      cols.push_back(core::make_column(schema[c].type));
      read_column(d_fields[c], schema[c].type, schema[c].width, b, n, cols.back(), where);
    }
    for (hsize_t i = 0; i < n; ++i) {
      if (status[i] == static_cast<std::int8_t>(core::TaskStatus::not_run)) continue;
      const std::uint64_t task = b + i;
      auto& [writer, batch] = batch_of(rank[i]);
      batch.append_meta(task, static_cast<core::TaskStatus>(status[i]), elapsed[i], attempts[i], warns[i], rss[i]);
      auto& bc = batch.mutable_columns();
      for (std::size_t c = 0; c < schema.size(); ++c) {
        const std::size_t w = schema[c].width;
        std::visit(
            [&](auto& dst) {
              using V = std::decay_t<decltype(dst)>;
              const V& src = std::get<V>(cols[c]);
              dst.insert(dst.end(), src.begin() + static_cast<std::ptrdiff_t>(i * w),
                         src.begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
            },
            bc[c]);
      }
      if (auto e = errors.find(task); e != errors.end()) batch.add_error(e->second);
      if (auto w = warnings.find(task); w != warnings.end()) batch.add_warning(w->second);
      for (const auto& [name, t] : tables) {
        auto lo = std::lower_bound(t.task.begin(), t.task.end(), task);
        auto hi = std::upper_bound(lo, t.task.end(), task);
        if (lo == hi) continue;
        core::TableBatch one;
        one.schema = t.schema;
        const auto first = static_cast<std::size_t>(lo - t.task.begin());
        const auto count = static_cast<std::size_t>(hi - lo);
        one.task.assign(lo, hi);
        for (std::size_t c = 0; c < t.cols.size(); ++c) {
          one.cols.push_back(core::make_column(t.schema[c].type));
          std::visit(
              [&](auto& dst) {
                using V = std::decay_t<decltype(dst)>;
                const V& src = std::get<V>(t.cols[c]);
                dst.assign(src.begin() + static_cast<std::ptrdiff_t>(first),
                           src.begin() + static_cast<std::ptrdiff_t>(first + count));
              },
              one.cols.back());
        }
        auto& mine = batch.mutable_tables();
        auto it = std::find_if(mine.begin(), mine.end(), [&](const auto& p) { return p.first == name; });
        if (it == mine.end()) {
          core::TableBatch empty;
          empty.schema = t.schema;
          for (const auto& fld : t.schema) empty.cols.push_back(core::make_column(fld.type));
          mine.emplace_back(name, std::move(empty));
          it = std::prev(mine.end());
        }
        it->second.append(one);
      }
      ++written;
      if (batch.size() >= kBlock) {
        writer->commit(batch);
        batch.clear();
      }
    }
  }
  for (auto& [r, wb] : by_rank) wb.first->commit(wb.second);
  return written;
}

}  // namespace rsim::io
