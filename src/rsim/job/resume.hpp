#pragma once
// What an earlier run left decides what this run does: the output checks,
// --fresh / --rerun-failed, tasks that crashed their rank, and the tasks
// still to run.  Rank 0 only, before any task runs.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>


#include "rsim/core/error.hpp"
#include "rsim/job/job_run.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/io/segment_index.hpp"

namespace rsim::job {

// Before any task runs: the output must be a writable file path.
void check_output(const std::string& output);

// --fresh moves an earlier run's files aside; a result file of another
// grid.toml, or not rsim's, is refused; a finished job is not run again
// (--rerun-failed turns its rows into checkpoints and reruns the failed
// tasks).  Returns the exit code when there is nothing to do.
std::optional<core::ExitCode> prepare_output(const grid::JobSpec& spec, const std::string& ckpt, const RunOptions& opt);

// What this run does, decided on rank 0 before any task runs.
struct Plan {
  std::optional<core::ExitCode> nothing_to_do;  // set: the job is done (or nothing to rerun); exit with it
  io::TaskRanges committed;                     // tasks earlier runs committed (and that stay)
  std::uint64_t already = 0;                    // how many tasks that is
  core::Schema earlier;                         // fields earlier runs committed
  std::optional<io::SegmentIndex> index;        // the checkpoints, read once; handed on to the assembly
};

// Plans the run from what earlier runs left: prepare_output(), then the
// checkpoints (stale temp files removed, repeat crashers failed, indexed).
Plan plan_run(const grid::JobSpec& spec, const std::string& ckpt, const RunOptions& opt);

// A task that was running when its rank died, twice, is committed as failed
// (a segment of its own); `index` is refreshed to include it.
void fail_repeat_crashers(const grid::JobSpec& spec, io::SegmentIndex& index);

// A schema as text, to broadcast it.
std::string encode_schema(const core::Schema& s);
core::Schema decode_schema(const std::string& text);

}  // namespace rsim::job
