#pragma once
// Reading an existing result file back: what it is (so a rerun never
// overwrites a foreign file or mixes grids), which tasks it holds, and its
// rows (so --rerun-failed builds on a finished job without re-encoding it).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rsim/core/result_batch.hpp"
#include "rsim/io/segment_index.hpp"

namespace rsim::io {

struct OutputInfo {
  bool exists = false;
  bool is_rsim = false;        // an HDF5 file with rsim's root attributes
  std::int64_t format_version = 0;
  std::string grid_hash;
  std::uint64_t n_tasks = 0, n_ok = 0, n_failed = 0, n_not_run = 0;
  std::string grid_toml;       // the grid.toml text the file was made from
  std::string grid_path;       // and its path as rsim was given it
  std::string job_json;        // the job as `rsim inspect` shows it; "" in files before it was stored
  std::string identity;        // core::Identity::encode() of the job; "" in files before it was stored
  std::string runs;            // the runs that made it (JSON array); "" in files before it was stored
};

// Never throws for a file that is not HDF5 or not rsim's: is_rsim says so.
OutputInfo inspect_output(const std::string& path);

// The result fields of an rsim result file, in the order tasks returned them.
core::Schema output_schema(const std::string& path);

// The result fields of a result file with what tasks said of them beyond
// their type (element names, R classes; a factor's labels as `levels`),
// one meta per field, and which integer fields it stores in 64 bits.
struct OutputFields {
  core::Schema schema;
  std::vector<core::FieldMeta> meta;
  std::vector<bool> wide;
};
OutputFields output_fields(const std::string& path);

// The tasks of `path` that ran (status other than not_run; with
// `exclude_failed`, those whose status is ok) as merged ranges.
TaskRanges output_tasks(const std::string& path, bool exclude_failed);

// Every row of `path` that ran, in task order, in blocks of up to 65,536
// tasks with their errors, warnings and table rows; `ranks` holds the rank
// that ran each row.  The result file of an earlier run is read this way as
// the base of a rerun (--rerun-failed, or a file with tasks missing).
using RowBlockFn = std::function<void(const core::ResultBatch& rows, const std::vector<std::int32_t>& ranks)>;
void read_output_rows(const std::string& path, const RowBlockFn& fn);

}  // namespace rsim::io
