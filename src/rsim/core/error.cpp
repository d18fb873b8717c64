#include "rsim/core/error.hpp"

namespace rsim::core {
namespace {
std::string compose(const std::string& what, const std::string& where, const std::string& fix) {
  std::string s = where.empty() ? what : where + ": " + what;
  if (!fix.empty()) s += "\n  fix: " + fix;
  return s;
}
}  // namespace

Error::Error(ExitCode code, std::string what, std::string where, std::string fix)
    : std::runtime_error(compose(what, where, fix)),
      code_(code),
      what_(std::move(what)),
      where_(std::move(where)),
      fix_(std::move(fix)) {}

std::string SourceLocation::str() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  if (!key.empty()) s += " (" + key + ")";
  return s;
}

ConfigError::ConfigError(const SourceLocation& loc, const std::string& what, const std::string& fix)
    : Error(ExitCode::usage, what, loc.str(), fix), loc_(loc) {}

UsageError::UsageError(const std::string& what, const std::string& fix)
    : Error(ExitCode::usage, what, "", fix) {}

IoError::IoError(const std::string& what, const std::string& where, const std::string& fix)
    : Error(ExitCode::runtime, what, where, fix) {}

MpiError::MpiError(const std::string& what, const std::string& where, const std::string& fix)
    : Error(ExitCode::runtime, what, where, fix) {}

BackendError::BackendError(const std::string& what, const std::string& where, const std::string& fix)
    : Error(ExitCode::runtime, what, where, fix) {}

}  // namespace rsim::core
