#pragma once
// The progress line on rank 0's terminal: done / total, rate, ETA.  Runs in
// its own thread and only reads the scheduler's counters; no MPI, no tasks.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "rsim/sched/scheduler.hpp"

namespace rsim::app {

class ProgressLine {
 public:
  // `enabled` false: does nothing (not a terminal, --quiet, or not rank 0).
  ProgressLine(bool enabled, std::function<sched::Progress()> source);
  ~ProgressLine();  // stops and clears the line
  void stop();

 private:
  void loop();
  void print();
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  bool enabled_;
  std::function<sched::Progress()> source_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace rsim::app
