#pragma once
// `rsim snapshot`: the results a running or interrupted job has committed so
// far, as a result file of their own, without touching the job (no lock, no
// signal; only whole checkpoint segments are read: a segment appears under
// its name only once it is complete).  docs/cli.md#rsim-snapshot.
#include <cstdint>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::job {

struct SnapshotInfo {
  std::string file;         // the snapshot written
  std::string output;       // the job's result file
  std::uint64_t n_tasks = 0, committed = 0, ok = 0, failed = 0;
};

// `target` is the job's grid.toml or its output path (then the grid.toml is
// the one its status file names); `output` overrides [job] output (a run
// with -o); `to` is where the snapshot goes ("" = <output>.snapshot.h5).
// Throws core::UsageError if there is nothing to take a snapshot of.
SnapshotInfo take_snapshot(const std::string& target, const std::string& output, const std::string& to);

// The command: takes the snapshot, prints its summary as one JSON line on
// stdout and a sentence on stderr.
core::ExitCode snapshot_command(const std::string& target, const std::string& output, const std::string& to);

}  // namespace rsim::job
