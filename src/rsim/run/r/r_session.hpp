#pragma once
// This rank's one embedded R as the R backend uses it.  R starts once, on
// the main thread, and is never stopped (RInside; a process cannot restart
// R), with R's C stack check restored so runaway recursion is an R error,
// not a crash.  RSession evaluates rsim's R runtime (r_runtime.R.inc) and
// runs the set-up steps before any task: the task log, [data] frames,
// [task] packages, the script, the setup function; a failing step throws
// core::BackendError carrying R's own message.  snapshot() then records what
// a task must not change for the next one (the global environment's names,
// options(), the working directory), and restore() puts it back after each
// task in well under a microsecond when nothing changed.  Main thread only.
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#ifndef R_NO_REMAP
#define R_NO_REMAP
#endif
#include <Rinternals.h>

#include "rsim/core/data_table.hpp"

namespace rsim::run {

// R objects kept from R's garbage collector while their owner lives, each
// in a named slot (an enumerator of the owner's `enum Kept`).
class KeptObjects {
 public:
  explicit KeptObjects(R_xlen_t slots);
  ~KeptObjects();
  KeptObjects(const KeptObjects&) = delete;
  KeptObjects& operator=(const KeptObjects&) = delete;
  // Keeps `x` in `slot` (replacing what was there) and returns it.
  SEXP keep(R_xlen_t slot, SEXP x);

 private:
  SEXP list_;
};

// R's last error message without its "Error in f() : " / "Error: " prefix.
// A C stack overflow's byte count (which varies from run to run) is
// dropped, so results stay identical across runs and rank counts.
std::string r_error_text();

class RSession {
 public:
  // Starts R if this process has not yet, and evaluates rsim's runtime.
  RSession();
  RSession(const RSession&) = delete;
  RSession& operator=(const RSession&) = delete;

  // rsim's runtime object `name` (rt$name in r_runtime.R.inc).
  SEXP rt(const char* name) const { return Rf_findVarInFrame(rt_, Rf_install(name)); }
  // The call rt$fn(arg), not evaluated.
  SEXP rt_call(const char* fn, SEXP arg) const { return Rf_lang2(rt(fn), arg); }

  // Task output (print, cat, message) goes to <log_dir>/rank-NNNNN.log,
  // appended; nothing happens for an empty log_dir.
  void start_log(int rank, const std::string& log_dir);
  // Each [data] input becomes a data frame of that name in the global
  // environment: set-up and tasks see it.
  void define_data(const std::vector<core::DataTable>& data);
  void attach_packages(const std::vector<std::string>& packages);
  void source_script(const std::string& script);
  // The function called `name` in the global environment, or nullptr.
  SEXP find_function(const std::string& name) const;
  // Calls the setup function `name` (found by find_function) once.
  void run_setup(SEXP setup, const std::string& name);
  // While watching, source(), sys.source(), readRDS() and load() called
  // from the global environment record their files (the job's identity
  // hashes them).
  void watch_sources(bool on);
  // The files read while watching: ("sourced" or "loaded", absolute path).
  std::vector<std::pair<std::string, std::string>> files_read() const;
  // From now on, base's set.seed() notes its first call in each task as one
  // of the task's warnings (call after set-up, which may seed freely).
  void watch_set_seed();
  // R.version.string and the attached packages with versions, "stats 4.2.2, ...".
  std::pair<std::string, std::string> info() const;

  // Records the state restore() returns to; call once, after set-up.
  void snapshot();
  // Removes globals a task added, undoes its options() changes and returns
  // to the working directory of the snapshot if the task called setwd().
  void restore();

 private:
  std::vector<SEXP> option_pointers() const;
  bool options_changed() const;  // option_pointers() != options_ptrs_, without allocating

  struct Started {  // R runs before anything below is created
    Started();
  } started_;
  enum Kept : R_xlen_t { kRuntime, kSavedOptions, kKeptCount };
  KeptObjects kept_{kKeptCount};
  SEXP rt_ = nullptr;  // rsim's R runtime environment
  SEXP saved_options_ = nullptr;
  SEXP options_sym_ = nullptr;
  std::vector<SEXP> options_ptrs_;  // (tag, value) of each .Options node at the snapshot
  std::unordered_set<std::string> globals_;
  R_len_t n_globals_ = 0;
  std::string cwd_;
  SEXP cwd_changed_sym_ = nullptr;  // rt$cwd_changed: base's setwd() was called
};

}  // namespace rsim::run
