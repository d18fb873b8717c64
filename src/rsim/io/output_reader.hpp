#pragma once
// Reading an existing result file back: what it is (so a rerun never
// overwrites a foreign file or mixes grids) and its rows as checkpoint
// segments (so --rerun-failed can build on a finished job).
#include <cstdint>
#include <string>

namespace rsim::io {

struct OutputInfo {
  bool exists = false;
  bool is_rsim = false;        // an HDF5 file with rsim's root attributes
  std::int64_t format_version = 0;
  std::string grid_hash;
  std::uint64_t n_tasks = 0, n_ok = 0, n_failed = 0, n_not_run = 0;
  std::string grid_toml;       // the grid.toml text the file was made from
  std::string job_json;        // the job as `rsim inspect` shows it; "" in files before it was stored
};

// Never throws for a file that is not HDF5 or not rsim's: is_rsim says so.
OutputInfo inspect_output(const std::string& path);

// Writes every task of `path` that ran (status other than not_run) as
// checkpoint segments in `dir`, one writer per rank that ran them, named so
// they sort before any segment a later run writes.  Returns the rows written.
std::uint64_t export_output_to_segments(const std::string& path, const std::string& dir, const std::string& grid_hash);

}  // namespace rsim::io
