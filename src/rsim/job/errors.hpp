#pragma once
// The one way rsim reports an error on stderr, and the exit code it maps to:
//   rsim: error: grid.toml:3 (job.seed): seed must be ...
//     fix: write a whole number ...
// With several ranks the rank is named ("rsim: error on rank 2: ...").
#include <exception>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::job {

// core::Error's own code; anything else is a runtime failure (2).
core::ExitCode exit_code_of(const std::exception& e) noexcept;

// `rank` < 0: a message of the whole job (no rank named).
void print_error(const std::string& message, int rank = -1);
inline void print_error(const std::exception& e, int rank = -1) { print_error(std::string(e.what()), rank); }

}  // namespace rsim::job
