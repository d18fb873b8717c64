#pragma once
// The command line of `rsim`, parsed before MPI starts.
#include <cstdint>
#include <string>

#include "rsim/job/job_run.hpp"

namespace rsim::app {

enum class Command {
  run,          // rsim [options] grid.toml: the job, under mpirun or alone
  single_task,  // rsim --task T grid.toml: one task, no MPI, no files
  status,       // rsim status grid.toml|output.h5
  inspect,      // rsim inspect [--task T] grid.toml|output.h5: the job as JSON
  snapshot,     // rsim snapshot [-o out] [--to f.h5] grid.toml|output.h5: committed results so far
  info,         // --help, --version, --list-kernels
};

struct Options {
  Command command = Command::run;
  job::RunOptions run;     // grid, output and the run's flags
  std::string target;      // status / inspect / snapshot: the grid.toml or result file
  std::string snapshot_to; // snapshot: where it goes ("" = <output>.snapshot.h5)
  bool help = false;
  bool version = false;
  bool list_kernels = false;
  bool has_task = false;   // --task T given
  bool data = false;       // inspect --data: the [data] inputs as the ranks load them
  std::uint64_t task = 0;
};

// Throws core::UsageError for a bad command line.
Options parse_options(int argc, char** argv);
std::string help_text();
std::string version_text();

}  // namespace rsim::app
