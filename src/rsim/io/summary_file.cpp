#include "rsim/io/summary_file.hpp"

#include <numeric>
#include <utility>

#include "rsim/core/error.hpp"
#include "rsim/io/h5_types.hpp"
#include "rsim/io/h5_write.hpp"
#include "rsim/io/result_writers.hpp"

namespace rsim::io {

using h5::Id;

std::uint64_t SummaryTable::tasks() const { return std::accumulate(replicates.begin(), replicates.end(), std::uint64_t{0}); }
std::uint64_t SummaryTable::failed_tasks() const { return std::accumulate(failed.begin(), failed.end(), std::uint64_t{0}); }

namespace {

template <class T>
void column(hid_t group, const char* name, h5::Id type, const std::vector<T>& v, const std::string& where) {
  const Dataset d = create_dataset(group, name, std::move(type), v.size(), 1, nullptr, where + "/" + name);
  if (!v.empty()) write_rows(d, 0, v.size(), v.data());
}

std::vector<std::int64_t> as_i64(const std::vector<std::uint64_t>& v) { return {v.begin(), v.end()}; }

// /summary/fields/<field>/{n, na, mean, var, mcse, min, max}: one row per point.
void write_field(hid_t fields, const SummaryField& f, const std::vector<core::Moments>& m,
                 const std::vector<std::uint64_t>& replicates, const std::string& where) {
  const std::string at = where + "/" + f.name;
  Id g = ordered_group(fields, f.name, at);
  const std::size_t n = m.size();
  std::vector<std::int64_t> count(n), na(n);
  std::vector<double> mean(n), var(n), se(n), lo(n), hi(n);
  for (std::size_t p = 0; p < n; ++p) {
    count[p] = static_cast<std::int64_t>(m[p].n);
    na[p] = static_cast<std::int64_t>(replicates[p] - m[p].n);
    const bool any = m[p].n > 0;
    mean[p] = any ? m[p].mean : core::na_float();
    lo[p] = any ? m[p].min : core::na_float();
    hi[p] = any ? m[p].max : core::na_float();
    var[p] = m[p].n > 1 ? m[p].variance() : core::na_float();
    se[p] = m[p].n > 1 ? m[p].mcse() : core::na_float();
  }
  column(g, "n", value_type(core::ValueType::Int, at), count, at);
  column(g, "na", value_type(core::ValueType::Int, at), na, at);
  for (const auto& [name, v] : {std::pair<const char*, const std::vector<double>*>{"mean", &mean},
                                {"var", &var}, {"mcse", &se}, {"min", &lo}, {"max", &hi}})
    column(g, name, value_type(core::ValueType::Float, at), *v, at);
  write_member_names(g, {"n", "na", "mean", "var", "mcse", "min", "max"}, at);
}

void write_summary(hid_t file, const SummaryTable& t, const std::string& where) {
  const std::string at = where + "/summary";
  Id g = ordered_group(file, "summary", at);
  column(g, "replicates", value_type(core::ValueType::Int, at), as_i64(t.replicates), at);
  column(g, "failed", value_type(core::ValueType::Int, at), as_i64(t.failed), at);
  column(g, "warnings", value_type(core::ValueType::Int, at), as_i64(t.warnings), at);
  column(g, "elapsed", value_type(core::ValueType::Float, at), t.elapsed, at);
  column(g, "reached", logical_type(at), t.reached, at);
  Id fields = ordered_group(g, "fields", at + "/fields");
  std::vector<std::string> names;
  for (std::size_t f = 0; f < t.fields.size(); ++f) {
    write_field(fields, t.fields[f], t.by_field[f], t.replicates, at + "/fields");
    names.push_back(t.fields[f].name);
  }
  write_member_names(fields, names, at + "/fields");
}

}  // namespace

AssemblySummary write_summary_file(const grid::JobSpec& spec, const grid::TaskSpace& space, const SummaryTable& table,
                                   const std::string& output, const Provenance& prov) {
  h5::quiet_errors();
  const std::string tmp = output + ".tmp";
  AssemblySummary sum;
  sum.error = table.failed_tasks();
  sum.ok = table.tasks() - sum.error;
  Id file = create_result_file(tmp);
  write_grid(file, space, output);
  write_summary(file, table, output);
  RecordWriter records;
  for (const auto& e : table.errors) records.error(e);
  records.write(file, output);
  write_attributes(file, spec, space, prov, sum, output);
  attr_str(file, "keep", "summary", output);
  attr_u64(file, "block", space.block_size(), output);
  publish_result_file(std::move(file), tmp, output);
  return sum;
}

}  // namespace rsim::io
