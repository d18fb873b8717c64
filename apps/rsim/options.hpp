#pragma once
// The command line of `rsim`, parsed before MPI starts.
#include <cstdint>
#include <string>

namespace rsim::app {

struct Options {
  std::string grid;     // grid.toml
  std::string output;   // --output, overrides [job] output
  bool help = false;
  bool version = false;
  bool list_kernels = false;
  bool quiet = false;   // no progress line
  bool progress = false;  // progress line even when stderr is not a terminal
  bool fresh = false;         // move an earlier output and checkpoints aside, start over
  bool rerun_failed = false;  // run only the tasks whose status is error or timeout
  bool has_task = false;  // --task: run this one task id and print its fields
  std::uint64_t task = 0;
};

// Throws core::UsageError for a bad command line.
Options parse_options(int argc, char** argv);
std::string help_text();
std::string version_text();

}  // namespace rsim::app
