#pragma once
// The embedded-R backend's factory.  This header stays free of R and
// RInside so the rest of rsim never sees them.
#include <memory>

#include "rsim/run/runner.hpp"

namespace rsim::run {

// Starts this rank's one embedded R (on the calling thread, which must be
// the main thread), attaches [task] packages, sources the script, runs the
// setup function, and checks the task function's arguments against the
// grid and [args].  Throws core::BackendError with R's own message if any
// of that fails, before any task runs.
std::unique_ptr<Runner> make_r_runner(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                      const RunContext& ctx);

}  // namespace rsim::run
