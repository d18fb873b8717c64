// The task loop of the job library, driven through fakes of the scheduler,
// the runner and the checkpoint store: retries, failed rows, stop paths.
#include <gtest/gtest.h>

#include <cmath>

#include "job_fakes.hpp"
#include "rsim/core/schema.hpp"

using namespace rsim;
using test::FakeRunner;
using test::FakeWork;
using test::MemorySink;

namespace {

job::LoopSettings settings(std::uint32_t retries = 0, std::function<int()> stop = [] { return 0; }) {
  job::LoopSettings s;
  s.retries = retries;
  s.checkpoint_s = 3600;  // commits only at the end unless a test says otherwise
  s.stop_signal = std::move(stop);
  return s;
}

}  // namespace

TEST(JobTaskLoop, RunsEveryHandedOutTaskAndCommitsOnce) {
  FakeWork work({{0, 5}, {10, 12}});
  FakeRunner runner;
  MemorySink sink;
  job::RankCounts n;
  EXPECT_FALSE(job::run_tasks(work, runner, sink, settings(), n));
  EXPECT_EQ(n.done, 7u);
  EXPECT_EQ(n.failed, 0u);
  EXPECT_EQ(sink.commits, 1);
  ASSERT_EQ(sink.status.size(), 7u);
  EXPECT_EQ(sink.value.at(11), 11.0);
  EXPECT_EQ(work.progress_done, 7u);
}

TEST(JobTaskLoop, RetriesUseFreshRowsAndCountAttempts) {
  FakeWork work({{0, 3}});
  FakeRunner runner;
  runner.fail = {{1, 2}};  // task 1 fails twice, then succeeds
  MemorySink sink;
  job::RankCounts n;
  job::run_tasks(work, runner, sink, settings(2), n);
  EXPECT_EQ(sink.status.at(1), core::TaskStatus::ok);
  EXPECT_EQ(sink.attempts.at(1), 3);
  EXPECT_EQ(sink.attempts.at(0), 1);
  EXPECT_EQ(n.failed, 0u);
  EXPECT_TRUE(sink.errors.empty());
}

TEST(JobTaskLoop, ATaskFailingEveryAttemptIsAFailedRowWithNaFields) {
  FakeWork work({{0, 3}});
  FakeRunner runner;
  runner.fail = {{2, 99}};
  MemorySink sink;
  job::RankCounts n;
  job::run_tasks(work, runner, sink, settings(1), n);
  EXPECT_EQ(sink.status.at(2), core::TaskStatus::error);
  EXPECT_EQ(sink.attempts.at(2), 2);
  EXPECT_TRUE(core::is_na_float(sink.value.at(2)));  // whatever it wrote first
  EXPECT_EQ(sink.errors.at(2), "boom 2 attempt 2");  // the last attempt's message
  EXPECT_EQ(n.failed, 1u);
  EXPECT_EQ(n.done, 3u);
}

TEST(JobTaskLoop, AStopSignalEndsTheLoopAndCommitsWhatFinished) {
  FakeWork work({{0, 100}});
  FakeRunner runner;
  int signal = 0;
  runner.on_run = [&](std::uint64_t t) {
    if (t == 4) signal = 15;
  };
  MemorySink sink;
  job::RankCounts n;
  EXPECT_TRUE(job::run_tasks(work, runner, sink, settings(0, [&] { return signal; }), n));
  EXPECT_EQ(sink.status.size(), 5u);  // 0..4 finished before the signal was seen
  EXPECT_TRUE(work.stop_requested);
  EXPECT_EQ(work.last_done, 5u);  // the final tally went to the scheduler
}

TEST(JobTaskLoop, AnAbandonedTaskIsNotCommittedAndStopsTheRank) {
  FakeWork work({{0, 10}});
  FakeRunner runner;
  runner.abandon_at = 3;
  MemorySink sink;
  job::RankCounts n;
  EXPECT_TRUE(job::run_tasks(work, runner, sink, settings(3), n));
  EXPECT_EQ(sink.status.size(), 3u);
  EXPECT_EQ(sink.status.count(3), 0u);  // runs again on resume
  EXPECT_EQ(runner.calls.at(3), 1);     // an abandoned task is not retried
  EXPECT_TRUE(work.stop_requested);
}

TEST(JobTaskLoop, RankZerosStopNoticeEndsTheLoop) {
  FakeWork work({{0, 1000000}});
  work.notice_after_polls = 0;  // the first poll sees the notice
  FakeRunner runner;
  runner.on_run = [](std::uint64_t) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  MemorySink sink;
  job::RankCounts n;
  EXPECT_TRUE(job::run_tasks(work, runner, sink, settings(), n));
  EXPECT_LT(n.done, 1000000u);
  EXPECT_EQ(sink.status.size(), n.done);
}

TEST(JobTaskLoop, CommitsAtTheCheckpointInterval) {
  FakeWork work({{0, 4}});
  FakeRunner runner;
  MemorySink sink;
  job::RankCounts n;
  job::LoopSettings s = settings();
  s.checkpoint_s = 0;  // every task is a checkpoint
  job::run_tasks(work, runner, sink, s, n);
  EXPECT_EQ(sink.commits, 4);
}

TEST(JobTaskLoop, AnIntervalBeyondTheClockMeansNeverNotAlways) {
  FakeWork work({{0, 4}});
  FakeRunner runner;
  MemorySink sink;
  job::RankCounts n;
  job::LoopSettings s = settings();
  s.checkpoint_s = 999999999.0 * 3600;  // checkpoint = "999999999h"
  job::run_tasks(work, runner, sink, s, n);
  EXPECT_EQ(sink.commits, 1);  // at the end only (an overflowed interval committed every task)
}
