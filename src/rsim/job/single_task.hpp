#pragma once
// `rsim --task T grid.toml`: runs one task on this process (no MPI, no
// files) and prints its fields, so any task can be reproduced and inspected
// alone (the R package's reproduce_task() reads this).
#include <cstdint>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::job {

core::ExitCode run_single_task(const std::string& grid_path, std::uint64_t task);

}  // namespace rsim::job
