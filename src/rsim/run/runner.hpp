#pragma once
// A task backend as the CLI sees it: set up once per rank, then run task
// ids one by one, writing each task's fields into a result row.
#include <cstdint>
#include <memory>
#include <string>

#include "rsim/core/result_batch.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::run {

class Runner {
 public:
  virtual ~Runner() = default;
  // The fields every task writes (known after set-up for native kernels).
  virtual const core::Schema& schema() const = 0;
  // Runs task `task`, writing into `out`.  Returns ok, or error/timeout
  // with `err` filled in; never throws for a failing task.
  virtual core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::ErrorRecord& err) = 0;
  // "native kernel ttest_power", for logs and the result file.
  virtual std::string describe() const = 0;
};

// The one place that knows which backends were built in.  Sets the backend
// up for this rank; throws core::ConfigError for a bad [task] section and
// core::BackendError when the backend cannot start.
std::unique_ptr<Runner> make_runner(const grid::JobSpec& spec, const grid::TaskSpace& space);

}  // namespace rsim::run
