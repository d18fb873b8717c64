#pragma once
// What an earlier run left decides what this run does: the output checks,
// --fresh / --rerun-failed, tasks that crashed their rank, and the tasks
// still to run.  Rank 0 only, before any task runs.
#include <cstdint>
#include <optional>
#include <string>

#include "rsim/core/error.hpp"
#include "rsim/core/identity.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/job/job_run.hpp"

namespace rsim::job {

// Before any task runs: the output must be a writable file path, free of
// control characters, and none of the job's inputs (grid.toml, script,
// plugin, [data] files).  ConfigError or IoError otherwise.
void check_output(const grid::JobSpec& spec);

// What this run does, decided on rank 0 before any task runs.
struct Plan {
  std::optional<core::ExitCode> nothing_to_do;  // set: the job is done (or nothing to rerun); exit with it
  io::TaskRanges committed;                     // tasks earlier runs committed (and that stay)
  std::uint64_t already = 0;                    // how many tasks that is
  std::uint64_t already_failed = 0;             // of which failed (their latest row)
  core::Schema earlier;                         // fields earlier runs committed
  std::optional<io::SegmentIndex> index;        // the checkpoints, read once; handed on to the assembly
  std::string base;                             // an earlier result file of this job whose rows stay, or ""
  io::TaskRanges first_round;                   // a summary job: the blocks its first round runs (plan_summary_run)
};

// With --fresh nothing (move_earlier_run_aside() ran); a result file of another
// job (its stored identity differs from `identity` in a part that refuses,
// job/identity.hpp), or not rsim's, is refused; a finished job is not run again
// (plan.nothing_to_do); a result file of this job that is kept
// (--rerun-failed, tasks missing, an interrupted rerun) becomes plan.base.
void prepare_output(const grid::JobSpec& spec, const core::Identity& identity, const std::string& ckpt,
                    const RunOptions& opt, Plan& plan);

// --fresh, before set-up creates this run's logs: the output, checkpoints,
// logs and status file of earlier runs are moved aside as <name>.old-<time>.
void move_earlier_run_aside(const grid::JobSpec& spec, const std::string& ckpt);

// Before set-up: a finished job (no checkpoints, no --fresh or
// --rerun-failed) whose inputs are unchanged (unchanged_before_set_up) is
// reported finished and its exit code returned; nothing otherwise, and
// plan_run() decides after set-up.
std::optional<core::ExitCode> finished_already(const grid::JobSpec& spec, const std::string& ckpt,
                                               const RunOptions& opt);

// Plans the run from what earlier runs left: prepare_output(), then the
// base file's tasks and the checkpoints (stale temp files removed, repeat
// crashers failed, indexed once).
Plan plan_run(const grid::JobSpec& spec, const core::Identity& identity, const std::string& ckpt,
              const RunOptions& opt);

// A task that was running when its rank died, twice, and is not in `done`
// (with --rerun-failed a failed row does not count), is committed as failed
// (a segment of its own); `index` is refreshed to include it.  Returns the
// tasks it marked.
io::TaskRanges fail_repeat_crashers(const grid::JobSpec& spec, const core::Identity& identity, io::SegmentIndex& index,
                                    const io::TaskRanges& done);

// A schema as text, to broadcast it.
std::string encode_schema(const core::Schema& s);
core::Schema decode_schema(const std::string& text);

}  // namespace rsim::job
