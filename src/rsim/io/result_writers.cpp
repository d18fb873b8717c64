#include "rsim/io/result_writers.hpp"

#include <algorithm>
#include <limits>

#include "rsim/core/error.hpp"
#include "rsim/core/field_types.hpp"
#include "rsim/core/version.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

using h5::Id;

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
        default: throw std::logic_error("write_grid: a parameter of a byte type");
      }
    }
  }
}

namespace {
// /<group>/task, /<group>/message (and /<group>/calls), one row per task, by task id.
void write_record_group(hid_t file, const char* group, const std::map<std::uint64_t, core::ErrorRecord>& records,
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

}  // namespace

// --- /tasks ------------------------------------------------------------------
TaskWriter::TaskWriter(hid_t file, hsize_t n_tasks, const std::string& where)
    : n_(n_tasks), where_(where), group_(RSIM_H5(H5Gcreate2(file, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where)) {
  const auto not_run = static_cast<std::int8_t>(core::TaskStatus::not_run);
  const float nan = std::numeric_limits<float>::quiet_NaN();  // elapsed of a task not run (R reads NA)
  const std::int32_t minus1 = -1, zero = 0;
  const std::int64_t unknown = -1;
  auto type = [&](hid_t t) { return RSIM_H5(H5Tcopy(t), where); };
  status_ = create_dataset(group_, "status", status_type(where), n_, 1, &not_run, where + "/tasks/status", true);
  elapsed_ = create_dataset(group_, "elapsed", type(H5T_NATIVE_FLOAT), n_, 1, &nan, where + "/tasks/elapsed", true);
  rank_ = create_dataset(group_, "rank", type(H5T_NATIVE_INT32), n_, 1, &minus1, where + "/tasks/rank", true);
  attempts_ = create_dataset(group_, "attempts", type(H5T_NATIVE_INT32), n_, 1, &zero, where + "/tasks/attempts", true);
  warnings_ = create_dataset(group_, "warnings", type(H5T_NATIVE_INT32), n_, 1, &zero, where + "/tasks/warnings", true);
  rss_ = create_dataset(group_, "max_rss", type(H5T_NATIVE_INT64), n_, 1, &unknown, where + "/tasks/max_rss", true);
}

void TaskWriter::write(const core::ResultBatch& b, const std::vector<core::TaskStatus>& status,
                       const std::vector<std::int32_t>& ranks, std::size_t i, hsize_t off, hsize_t cnt) {
  write_rows(status_, off, cnt, status.data() + i);
  elapsed32_.assign(b.elapsed().begin() + static_cast<std::ptrdiff_t>(i),
                    b.elapsed().begin() + static_cast<std::ptrdiff_t>(i + cnt));
  write_rows(elapsed_, off, cnt, elapsed32_.data());
  write_rows(rank_, off, cnt, ranks.data() + i);
  write_rows(attempts_, off, cnt, b.attempts().data() + i);
  write_rows(warnings_, off, cnt, b.warnings().data() + i);
  write_rows(rss_, off, cnt, b.max_rss().data() + i);
}

void TaskWriter::finish() {
  for (const Dataset* d : {&status_, &elapsed_, &rank_, &attempts_, &warnings_, &rss_}) flush_rows(*d);
}

AssemblySummary TaskWriter::count() const {
  AssemblySummary sum;
  constexpr hsize_t kBlock = 1 << 20;
  std::vector<std::int8_t> buf;
  for (hsize_t b = 0; b < n_; b += kBlock) {
    const hsize_t m = std::min(kBlock, n_ - b);
    buf.resize(m);
    Id fspace = RSIM_H5(H5Dget_space(status_.id), where_);
    const hsize_t start[1] = {b}, cnt[1] = {m};
    RSIM_H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), where_);
    Id mspace = RSIM_H5(H5Screate_simple(1, cnt, nullptr), where_);
    RSIM_H5_CHECK(H5Dread(status_.id, status_.type, mspace, fspace, H5P_DEFAULT, buf.data()), where_);
    for (const std::int8_t s : buf) {
      switch (static_cast<core::TaskStatus>(s)) {
        case core::TaskStatus::ok: ++sum.ok; break;
        case core::TaskStatus::error: ++sum.error; break;
        case core::TaskStatus::timeout: ++sum.timeout; break;
        default: ++sum.not_run; break;
      }
    }
  }
  return sum;
}

