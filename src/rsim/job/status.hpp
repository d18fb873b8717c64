#pragma once
// `rsim status grid.toml|output.h5`: what a running, stopped or finished job
// has done, from its status file, checkpoints and result file.  Reads only;
// safe on a login node while the job runs elsewhere on a shared file system.
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::job {

core::ExitCode show_status(const std::string& path);

}  // namespace rsim::job
