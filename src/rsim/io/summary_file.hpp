#pragma once
// The result file of a job that keeps per-point summaries ([output] keep =
// "summary"): /grid, /summary (one row per grid point), /errors and the
// root attributes, written under a temporary name and renamed into place
// like every result file.  Layout: docs/format.md#summary.
#include <cstdint>
#include <string>
#include <vector>

#include "rsim/core/moments.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/block_store.hpp"
#include "rsim/io/result_file.hpp"

namespace rsim::io {

// Per grid point (index = point): what its folded blocks hold.
struct SummaryTable {
  std::vector<SummaryField> fields;  // in the order of the file
  std::vector<std::uint64_t> replicates, failed, warnings;
  std::vector<double> elapsed;
  std::vector<std::int8_t> reached;             // every target met (1), the maximum ran out (0); NA without targets
  std::vector<std::vector<core::Moments>> by_field;  // [field][point]
  std::vector<core::ErrorRecord> errors;        // by task id
  std::uint64_t tasks() const;                  // replicates of every point
  std::uint64_t failed_tasks() const;
};

// Writes `output` from `table`; returns the task counts (not_run is 0).
AssemblySummary write_summary_file(const grid::JobSpec& spec, const grid::TaskSpace& space, const SummaryTable& table,
                                   const std::string& output, const Provenance& prov);

}  // namespace rsim::io
