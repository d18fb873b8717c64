#pragma once
// [schedule] timeout for R tasks: a watchdog thread that interrupts a task
// once it has run longer than the timeout.  It sets R's own interrupt flag
// (R_interrupts_pending, what Ctrl-C sets), so R stops the task at its next
// interrupt check, wherever that is (an R loop, a package's C loop that
// calls R_CheckUserInterrupt), and it sends the main thread SIGALRM, whose
// handler does nothing, so that a blocking wait (Sys.sleep(), select(),
// a socket read through R) returns at once and R sees the flag.  Code that
// never checks for interrupts (a long LAPACK call such as solve() on a big
// matrix) cannot be stopped: it runs until it returns, and the task is then
// stopped at R's next check or, if it returns first, marked a timeout
// anyway.  A task that catches the interrupt is interrupted again every
// second until it ends.  Arming and disarming take a mutex, no system call.
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace rsim::run {

// Records the calling thread as the one that runs R and installs the
// do-nothing SIGALRM handler; call on the main thread before any task.
void note_r_thread();
// Wakes the thread that runs R from a blocking wait (Sys.sleep, select)
// with SIGALRM, so R sees a pending interrupt at once.  Async-signal-safe:
// a stop signal may be delivered to any thread of the process (MPI's, the
// progress thread), which then passes it on.  Nothing before note_r_thread().
void wake_r_thread() noexcept;

class TaskTimer {
 public:
  // Starts the watchdog; call after note_r_thread().
  explicit TaskTimer(double timeout_s);
  ~TaskTimer();
  TaskTimer(const TaskTimer&) = delete;
  TaskTimer& operator=(const TaskTimer&) = delete;

  // Before the task: its deadline is now + the timeout.
  void arm();
  // After it: stops watching; returns true if the deadline passed and the
  // task was interrupted.  Clears an interrupt the watchdog raised that R
  // has not acted on yet, unless `keep_interrupt` (a stop signal also
  // raised it).
  bool disarm(bool keep_interrupt);
  double timeout_s() const { return timeout_s_; }

 private:
  using Clock = std::chrono::steady_clock;
  void loop();

  const double timeout_s_;
  const Clock::duration timeout_;
  const Clock::duration poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool quit_ = false;
  bool armed_ = false;
  bool fired_ = false;
  Clock::time_point deadline_{};
  std::thread thread_;
};

}  // namespace rsim::run