// --- /results ----------------------------------------------------------------
namespace {
// What tasks said of a field or column beyond its values, as attributes
// (docs/format.md#classes); a factor's levels are its enum's labels.
void write_meta(hid_t d, const core::FieldMeta& meta, std::uint32_t width, const std::string& where) {
  const bool factor = is_factor(meta);
  for (const auto& [name, values] : meta) {
    const bool names_fit = name != "element_names" || (width > 1 && values.size() == width);
    if (!values.empty() && names_fit && !(factor && name == "levels"))
      attr_strings(d, name.c_str(), values, where);
  }
}

std::string shown(const core::Field& f) {
  return std::string(core::type_name(f.type)) + (f.width > 1 ? "[" + std::to_string(f.width) + "]" : std::string());
}
}  // namespace

FieldWriter::FieldWriter(hid_t file, FieldPlan plan, hsize_t n_tasks, const std::string& where)
    : where_(where),
      schema_(std::move(plan.schema)),
      origins_(std::move(plan.origins)),
      kept_(std::move(plan.kept)),
      group_(ordered_group(file, "results", where)) {
  const double na_f = core::na_float();
  const std::int64_t na_i = core::na_int;
  const std::int8_t na_b = core::na_bool;
  const std::string na_text(core::na_string);
  const char* na_s = na_text.c_str();
  for (std::size_t i = 0; i < schema_.size(); ++i) {
    const core::Field& f = schema_[i];
    index_.emplace(f.name, index_.size());
    if (f.type == core::ValueType::String && f.width == 1 && is_factor(origins_[i].meta)) {
      factors_.emplace(i, FactorColumn(levels_of(origins_[i].meta), n_tasks));
      datasets_.emplace_back();  // created by finish(), once every label is known
      continue;
    }
    const void* fill = f.type == core::ValueType::Float    ? static_cast<const void*>(&na_f)
                       : narrow(i)                         ? static_cast<const void*>(&core::na_int32)
                       : f.type == core::ValueType::Int    ? static_cast<const void*>(&na_i)
                       : f.type == core::ValueType::Bool   ? static_cast<const void*>(&na_b)
                       : f.type == core::ValueType::String ? static_cast<const void*>(&na_s)
                                                           : nullptr;
    datasets_.push_back(create_dataset(group_, f.name, narrow(i) ? int32_type(where) : value_type(f.type, where),
                                       n_tasks, f.width, fill, where + "/results/" + f.name, true));
    if (core::is_bytes(f.type)) attr_str(datasets_.back().id, "encoding", encoding_of(f.type), where);
    if (f.type == core::ValueType::String) attr_str(datasets_.back().id, "na_string", na_text, where);
    write_meta(datasets_.back().id, origins_[i].meta, f.width, where);
  }
  std::vector<std::string> names;
  for (const auto& f : schema_) names.push_back(f.name);
  write_member_names(group_, names, where + "/results");
}

bool FieldWriter::narrow(std::size_t f) const { return schema_[f].type == core::ValueType::Int && !origins_[f].wide; }

// What fixed the type of file field `f`, for messages.
std::string FieldWriter::decided_by(std::size_t f) const {
  if (kept_[f]) return " in the fields the kernel declared or an earlier run committed";
  const core::FieldOrigin& o = origins_[f];
  const std::uint64_t task = o.first_value != core::FieldOrigin::none ? o.first_value : o.first_task;
  return " in task " + std::to_string(task) + ", which decides its type (the lowest task with a value)";
}

std::vector<FieldWriter::Conflict> FieldWriter::use(const core::Schema& bs) {
  std::vector<Conflict> conflicts;
  out_of_.resize(bs.size());
  skip_.assign(bs.size(), false);
  for (std::size_t c = 0; c < bs.size(); ++c) {
    const auto found = index_.find(bs[c].name);  // a map: 10,000 fields cost no quadratic search
    if (found == index_.end())
      throw std::logic_error("FieldWriter: field " + bs[c].name + " is not in the file's schema");
    out_of_[c] = found->second;
    const core::Field& file_field = schema_[found->second];
    if (core::accepts(file_field, bs[c])) continue;
    skip_[c] = true;
    conflicts.push_back({c, "result field \"" + bs[c].name + "\" is " + shown(bs[c]) + " here but " +
                                shown(file_field) + decided_by(found->second) +
                                "; return the same type from every task (integers and doubles mix)"});
  }
  return conflicts;
}

