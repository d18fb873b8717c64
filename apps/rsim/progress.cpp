#include "progress.hpp"

#include <chrono>
#include <cstdio>

#include "rsim/core/clock.hpp"

namespace rsim::app {

ProgressLine::ProgressLine(bool enabled, std::function<sched::Progress()> source)
    : enabled_(enabled), source_(std::move(source)) {
  if (enabled_) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  print();  // the final tally stays on screen
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void ProgressLine::loop() {
  while (!stop_) {
    for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!stop_) print();
  }
}

void ProgressLine::print() {
  {
    const sched::Progress p = source_();
    const double s = core::seconds_since(t0_);
    const double rate = s > 0 ? static_cast<double>(p.done) / s : 0;
    const double pct = p.total ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 100.0;
    char eta[32] = "--:--";
    if (rate > 0 && p.total >= p.done) {
      const auto left = static_cast<long>(static_cast<double>(p.total - p.done) / rate);
      std::snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", left / 3600, (left / 60) % 60, left % 60);
    }
    std::fprintf(stderr, "\r\033[Krsim: %llu/%llu tasks (%.1f%%), %.0f tasks/s, ETA %s, %llu failed",
                 static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total), pct, rate, eta,
                 static_cast<unsigned long long>(p.failed));
    std::fflush(stderr);
  }
}

}  // namespace rsim::app
