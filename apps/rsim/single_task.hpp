#pragma once
// `rsim --task T grid.toml`: runs one task on this process (no MPI, no
// files) and prints its fields as TOML lines, so any task can be reproduced
// and inspected alone (the R package's reproduce_task() reads this).
#include "options.hpp"
#include "rsim/core/error.hpp"

namespace rsim::app {

core::ExitCode run_single_task(const Options& opt);

}  // namespace rsim::app