void FieldWriter::write(const core::ResultBatch& b, std::size_t i, hsize_t off, hsize_t cnt) {
  const core::Schema& bs = b.schema();
  for (std::size_t c = 0; c < bs.size(); ++c) {
    if (skip_[c]) continue;
    if (const auto fc = factors_.find(out_of_[c]); fc != factors_.end()) {
      const auto& labels = std::get<std::vector<std::string>>(b.columns()[c]);
      for (hsize_t k = 0; k < cnt; ++k) fc->second.set(off + k, labels[i + k]);
      continue;
    }
    const Dataset& d = datasets_[out_of_[c]];
    const std::size_t w = bs[c].width;
    const core::ValueType out_type = schema_[out_of_[c]].type;
    std::visit(
        [&](const auto& col) {
          using T = typename std::decay_t<decltype(col)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            write_strings(d, off, col.data() + i, cnt);
          } else if constexpr (std::is_same_v<T, core::Blob>) {
            write_blobs(d, off, col.data() + i, cnt);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (out_type == core::ValueType::Float) {  // widen integers
              std::vector<double> v(cnt * w);
              core::widen_ints(col.data() + i * w, v.size(), v.data());
              write_rows(d, off, cnt, v.data());
            } else if (narrow(out_of_[c])) {
              std::vector<std::int32_t> v(cnt * w);
              core::narrow_ints(col.data() + i * w, v.size(), v.data());
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
}

void FieldWriter::finish() {
  for (const Dataset& d : datasets_) flush_rows(d);
  for (const auto& [i, column] : factors_) {
    datasets_[i] = column.write(group_, schema_[i].name, where_ + "/results/" + schema_[i].name);
    write_meta(datasets_[i].id, origins_[i].meta, 1, where_);
  }
}

// --- /tables -----------------------------------------------------------------
void TableWriter::forget(const std::vector<std::uint64_t>& tasks) {
  ++source_;
  if (latest_.empty()) return;
  for (const std::uint64_t t : tasks)
    if (auto it = latest_.find(t); it != latest_.end()) it->second = source_;
}

void TableWriter::add(const std::string& name, const core::TableBatch& t, const std::string& source) {
  auto [it, fresh] = tables_.try_emplace(name, t);
  if (!fresh && !it->second.append_widening(t))
    throw core::IoError("table \"" + name + "\" has different columns in different checkpoints", source,
                        "tasks must return data frames with the same columns and column types");
  auto& seq = source_of_row_[name];
  seq.insert(seq.end(), t.rows(), source_);
  for (const std::uint64_t task : t.task) latest_[task] = source_;
}

// The rows of `name` that the latest row of their task wrote, sorted by
// task id (stable: a task's rows keep their order).
std::vector<std::size_t> TableWriter::rows_to_write(const std::string& name, const core::TableBatch& t) const {
  const auto& seq = source_of_row_.at(name);
  std::vector<std::size_t> order;
  order.reserve(t.rows());
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (latest_.at(t.task[i]) == seq[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t.task[a] < t.task[b]; });
  return order;
}

// /tables/<name>/task and one dataset per column, rows sorted by task id,
// so the content does not depend on which rank ran which task.
void TableWriter::write(hid_t file, const std::string& where) const {
  Id g = RSIM_H5(H5Gcreate2(file, "tables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where);
  std::vector<std::string> table_names;
  for (const auto& [name, t] : tables_) table_names.push_back(name);
  write_member_names(g, table_names, where + "/tables");
  for (const auto& [name, t] : tables_) {
    const std::string at = where + "/tables/" + name;
    Id tg = ordered_group(g, name, at);
    std::vector<std::string> columns = {"task"};
    for (const auto& f : t.schema) columns.push_back(f.name);
    write_member_names(tg, columns, at);
    const std::vector<std::size_t> order = rows_to_write(name, t);
    const std::size_t n = order.size();
    std::vector<std::int64_t> task(n);
    for (std::size_t i = 0; i < n; ++i) task[i] = static_cast<std::int64_t>(t.task[order[i]]);
    Dataset d_task = create_dataset(tg, "task", RSIM_H5(H5Tcopy(H5T_NATIVE_INT64), at), n, 1, nullptr, at + "/task");
    write_rows(d_task, 0, n, task.data());
    for (std::size_t c = 0; c < t.schema.size(); ++c) {
      const core::Field& f = t.schema[c];
      static const core::FieldMeta kNone;
      const core::FieldMeta& meta = c < t.meta.size() ? t.meta[c] : kNone;
      if (f.type == core::ValueType::String && is_factor(meta)) {
        const auto& labels = std::get<std::vector<std::string>>(t.cols[c]);
        FactorColumn column(levels_of(meta), n);
        for (std::size_t i = 0; i < n; ++i) column.set(i, labels[order[i]]);
        write_meta(column.write(tg, f.name, at + "/" + f.name).id, meta, 1, at);
        continue;
      }
      const auto* ints = std::get_if<std::vector<std::int64_t>>(&t.cols[c]);
      const bool narrow = ints && core::fits_int32(ints->data(), ints->size());
      Dataset d = create_dataset(tg, f.name, narrow ? int32_type(at) : value_type(f.type, at), n, 1, nullptr,
                                 at + "/" + f.name);
      write_meta(d.id, meta, 1, at);
      if (f.type == core::ValueType::String) attr_str(d.id, "na_string", std::string(core::na_string), at);
      std::visit(
          [&](const auto& col) {
            using T = typename std::decay_t<decltype(col)>::value_type;
            std::vector<T> sorted(n);
            for (std::size_t i = 0; i < n; ++i) sorted[i] = col[order[i]];
            if constexpr (std::is_same_v<T, std::string>) {
              write_strings(d, 0, sorted.data(), n);
            } else if constexpr (std::is_same_v<T, core::Blob>) {
              write_blobs(d, 0, sorted.data(), n);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              std::vector<std::int32_t> small(narrow ? n : 0);
              if (narrow) core::narrow_ints(sorted.data(), n, small.data());
              write_rows(d, 0, n, narrow ? static_cast<const void*>(small.data()) : sorted.data());
            } else {
              write_rows(d, 0, n, sorted.data());
            }
          },
          t.cols[c]);
    }
  }
}

// --- /errors, /warnings ---------------------------------------------------------
void RecordWriter::forget(const std::vector<std::uint64_t>& tasks) {
  if (errors_.empty() && warnings_.empty()) return;
  for (const std::uint64_t t : tasks) {
    errors_.erase(t);
    warnings_.erase(t);
  }
}

void RecordWriter::write(hid_t file, const std::string& where) const {
  write_record_group(file, "errors", errors_, true, where);
  write_record_group(file, "warnings", warnings_, false, where);
}

// --- root attributes -----------------------------------------------------------
void write_attributes(hid_t file, const grid::JobSpec& spec, const grid::TaskSpace& space, const Provenance& prov,
                      const AssemblySummary& sum, const std::string& where) {
  std::string params;  // the parameters in grid.toml order (HDF5 lists /grid alphabetically)
  for (const auto& p : space.params()) params += (params.empty() ? "" : ",") + p.name;
  const std::pair<const char*, std::string> strings[] = {
      {"rsim_version", core::kVersion},     {"job_name", spec.name},
      {"grid_toml", spec.source_text},      {"grid_hash", spec.source_hash},
      {"grid_path", spec.source_path},      {"grid_kind", spec.cartesian ? "cartesian" : "points"},
      {"grid_params", params},              {"backend", spec.task.backend},
      {"task", prov.task_detail},           {"created", prov.created},
      {"finished", prov.finished}};
  const std::pair<const char*, std::uint64_t> counts[] = {
      {"seed", spec.seed},         {"replicates", spec.replicates}, {"n_points", space.n_points()},
      {"n_tasks", space.n_tasks()}, {"n_ranks", prov.n_ranks},        {"n_ok", sum.ok},
      {"n_failed", sum.failed()},  {"n_not_run", sum.not_run}};
  attr_i64(file, "format_version", core::kFormatVersion, where);
  for (const auto& [name, v] : strings) attr_str(file, name, v, where);
  for (const auto& [name, v] : counts) attr_u64(file, name, v, where);
  attr_i64(file, "complete", sum.not_run == 0 ? 1 : 0, where);
  for (const auto& [k, v] : prov.extra) attr_str(file, k.c_str(), v, where);
}

}  // namespace rsim::io
