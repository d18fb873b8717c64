#pragma once
// The task loop of one rank: take chunks, run tasks (with retries), record
// time, memory and the running task, commit checkpoints, stop on a signal
// or on rank 0's notice.  It sees the scheduler and the checkpoint store
// through the two small interfaces below, so unit tests drive it with fakes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "rsim/core/result_batch.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/run/runner.hpp"
#include "rsim/sched/scheduler.hpp"

namespace rsim::job {

// Where chunks of work come from (sched::Scheduler in a run).
class WorkSource {
 public:
  virtual ~WorkSource() = default;
  // The next chunk, or nothing when the work is out (or a stop was asked).
  virtual std::optional<sched::Chunk> next(std::uint64_t done, std::uint64_t failed) = 0;
  // This rank's counts between hand-outs; cheap, called per task.
  virtual void note_progress(std::uint64_t done, std::uint64_t failed) = 0;
  // Has the job been asked to stop (rank 0's notice)?  Called every few ms.
  virtual bool poll() = 0;
  // This rank stops taking work and asks the whole job to stop.
  virtual void request_stop() = 0;
};

// Where finished tasks are committed (io::SegmentWriter in a run).
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  // Durably commits the batch (a no-op for an empty one).
  virtual void commit(const core::ResultBatch& batch) = 0;
};

// The adapters a real run uses.
class SchedulerSource final : public WorkSource {
 public:
  explicit SchedulerSource(sched::Scheduler& s) : s_(s) {}
  std::optional<sched::Chunk> next(std::uint64_t done, std::uint64_t failed) override { return s_.next(done, failed); }
  void note_progress(std::uint64_t done, std::uint64_t failed) override { s_.note_progress(done, failed); }
  bool poll() override { return s_.poll(); }
  void request_stop() override { s_.request_stop(); }

 private:
  sched::Scheduler& s_;
};

class SegmentSink final : public BatchSink {
 public:
  explicit SegmentSink(io::SegmentWriter& w) : w_(w) {}
  void commit(const core::ResultBatch& batch) override { w_.commit(batch); }

 private:
  io::SegmentWriter& w_;
};

struct RankCounts {
  std::uint64_t done = 0, failed = 0;
};

struct LoopSettings {
  double checkpoint_s = 5;   // commit at least this often
  std::uint32_t retries = 0;  // extra attempts for a failed task (same stream each time)
  std::string errors_dir;    // where failed tasks are appended as JSON lines ("" = nowhere)
  int rank = 0;
  io::TaskMarker* marker = nullptr;  // records the running task for crash attribution; may be null
  std::function<int()> stop_signal;  // the first stop signal received, or 0; default: the process's
};

// Runs chunks until the work is out or a stop is requested (a signal here,
// or rank 0's notice).  Returns true if it stopped early; the last batch is
// committed either way.
bool run_tasks(WorkSource& work, run::Runner& runner, BatchSink& sink, const LoopSettings& settings, RankCounts& n);

}  // namespace rsim::job
