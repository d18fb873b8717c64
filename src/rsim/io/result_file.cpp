#include "rsim/io/result_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "rsim/core/error.hpp"
#include "rsim/core/field_types.hpp"
#include "rsim/core/version.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/h5.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

namespace {

using h5::Id;

constexpr hsize_t kChunkBytes = 256 * 1024;

// A group that remembers the order its members were created in, so readers
// can list result fields and table columns in the order tasks returned them.
Id ordered_group(hid_t parent, const char* name, const std::string& where) {
  Id gcpl = RSIM_H5(H5Pcreate(H5P_GROUP_CREATE), where);
  RSIM_H5_CHECK(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where);
  return RSIM_H5(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), where);
}

// --- datasets ---------------------------------------------------------------
struct Dataset {
  Id id;
  Id type;
  hsize_t width = 1;
  std::string where;
};

Dataset create_dataset(hid_t parent, const std::string& name, Id type, hsize_t n, hsize_t width,
                       const void* fill, const std::string& where) {
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
  }
  if (fill) RSIM_H5_CHECK(H5Pset_fill_value(dcpl, d.type, fill), where);
  d.id = RSIM_H5(H5Dcreate2(parent, name.c_str(), d.type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), where);
  return d;
}

// Writes rows [offset, offset + count) from `buf` (count x width values of the dataset's type).
void write_rows(const Dataset& d, hsize_t offset, hsize_t count, const void* buf) {
  if (count == 0) return;
  Id fspace = RSIM_H5(H5Dget_space(d.id), d.where);
  const hsize_t start[2] = {offset, 0};
  const hsize_t cnt[2] = {count, d.width};
  RSIM_H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), d.where);
  Id mspace = RSIM_H5(H5Screate_simple(d.width > 1 ? 2 : 1, cnt, nullptr), d.where);
  RSIM_H5_CHECK(H5Dwrite(d.id, d.type, mspace, fspace, H5P_DEFAULT, buf), d.where);
}

void write_strings(const Dataset& d, hsize_t offset, const std::string* first, std::size_t count) {
  std::vector<const char*> ptrs(count);
  for (std::size_t i = 0; i < count; ++i) ptrs[i] = first[i].c_str();
  write_rows(d, offset, count, ptrs.data());
}

// --- attributes -------------------------------------------------------------
void attr(hid_t obj, const char* name, hid_t type, const void* value, const std::string& where) {
  Id space = RSIM_H5(H5Screate(H5S_SCALAR), where);
  Id a = RSIM_H5(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), where);
  RSIM_H5_CHECK(H5Awrite(a, type, value), where);
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

// --- the grid ---------------------------------------------------------------
void write_grid(hid_t file, const grid::TaskSpace& space, const std::string& where) {
  Id g = ordered_group(file, "grid", where);
  const hsize_t n = space.n_points();
  constexpr hsize_t kBlock = 1 << 16;
  for (std::size_t j = 0; j < space.n_params(); ++j) {
    const auto& p = space.param(j);
    Dataset d = create_dataset(g, p.name, value_type(p.type, where), n, 1, nullptr, where + "/grid/" + p.name);
    for (hsize_t b = 0; b < n; b += kBlock) {
      const hsize_t m = std::min(kBlock, n - b);
      switch (p.type) {
        case core::ValueType::Int: {
          std::vector<std::int64_t> v(m);
          for (hsize_t i = 0; i < m; ++i) v[i] = std::get<std::int64_t>(space.value(b + i, j));
          write_rows(d, b, m, v.data());
          break;
        }
        case core::ValueType::Float: {
          std::vector<double> v(m);
          for (hsize_t i = 0; i < m; ++i) v[i] = std::get<double>(space.value(b + i, j));
          write_rows(d, b, m, v.data());
          break;
        }
        case core::ValueType::Bool: {
          std::vector<std::int8_t> v(m);
          for (hsize_t i = 0; i < m; ++i) v[i] = std::get<bool>(space.value(b + i, j)) ? 1 : 0;
          write_rows(d, b, m, v.data());
          break;
        }
        case core::ValueType::String: {
          std::vector<const char*> v(m);
          for (hsize_t i = 0; i < m; ++i) v[i] = std::get<std::string>(space.value(b + i, j)).c_str();
          write_rows(d, b, m, v.data());
          break;
        }
      }
    }
  }
}

