#pragma once
// Rank 0's view of a running job, refreshed by its own thread (it only reads
// the scheduler's counters; no MPI, no tasks):
//  - the progress line on a terminal: done / total, rate, ETA;
//  - <output>.status.json, replaced atomically about once a second, for
//    `rsim status`, the R package's job object and dashboards.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "rsim/sched/scheduler.hpp"

namespace rsim::job {

// What the status file says besides the counters.
struct JobFacts {
  std::string job;
  std::string output;
  std::string status_path;    // where the status JSON goes
  std::string started;        // ISO 8601 UTC
  std::uint64_t n_tasks = 0;  // the whole job
  std::uint64_t already = 0;  // committed by earlier runs (resume)
  int ranks = 1;
  std::string errors_dir;     // where ranks append errors-r<rank>.jsonl (the logs folder)
  std::string grid;           // the grid.toml (absolute), so `rsim snapshot output.h5` finds the job
  std::vector<std::string> rank_hosts;  // the host of each rank, in rank order (the status file's `hosts`)
  std::uint64_t already_failed = 0;     // of `already`, the tasks that failed
};

// Appends one failed task to this rank's <dir>/errors-r<rank>.jsonl (a JSON
// line: task, status, message), so the status file and dashboards can show
// recent errors while the job runs.  Best effort.
void append_error_line(const std::string& dir, int rank, std::uint64_t task, const char* status,
                       const std::string& message);

// Writes the status JSON atomically (temp file + rename).  `state`:
// "running", "finished", "failed".  Best effort: I/O errors are ignored.
void write_status(const JobFacts& facts, const sched::Progress& p, double seconds, const std::string& state,
                  std::uint64_t failed_total = 0);

class ProgressMonitor {
 public:
  // `line`: show the progress line (stderr is a terminal, or --progress).
  ProgressMonitor(bool line, JobFacts facts, std::function<sched::Progress()> source);
  ~ProgressMonitor();  // stops; the final tally stays on screen
  void stop();

 private:
  void loop();
  void tick(bool final);
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  bool line_;
  JobFacts facts_;
  std::function<sched::Progress()> source_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace rsim::job
