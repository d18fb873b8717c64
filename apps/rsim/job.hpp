#pragma once
// One rsim run on this rank: read the grid, set up the backend, take and run
// chunks of tasks, commit checkpoints, and (rank 0) assemble the result file.
#include "options.hpp"
#include "rsim/core/error.hpp"
#include "rsim/sched/comm.hpp"

namespace rsim::app {

// Returns the exit code; every rank returns the same one.  Errors that all
// ranks see alike are printed once, by rank 0.
core::ExitCode run_job(const Options& opt, const sched::Comm& comm);

}  // namespace rsim::app