// /<group>/task, /<group>/message (and /<group>/calls), one row per task, by task id.
void write_records(hid_t file, const char* group, const std::map<std::uint64_t, core::ErrorRecord>& records,
                   bool with_calls, const std::string& where) {
  Id g = RSIM_H5(H5Gcreate2(file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where);
  const std::string at = where + "/" + group;
  const hsize_t n = records.size();
  std::vector<std::int64_t> t;
  std::vector<std::string> msg, calls;
  for (const auto& [task, e] : records) {
    t.push_back(static_cast<std::int64_t>(task));
    msg.push_back(e.message);
    calls.push_back(e.calls);
  }
  Dataset d_task = create_dataset(g, "task", RSIM_H5(H5Tcopy(H5T_NATIVE_INT64), where), n, 1, nullptr, at + "/task");
  write_rows(d_task, 0, n, t.data());
  Dataset d_msg = create_dataset(g, "message", string_type(where), n, 1, nullptr, at + "/message");
  write_strings(d_msg, 0, msg.data(), n);
  if (with_calls) {
    Dataset d_calls = create_dataset(g, "calls", string_type(where), n, 1, nullptr, at + "/calls");
    write_strings(d_calls, 0, calls.data(), n);
  }
}

// /tables/<name>/task and one dataset per column, rows sorted by task id
// (stable: a task's rows keep their order), so the content does not depend
// on which rank ran which task.
void write_tables(hid_t file, const std::map<std::string, core::TableBatch>& tables, const std::string& where) {
  Id g = RSIM_H5(H5Gcreate2(file, "tables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where);
  for (const auto& [name, t] : tables) {
    const std::string at = where + "/tables/" + name;
    Id tg = ordered_group(g, name.c_str(), at);
    const std::size_t n = t.rows();
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t.task[a] < t.task[b]; });
    std::vector<std::int64_t> task(n);
    for (std::size_t i = 0; i < n; ++i) task[i] = static_cast<std::int64_t>(t.task[order[i]]);
    Dataset d_task = create_dataset(tg, "task", RSIM_H5(H5Tcopy(H5T_NATIVE_INT64), at), n, 1, nullptr, at + "/task");
    write_rows(d_task, 0, n, task.data());
    for (std::size_t c = 0; c < t.schema.size(); ++c) {
      const core::Field& f = t.schema[c];
      Dataset d = create_dataset(tg, f.name, value_type(f.type, at), n, 1, nullptr, at + "/" + f.name);
      std::visit(
          [&](const auto& col) {
            using T = typename std::decay_t<decltype(col)>::value_type;
            std::vector<T> sorted(n);
            for (std::size_t i = 0; i < n; ++i) sorted[i] = col[order[i]];
            if constexpr (std::is_same_v<T, std::string>) write_strings(d, 0, sorted.data(), n);
            else write_rows(d, 0, n, sorted.data());
          },
          t.cols[c]);
    }
  }
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AssemblySummary assemble_results(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                 const std::vector<std::string>& segments, const core::Schema& declared,
                                 const std::string& output, const Provenance& prov) {
  h5::quiet_errors();
  const std::string tmp = output + ".tmp";
  const std::string& where = output;
  const core::Schema schema = merge_schemas(declared, segments);
  const hsize_t n_tasks = space.n_tasks();
  AssemblySummary sum;
  {
    Id file = RSIM_H5(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), tmp);

    write_grid(file, space, where);

    Id tasks = RSIM_H5(H5Gcreate2(file, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where);
    const auto not_run = static_cast<std::int8_t>(core::TaskStatus::not_run);
    const double nan = core::na_float();  // elapsed of a task not run: R's NA
    const std::int32_t minus1 = -1, zero = 0;
    Dataset d_status = create_dataset(tasks, "status", status_type(where), n_tasks, 1, &not_run, where + "/tasks/status");
    Dataset d_elapsed = create_dataset(tasks, "elapsed", RSIM_H5(H5Tcopy(H5T_NATIVE_DOUBLE), where), n_tasks, 1, &nan,
                                       where + "/tasks/elapsed");
    Dataset d_rank = create_dataset(tasks, "rank", RSIM_H5(H5Tcopy(H5T_NATIVE_INT32), where), n_tasks, 1, &minus1,
                                    where + "/tasks/rank");
    Dataset d_attempts = create_dataset(tasks, "attempts", RSIM_H5(H5Tcopy(H5T_NATIVE_INT32), where), n_tasks, 1,
                                        &zero, where + "/tasks/attempts");
    Dataset d_warnings = create_dataset(tasks, "warnings", RSIM_H5(H5Tcopy(H5T_NATIVE_INT32), where), n_tasks, 1,
                                        &zero, where + "/tasks/warnings");
    const std::int64_t unknown = -1;
    Dataset d_rss = create_dataset(tasks, "max_rss", RSIM_H5(H5Tcopy(H5T_NATIVE_INT64), where), n_tasks, 1,
                                   &unknown, where + "/tasks/max_rss");

    Id results = ordered_group(file, "results", where);
    std::vector<Dataset> d_fields;
    for (const auto& f : schema) {
      const double na_f = core::na_float();
      const std::int64_t na_i = core::na_int;
      const std::int8_t na_b = core::na_bool;
      const void* fill = f.type == core::ValueType::Float ? static_cast<const void*>(&na_f)
                         : f.type == core::ValueType::Int ? static_cast<const void*>(&na_i)
                         : f.type == core::ValueType::Bool ? static_cast<const void*>(&na_b)
                                                           : nullptr;
      d_fields.push_back(create_dataset(results, f.name, value_type(f.type, where), n_tasks, f.width, fill,
                                        where + "/results/" + f.name));
    }

    std::map<std::uint64_t, core::ErrorRecord> errors, warnings;  // by task: sorted, last one wins
    std::map<std::string, core::TableBatch> tables;                // rows in segment order
    for (const auto& path : segments) {
      const Segment seg = read_segment(path);
      const core::ResultBatch& b = seg.batch;
      const SegmentHeader& h = seg.header;
      if (h.grid_hash != spec.source_hash)
        throw core::IoError("checkpoint segment was written for a different grid.toml (" + h.grid_hash + ")", path,
                            "move the checkpoint folder aside to start over, or restore the grid.toml it was made from");
      const auto& bs = b.schema();
      // Output field index of each segment column.
      std::vector<std::size_t> out_of(bs.size());
      for (std::size_t c = 0; c < bs.size(); ++c)
        out_of[c] = static_cast<std::size_t>(
            std::find_if(schema.begin(), schema.end(), [&](const core::Field& f) { return f.name == bs[c].name; }) -
            schema.begin());
      const std::size_t n = b.size();
      const std::vector<std::int32_t> ranks(n, static_cast<std::int32_t>(h.rank));
      // Fields whose type here cannot join the file's (another rank's tasks
      // returned a string where these return numbers, say): this segment's
      // tasks fail with a message instead of the whole assembly failing.
      std::string conflict;
      for (std::size_t c = 0; c < bs.size() && conflict.empty(); ++c) {
        const core::Field& want = schema[out_of[c]];
        if (!core::accepts(want, bs[c]))
          conflict = "result field \"" + bs[c].name + "\" is " + core::type_name(bs[c].type) +
                     (bs[c].width > 1 ? "[" + std::to_string(bs[c].width) + "]" : std::string()) +
                     " in these tasks but " + core::type_name(want.type) +
                     (want.width > 1 ? "[" + std::to_string(want.width) + "]" : std::string()) +
                     " in tasks run earlier or on other ranks; return the same type from every task";
      }
      std::vector<core::TaskStatus> status = b.status();
      if (!conflict.empty())
        for (std::size_t r = 0; r < n; ++r)
          if (status[r] == core::TaskStatus::ok) status[r] = core::TaskStatus::error;
      // A later row of a task (a rerun) replaces its earlier error and warnings.
      if (!errors.empty() || !warnings.empty())
        for (const std::uint64_t t : b.tasks()) {
          errors.erase(t);
          warnings.erase(t);
        }
      std::size_t i = 0;
      while (i < n) {  // contiguous runs of task ids: one write per run and dataset
        std::size_t j = i + 1;
        while (j < n && b.tasks()[j] == b.tasks()[j - 1] + 1) ++j;
        const hsize_t off = b.tasks()[i], cnt = j - i;
        if (off + cnt > n_tasks)
          throw core::IoError("checkpoint segment holds task " + std::to_string(off + cnt - 1) +
                                  ", beyond the job's " + std::to_string(n_tasks) + " tasks",
                              path, "move the checkpoint folder aside to start over");
        write_rows(d_status, off, cnt, status.data() + i);
        write_rows(d_elapsed, off, cnt, b.elapsed().data() + i);
        write_rows(d_rank, off, cnt, ranks.data() + i);
        write_rows(d_attempts, off, cnt, b.attempts().data() + i);
        write_rows(d_warnings, off, cnt, b.warnings().data() + i);
        write_rows(d_rss, off, cnt, b.max_rss().data() + i);
        for (std::size_t c = 0; c < bs.size() && conflict.empty(); ++c) {
          const Dataset& d = d_fields[out_of[c]];
          const std::size_t w = bs[c].width;
          const core::ValueType out_type = schema[out_of[c]].type;
          std::visit(
              [&](const auto& col) {
                using T = typename std::decay_t<decltype(col)>::value_type;
                if constexpr (std::is_same_v<T, std::string>) {
                  write_strings(d, off, col.data() + i, cnt);
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                  if (out_type == core::ValueType::Float) {  // widen integers
                    std::vector<double> v(cnt * w);
                    core::widen_ints(col.data() + i * w, v.size(), v.data());
                    write_rows(d, off, cnt, v.data());
                  } else {
                    write_rows(d, off, cnt, col.data() + i * w);
                  }
                } else {
                  write_rows(d, off, cnt, col.data() + i * w);
                }
              },
              b.columns()[c]);
        }
        i = j;
      }
      for (const auto& [name, t] : b.tables()) {
        auto [it, fresh] = tables.try_emplace(name, t);
        if (!fresh && !it->second.append_widening(t)) {
          throw core::IoError("table \"" + name + "\" has different columns in different checkpoints", path,
                              "tasks must return data frames with the same columns and column types");
        }
      }
      for (const auto& e : b.errors()) errors[e.task] = e;
      if (!conflict.empty())
        for (std::size_t r = 0; r < n; ++r)
          if (b.status()[r] == core::TaskStatus::ok) errors[b.tasks()[r]] = {b.tasks()[r], conflict, ""};
      for (const auto& w : b.warning_messages()) warnings[w.task] = w;
    }

    // Count statuses from the file itself, so overlapping segments count once.
    {
      constexpr hsize_t kBlock = 1 << 20;
      std::vector<std::int8_t> buf;
      for (hsize_t b = 0; b < n_tasks; b += kBlock) {
        const hsize_t m = std::min(kBlock, n_tasks - b);
        buf.resize(m);
        Id fspace = RSIM_H5(H5Dget_space(d_status.id), where);
        const hsize_t start[1] = {b}, cnt[1] = {m};
        RSIM_H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), where);
        Id mspace = RSIM_H5(H5Screate_simple(1, cnt, nullptr), where);
        RSIM_H5_CHECK(H5Dread(d_status.id, d_status.type, mspace, fspace, H5P_DEFAULT, buf.data()), where);
        for (std::int8_t s : buf) {
          switch (static_cast<core::TaskStatus>(s)) {
            case core::TaskStatus::ok: ++sum.ok; break;
            case core::TaskStatus::error: ++sum.error; break;
            case core::TaskStatus::timeout: ++sum.timeout; break;
            default: ++sum.not_run; break;
          }
        }
      }
    }

    write_tables(file, tables, where);
    write_records(file, "errors", errors, true, where);
    write_records(file, "warnings", warnings, false, where);

    attr_i64(file, "format_version", core::kFormatVersion, where);
    attr_str(file, "rsim_version", core::kVersion, where);
    attr_str(file, "job_name", spec.name, where);
    attr_str(file, "grid_toml", spec.source_text, where);
    attr_str(file, "grid_hash", spec.source_hash, where);
    attr_str(file, "grid_path", spec.source_path, where);
    attr_u64(file, "seed", spec.seed, where);
    attr_u64(file, "replicates", spec.replicates, where);
    attr_u64(file, "n_points", space.n_points(), where);
    attr_u64(file, "n_tasks", n_tasks, where);
    attr_str(file, "grid_kind", spec.cartesian ? "cartesian" : "points", where);
    {
      std::string names;  // the parameters in grid.toml order (HDF5 lists /grid alphabetically)
      for (const auto& p : space.params()) names += (names.empty() ? "" : ",") + p.name;
      attr_str(file, "grid_params", names, where);
    }
    attr_str(file, "backend", spec.task.backend, where);
    attr_str(file, "task", prov.task_detail, where);
    attr_u64(file, "n_ranks", prov.n_ranks, where);
    attr_str(file, "created", prov.created, where);
    attr_str(file, "finished", prov.finished, where);
    attr_u64(file, "n_ok", sum.ok, where);
    attr_u64(file, "n_failed", sum.failed(), where);
    attr_u64(file, "n_not_run", sum.not_run, where);
    attr_i64(file, "complete", sum.not_run == 0 ? 1 : 0, where);
    for (const auto& [k, v] : prov.extra) attr_str(file, k.c_str(), v, where);
    RSIM_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), tmp);
  }
  fsync_path(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec)
    throw core::IoError("cannot move the finished result file into place: " + ec.message(), output,
                        "check that the path is not a folder and its folder is writable; the results are in " + tmp);
  fsync_path(std::filesystem::path(output).parent_path().string());
  return sum;
}

}  // namespace rsim::io
