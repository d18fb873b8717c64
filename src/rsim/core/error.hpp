#pragma once
// The one error hierarchy of rsim.  Every error says what failed, where, and
// how to fix it, and knows the exit code the CLI returns for it.
//
//   throw ConfigError({"grid.toml", 12, "job.seed"}, "seed must be an unsigned 64-bit integer",
//                     "write a whole number between 0 and 18446744073709551615");
#include <cstdint>
#include <stdexcept>
#include <string>

namespace rsim::core {

// Exit codes of the CLI (docs/architecture.md); the Slurm scripts key on them.
enum class ExitCode : int {
  ok = 0,
  usage = 1,          // bad command line or bad grid.toml
  runtime = 2,        // I/O, HDF5, MPI, a task backend that cannot start
  task_failures = 3,  // finished, results written, some tasks failed
  interrupted = 4,    // stopped by a signal after a checkpoint; rerun to resume
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string what, std::string where, std::string fix);
  ExitCode exit_code() const noexcept { return code_; }
  const std::string& what_failed() const noexcept { return what_; }
  const std::string& where() const noexcept { return where_; }
  const std::string& fix() const noexcept { return fix_; }

 private:
  ExitCode code_;
  std::string what_, where_, fix_;
};

// A place in an input file; line 0 means "the file as a whole".
struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::string key;  // dotted TOML key, e.g. "grid.n"; may be empty
  std::string str() const;  // "grid.toml:12 (grid.n)"
};

// Bad grid.toml, bad kernel parameters, anything the user wrote wrong.
// Example: ConfigError({"g.toml", 3, "job.replicates"}, "replicates must be >= 1", "set replicates = 1 or more")
class ConfigError : public Error {
 public:
  ConfigError(const SourceLocation& loc, const std::string& what, const std::string& fix);
  const SourceLocation& location() const noexcept { return loc_; }

 private:
  SourceLocation loc_;
};

// Bad command line.  Example: UsageError("unknown option --outptu", "rsim --help lists the options")
class UsageError : public Error {
 public:
  UsageError(const std::string& what, const std::string& fix);
};

// Files, HDF5, disk space.  Example: IoError("cannot create", "out.h5", "check the folder is writable")
class IoError : public Error {
 public:
  IoError(const std::string& what, const std::string& where, const std::string& fix);
};

// An MPI call returned an error.  Example: MpiError("MPI_Send failed: ...", "sched::Scheduler", "...")
class MpiError : public Error {
 public:
  MpiError(const std::string& what, const std::string& where, const std::string& fix);
};

// A task backend could not be set up (missing kernel, plugin, R script...).
class BackendError : public Error {
 public:
  BackendError(const std::string& what, const std::string& where, const std::string& fix);
};

}  // namespace rsim::core
