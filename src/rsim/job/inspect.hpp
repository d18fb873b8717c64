#pragma once
// The machine-readable view of a job: what the binary makes of a grid.toml
// (settings, grid, counts, paths, reserved names, seed rules) and, for one
// task, its point, replicate, parameters and R seed.  The R package asks
// this instead of parsing grid.toml itself; the result file stores the same
// view in its `job_json` attribute.  Format: docs/cli.md (rsim inspect).
#include <cstdint>
#include <string>

#include "rsim/core/error.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::job {

// Version of the JSON below; bumped when a key changes meaning or goes.
constexpr int kInspectFormat = 1;

// Throws core::UsageError unless `task` is a task id of the job.
void check_task_id(const grid::TaskSpace& space, std::uint64_t task);

// The job as one JSON object (text).
std::string job_json(const grid::JobSpec& spec, const grid::TaskSpace& space);

// Task `task` of the job as a JSON object: task, point, replicate, params
// and, where the R backend can run the seed, r_seed (a .Random.seed).
std::string task_json(const grid::JobSpec& spec, const grid::TaskSpace& space, std::uint64_t task);

// `rsim inspect [--task T] PATH`: prints the view of a grid.toml, or the one
// a result file recorded, to stdout.  `task` may be null.
// With `data`: the job's [data] inputs as every rank loads them (docs/cli.md).
core::ExitCode inspect(const std::string& path, const std::uint64_t* task, bool data = false);

}  // namespace rsim::job
