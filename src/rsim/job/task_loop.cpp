#include "rsim/job/task_loop.hpp"

#include <chrono>
#include <optional>

#include "rsim/job/progress.hpp"
#include "rsim/core/clock.hpp"
#include "rsim/core/process_memory.hpp"
#include "rsim/job/signals.hpp"

namespace rsim::job {

namespace {
constexpr std::size_t kMaxBatchRows = 1 << 16;

// The commit interval as a clock duration; beyond what the clock can count
// (about 292 years, e.g. checkpoint = "999999999h") it is "never" (commits
// then come from the batch size and the end of the run).
core::MonoClock::duration commit_interval(double seconds) {
  using Seconds = std::chrono::duration<double>;
  const auto most = std::chrono::duration_cast<Seconds>(core::MonoClock::duration::max()) / 2;
  if (!(seconds < most.count())) return core::MonoClock::duration::max() / 2;
  return std::chrono::duration_cast<core::MonoClock::duration>(Seconds(seconds));
}
}  // namespace

bool run_tasks(WorkSource& sched, run::Runner& runner, BatchSink& seg, const LoopSettings& settings, RankCounts& n) {
  const std::function<int()> stop_signal = settings.stop_signal ? settings.stop_signal : job::stop_signal;
  io::TaskMarker* const marker = settings.marker;
  const double checkpoint_s = settings.checkpoint_s;
  const std::uint32_t retries = settings.retries;
  core::ResultBatch batch(runner.schema());
  core::TaskMemory memory;
  constexpr auto kMemoryWindow = std::chrono::milliseconds(1);
  auto last_reset = core::MonoClock::now() - kMemoryWindow;
  std::int64_t peak = -1;
  core::TaskNotes notes;
  const auto every = commit_interval(checkpoint_s);
  constexpr auto kPollEvery = std::chrono::milliseconds(10);
  auto last_commit = core::MonoClock::now();
  auto last_poll = last_commit;
  bool stopped = false;
  while (!stopped) {
    const std::optional<sched::Chunk> c = sched.next(n.done, n.failed);
    if (!c) break;
    for (std::uint64_t t = c->begin; t < c->end; ++t) {
      if (stop_signal() != 0) {
        stopped = true;
        break;
      }
      const auto t0 = core::MonoClock::now();
      core::RowWriter row = batch.begin_row(t);
      notes.clear();
      if (marker) marker->begin(t);
      // The high-water mark is reset per task, except that tasks shorter than
      // 1 ms share one measurement window (resetting it costs the kernel a
      // walk of the page tables: about 1 us of every 5 us R task at 50 us).
      const bool measure = t0 - last_reset >= kMemoryWindow;
      if (measure) {
        memory.reset();
        last_reset = t0;
      }
      core::TaskStatus s = runner.run(t, row, notes);
      std::int32_t attempts = 1;
      while (s != core::TaskStatus::ok && !notes.abandoned && static_cast<std::uint32_t>(attempts) <= retries) {  // same stream each time
        batch.cancel_row();
        row = batch.begin_row(t);
        notes.clear();
        s = runner.run(t, row, notes);
        ++attempts;
      }
      const auto t1 = core::MonoClock::now();
      if (measure || t1 - last_reset >= kMemoryWindow) peak = memory.peak_bytes();
      if (marker) marker->end();
      if (notes.abandoned) {  // interrupted mid-task: it runs again on resume
        batch.cancel_row();
        stopped = true;
        break;
      }
      if (s != core::TaskStatus::ok) {
        batch.cancel_row();  // a failed task's fields are all NA, whatever it wrote first
        batch.begin_row(t);
        if (!settings.errors_dir.empty())
          append_error_line(settings.errors_dir, settings.rank, t, core::status_name(s), notes.message);
        batch.add_error({t, std::move(notes.message), std::move(notes.calls)});
        ++n.failed;
      }
      if (notes.warnings > 0) batch.add_warning({t, std::move(notes.warning_messages), {}});
      batch.end_row(s, std::chrono::duration<double>(t1 - t0).count(), attempts, notes.warnings, peak);
      ++n.done;
      sched.note_progress(n.done, n.failed);
      if (batch.size() >= kMaxBatchRows || t1 - last_commit >= every) {
        seg.commit(batch);
        batch.clear();
        last_commit = t1;
      }
      if (t1 - last_poll >= kPollEvery) {
        last_poll = t1;
        if (sched.poll()) {
          stopped = true;
          break;
        }
      }
    }
  }
  seg.commit(batch);  // first of all: what finished is safe
  if (stopped) {
    sched.request_stop();
    sched.next(n.done, n.failed);  // hands back the outstanding request, sends the final tally
  }
  return stopped;
}

}  // namespace rsim::job
