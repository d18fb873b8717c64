#pragma once
// Assembles the job's HDF5 result file from its checkpoint segments.  The
// file is written under a temporary name and renamed into place, so a
// half-written result file never exists.  Layout: docs/format.md.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rsim/core/schema.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::io {

struct Provenance {
  std::string created;   // ISO 8601 UTC
  std::string finished;  // ISO 8601 UTC
  std::uint32_t n_ranks = 1;
  std::string task_detail;  // e.g. "native kernel ttest_power"
  std::vector<std::pair<std::string, std::string>> extra;  // further string attributes
};

struct AssemblySummary {
  std::uint64_t ok = 0, error = 0, timeout = 0, not_run = 0;
  std::uint64_t failed() const { return error + timeout; }
};

class SegmentIndex;

// Writes `output` (via output + ".tmp" and a rename) from the rows of `base`
// (an earlier result file of this job, or "" for none) and then of every
// segment of `index`, each read once, in that order: a later row of a task
// replaces an earlier one.  Returns the task counts.  `declared` is what the
// backend declared; the fields base and segments add join it (integer
// fields widen to float; a conflicting type fails those tasks, not the
// assembly).
AssemblySummary assemble_results(const grid::JobSpec& spec, const grid::TaskSpace& space, const SegmentIndex& index,
                                 const std::string& base, const core::Schema& declared, const std::string& output,
                                 const Provenance& prov);

// True after a close of a result file failed: HDF5 1.10 then crashes when
// it shuts down, so the process must end without shutting it down.
bool hdf5_shutdown_unsafe();

}  // namespace rsim::io
