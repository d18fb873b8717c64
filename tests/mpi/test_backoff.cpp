// The back-off of a rank waiting for a message: a long wait wakes the rank
// ever more rarely (an idle rank among 64 on 2 cores must not burn CPU), a
// message makes it quick again.
#include <gtest/gtest.h>

#include <chrono>

#include "rsim/sched/mpi.hpp"

namespace {
// How many sleeps a wait of `seconds` takes.
int sleeps_in(rsim::sched::Backoff& b, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int n = 0;
  while (std::chrono::steady_clock::now() < end) {
    b.sleep();
    ++n;
  }
  return n;
}
}  // namespace

TEST(Backoff, ALongWaitWakesRarely) {
  rsim::sched::Backoff b(2000);
  // Capped at 2 ms, half a second took about 250 sleeps (500 wake-ups a
  // second for every idle rank); growing with the time waited, about 60.
  EXPECT_LT(sleeps_in(b, 0.5), 120);
}

TEST(Backoff, AMessageMakesItQuickAgain) {
  rsim::sched::Backoff b(2000);
  sleeps_in(b, 0.3);  // now sleeping tens of milliseconds
  b.reset();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) b.sleep();  // 20 + 40 + 80 + 160 + 320 us
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
}
