#pragma once
// The task loop of one rank: take chunks, run tasks (with retries), record
// time, memory and the running task, commit checkpoints, stop on a signal.
#include <cstdint>
#include <string>

#include "rsim/io/checkpoint.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/run/runner.hpp"
#include "rsim/sched/scheduler.hpp"

namespace rsim::job {

struct RankCounts {
  std::uint64_t done = 0, failed = 0;
};

struct LoopSettings {
  double checkpoint_s = 5;
  std::uint32_t retries = 0;
  std::string errors_dir;  // where failed tasks are appended as JSON lines
  int rank = 0;
};

// Runs chunks until the work is out or a stop is requested (a signal here,
// or rank 0's notice).  Returns true if it stopped early; the last batch is
// committed either way.
bool run_tasks(sched::Scheduler& sched, run::Runner& runner, io::SegmentWriter& seg, io::TaskMarker& marker,
               const LoopSettings& settings, RankCounts& n);

}  // namespace rsim::job
