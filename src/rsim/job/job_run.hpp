#pragma once
// One rsim run on this rank: read the grid, set up the backend, plan what is
// left to do, take and run chunks of tasks, commit checkpoints, and (rank 0)
// assemble the result file.  The CLI parses options and calls run_job().
#include <string>

#include "rsim/core/error.hpp"
#include "rsim/sched/comm.hpp"

namespace rsim::job {

// What the command line says about a run (apps/rsim fills it in).
struct RunOptions {
  std::string grid;           // grid.toml
  std::string output;         // --output, overrides [job] output; "" = as grid.toml says
  bool quiet = false;         // no progress line
  bool progress = false;      // progress line even when stderr is not a terminal
  bool fresh = false;         // move an earlier output and checkpoints aside, start over
  bool rerun_failed = false;  // run only the tasks whose status is error or timeout
};

// Returns the exit code; every rank returns the same one.  Errors that all
// ranks see alike are printed once, by rank 0.
core::ExitCode run_job(const RunOptions& opt, const sched::Comm& comm);

// True if this process must end without shutting MPI and HDF5 down: a
// failed close of the result file left HDF5 1.10 in a state it crashes
// on at shutdown (io::hdf5_shutdown_unsafe()).  The data is safe either way.
bool must_skip_shutdown();

}  // namespace rsim::job
