#include "rsim/run/r/r_task_timer.hpp"

#include <algorithm>
#include <csignal>

// R's own flag (declared in R_ext/GraphicsDevice.h, which drags in far more).
extern "C" int R_interrupts_pending;

namespace rsim::run {

namespace {

// The signal that wakes the main thread from a blocking wait.  Its handler
// does nothing: the interrupt itself is R_interrupts_pending.  SA_RESTART,
// so reads and writes go on; select() and nanosleep() (Sys.sleep) return.
constexpr int kWakeSignal = SIGALRM;

void on_wake(int) {}

pthread_t g_r_thread;
volatile sig_atomic_t g_r_thread_known = 0;

// Checks 10 times per timeout, between every 10 ms and every 200 ms.
std::chrono::steady_clock::duration poll_period(double timeout_s) {
  const double s = std::clamp(timeout_s / 10, 0.01, 0.2);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// A task that caught the interrupt is interrupted again this often.
constexpr auto kRefire = std::chrono::seconds(1);

}  // namespace

void note_r_thread() {
  if (g_r_thread_known) return;
  struct sigaction sa {};
  sa.sa_handler = on_wake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(kWakeSignal, &sa, nullptr);
  g_r_thread = pthread_self();
  g_r_thread_known = 1;
}

void wake_r_thread() noexcept {
  if (g_r_thread_known) pthread_kill(g_r_thread, kWakeSignal);
}

TaskTimer::TaskTimer(double timeout_s)
    : timeout_s_(timeout_s),
      timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s))),
      poll_(poll_period(timeout_s)) {
  // The watchdog takes no signals: SIGTERM and the like go to other threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TaskTimer::~TaskTimer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void TaskTimer::arm() {
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  deadline_ = now + timeout_;
  fired_ = false;
  armed_ = true;
}

bool TaskTimer::disarm(bool keep_interrupt) {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
  const bool fired = fired_;
  fired_ = false;
  // Under the lock, so the watchdog cannot raise it again after this.
  if (fired && !keep_interrupt) R_interrupts_pending = 0;
  return fired;
}

void TaskTimer::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!quit_) {
    wake_.wait_for(lock, poll_);
    if (quit_ || !armed_) continue;
    const auto now = Clock::now();
    if (now < deadline_) continue;
    fired_ = true;
    deadline_ = now + kRefire;
    R_interrupts_pending = 1;  // R stops the task at its next interrupt check
    wake_r_thread();
  }
}

}  // namespace rsim::run
