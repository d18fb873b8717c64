#pragma once
// A task backend as the CLI sees it: set up once per rank, then run task
// ids one by one, writing each task's fields into a result row.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rsim/core/data_table.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::run {

class Runner {
 public:
  virtual ~Runner() = default;
  // The fields every task writes, declared at set-up (native kernels); empty
  // for a backend whose tasks each return their own (R).
  virtual const core::Schema& schema() const = 0;
  // Runs task `task`, writing into `out` (a backend without declared fields
  // adds them to the batch: out.add_field, out.extend_schema).  Returns ok, or
  // error/timeout with notes.message filled in; reports warnings in notes.
  // Never throws for a failing task.
  virtual core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) = 0;
  // "native kernel ttest_power", for logs and the result file.
  virtual std::string describe() const = 0;
  // Fields that earlier runs of this job committed (resume, --rerun-failed):
  // a backend that learns its schema from the first task starts from these.
  virtual void adopt_schema(const core::Schema&) {}
  // Extra provenance for the result file's root attributes, e.g. r_version.
  virtual std::vector<std::pair<std::string, std::string>> provenance() const { return {}; }
  // Files the backend's code read at set-up beyond the grid's own inputs,
  // as (how, absolute path): an R script's source() ("sourced") and
  // readRDS()/load() ("loaded") calls.  Part of the job's identity.
  virtual std::vector<std::pair<std::string, std::string>> files_read() const { return {}; }
  // (software, version) pairs whose change is reported, not refused: R and
  // the attached packages.
  virtual std::vector<std::pair<std::string, std::string>> versions() const { return {}; }
};

// Asks a running task to stop (from a signal handler: async-signal-safe).
// R tasks are interrupted at R's next interrupt check and report
// notes.abandoned; native kernels finish their task.
void interrupt_running_task() noexcept;

// Where this rank runs: used by backends that keep per-rank files.
struct RunContext {
  int rank = 0;
  std::string log_dir;  // per-rank logs of task output (R backend); created on demand
  const std::vector<core::DataTable>* data = nullptr;  // [data] inputs, loaded once per rank
};

// The one place that knows which backends were built in.  Sets the backend
// up for this rank; throws core::ConfigError for a bad [task] section and
// core::BackendError when the backend cannot start.
// What runs the tasks of `spec`, as Runner::describe() says it:
// "native kernel ttest_power", "R function simulate in /path/power.R".
// (Inline: both the R and the native runner libraries use it.)
inline std::string describe_task(const grid::JobSpec& spec) {
  if (spec.task.backend == "r") return "R function " + spec.task.function + " in " + spec.task.script;
  return "native kernel " + spec.task.kernel;
}

std::unique_ptr<Runner> make_runner(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                    const RunContext& ctx = {});

}  // namespace rsim::run
