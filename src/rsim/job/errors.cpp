#include "rsim/job/errors.hpp"

#include <cstdio>

namespace rsim::job {

core::ExitCode exit_code_of(const std::exception& e) noexcept {
  if (const auto* r = dynamic_cast<const core::Error*>(&e)) return r->exit_code();
  return core::ExitCode::runtime;
}

void print_error(const std::string& message, int rank) {
  if (rank >= 0)
    std::fprintf(stderr, "rsim: error on rank %d: %s\n", rank, message.c_str());
  else
    std::fprintf(stderr, "rsim: error: %s\n", message.c_str());
  std::fflush(stderr);
}

}  // namespace rsim::job
