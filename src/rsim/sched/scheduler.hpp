#pragma once
// Dynamic hand-out of task chunks to every rank, rank 0 included.
//
// Rank 0 owns the WorkPool.  Its main thread runs tasks and takes its own
// chunks in-process; a hand-out thread answers the other ranks' requests
// with two-sided messages, sleeping between polls, so hand-outs keep flowing
// while rank 0 is inside a long task, over shared memory and over TCP alike.
// During the run only that thread calls MPI on rank 0 (MPI_THREAD_SERIALIZED).
// Other ranks ask for their next chunk as soon as they receive one, so the
// round trip overlaps their work.  Nobody busy-spins while waiting.
//
// Stopping early (a signal on any rank): that rank calls request_stop();
// rank 0 stops handing out and sends every worker a stop notice, which
// workers see through poll() between tasks.  finish() then tells every rank
// whether the job was interrupted.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "rsim/sched/comm.hpp"
#include "rsim/sched/work_pool.hpp"

namespace rsim::sched {

struct Progress {
  std::uint64_t done = 0;    // tasks finished (ok or failed) in this run, as last reported
  std::uint64_t failed = 0;  // of which failed
  std::uint64_t total = 0;   // tasks this run set out to do
  std::vector<std::uint64_t> per_rank;  // done per rank (rank 0's view)
};

class Scheduler {
 public:
  // Collective: every rank constructs it with the same arguments.
  // `align_up`: see WorkPool (rank 0 uses it).
  Scheduler(const Comm& comm, std::vector<Chunk> pending, std::uint64_t fixed_chunk, WorkPool::Align align_up = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The next chunk for this rank, or nothing when all work is handed out.
  // `done` and `failed`: this rank's cumulative counts, for progress.
  std::optional<Chunk> next(std::uint64_t done, std::uint64_t failed);
  // This rank's counts between hand-outs, cheap per task: rank 0 stores
  // them; a worker also sends them to rank 0 once a second at most
  // (kProgressInterval), so the job's progress is current whatever the
  // chunk size.
  void note_progress(std::uint64_t done, std::uint64_t failed);
  static constexpr std::chrono::milliseconds kProgressInterval{1000};
  // This rank stops taking work and asks the whole job to stop.
  void request_stop();
  // Worker: has rank 0 sent a stop notice?  A cheap test; call it between
  // tasks every few milliseconds.  Rank 0: whether a stop was requested.
  bool poll();
  // Ends the hand-out thread (rank 0) once every rank has been told to stop;
  // workers wait for rank 0's closing notice.  Returns true if the job
  // stopped early (some rank requested a stop).
  bool finish();
  // Rank 0: the whole job's progress; elsewhere this rank's own.
  Progress progress() const;

 private:
  void serve();  // rank 0's hand-out thread
  std::optional<Chunk> take_local();

  const Comm& comm_;
  std::unique_ptr<WorkPool> pool_;  // rank 0 only
  std::mutex pool_mutex_;
  std::thread server_;
  std::vector<std::atomic<std::uint64_t>> done_, failed_;  // per rank, rank 0's view
  std::uint64_t total_ = 0;
  std::atomic<bool> stop_{false};  // rank 0: the job is stopping early
  void send_notices(std::uint64_t interrupted);  // rank 0 thread: closing/stop notice to every worker
  bool notices_sent_ = false;
  // worker state
  bool local_stop_ = false;      // this worker wants to stop
  bool notice_seen_ = false;     // rank 0's notice arrived
  std::uint64_t notice_ = 0;     // its content: 1 interrupted, 0 normal end
  void* notice_req_ = nullptr;   // MPI_Request* of the posted notice receive
  void finish_worker_requests(std::uint64_t done, std::uint64_t failed);
  bool request_out_ = false;
  bool exhausted_ = false;
  std::uint64_t reply_[3] = {0, 0, 0};
  void* reply_req_ = nullptr;  // MPI_Request*, opaque here to keep mpi.h out of the header
  std::uint64_t request_buf_[3] = {0, 0, 0};
  void post_request(std::uint64_t done, std::uint64_t failed);
  void send_counts(std::uint64_t done, std::uint64_t failed, std::uint64_t kind);
  // progress reports between hand-outs (worker): one in flight at most
  std::chrono::steady_clock::time_point next_report_{}, last_look_{};
  std::uint32_t calls_ = 0, stride_ = 1;  // note_progress() calls since the clock was read, and how many to skip
  std::uint64_t report_buf_[3] = {0, 0, 0};
  void* report_req_ = nullptr;  // MPI_Request*
  void finish_report();         // waits for the report in flight, if any
};

}  // namespace rsim::sched
