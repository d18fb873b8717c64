#pragma once
// What determines a job's results, as core::Identity parts (the rule of
// which inputs count lives here; docs/crash-safety.md lists it):
//   "the parsed grid"     the grid.toml as read: seed, replicates, [task]
//                         (backend, function, packages, setup, kernel),
//                         [args], the grid's kind and parameters (their order
//                         too: it numbers the tasks) and [data] names; not
//                         comments, formatting, key order, number spelling,
//                         [job] name and output, or [schedule]
//   "task script X"       the R script's bytes
//   "sourced file X"      each file the script or its setup function sourced
//   "loaded file X"       each file they read with readRDS() or load() (the
//                         globals of rsim_run() among them)
//   "[data] N"            each [data] file's bytes
//   "plugin X"            the native plugin library's bytes
//   "result format"       rsim's result-format version
// and, reported but not refused: "R" and "package P" versions.
#include <string>
#include <vector>

#include "rsim/core/data_table.hpp"
#include "rsim/core/identity.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::job {

// The parsed grid as canonical JSON (sorted keys, numbers as values).
std::string canonical_grid(const grid::JobSpec& spec);

// The job's identity after set-up: `data` as loaded (with its hashes), the
// runner for the files it sourced and the software versions.
core::Identity job_identity(const grid::JobSpec& spec, const std::vector<core::DataTable>& data,
                            const run::Runner& runner);

// Before set-up (no R started): true if every part `stored` that refuses
// is unchanged, the files it records as sourced or loaded included, and no part the
// grid.toml determines is new.  Versions are not looked at.  A finished
// job that passes needs no set-up to be reported finished.
bool unchanged_before_set_up(const grid::JobSpec& spec, const std::string& stored);

// Checks the identity `stored` in `what` (a result file, a checkpoint)
// against `now`: throws core::ConfigError naming every refused change and
// the ways out; prints a warning for each version change, once per name.
void check_identity(const grid::JobSpec& spec, const std::string& stored, const core::Identity& now,
                    const std::string& what);

}  // namespace rsim::job
