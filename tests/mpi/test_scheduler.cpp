// The scheduler under a real MPI launcher: every task is handed out exactly
// once across all ranks, rank 0 runs tasks too, and hand-outs keep flowing
// while rank 0 is busy inside a long task.
#include <gtest/gtest.h>
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "rsim/sched/comm.hpp"
#include "rsim/sched/scheduler.hpp"

using rsim::sched::Chunk;
using rsim::sched::Comm;
using rsim::sched::Scheduler;

namespace {
Comm* g_comm = nullptr;

// Runs the scheduler over `pending`; returns how often each task id was
// handed out across all ranks (on every rank), and this rank's count.
std::vector<int> run_counts(const std::vector<Chunk>& pending, std::uint64_t n, std::uint64_t fixed,
                            std::uint64_t* mine = nullptr, int rank0_sleep_ms = 0) {
  std::vector<int> local(n, 0);
  std::uint64_t done = 0;
  Scheduler s(*g_comm, pending, fixed);
  while (auto c = s.next(done, 0)) {
    for (auto t = c->begin; t < c->end; ++t) ++local[t];
    done += c->size();
    if (rank0_sleep_ms > 0 && g_comm->rank() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(rank0_sleep_ms));
  }
  s.finish();
  if (g_comm->rank() == 0) {
    EXPECT_EQ(s.progress().total, std::accumulate(pending.begin(), pending.end(), std::uint64_t{0},
                                                  [](std::uint64_t a, const Chunk& c) { return a + c.size(); }));
  }
  std::vector<int> all(n, 0);
  MPI_Allreduce(local.data(), all.data(), static_cast<int>(n), MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (mine) *mine = done;
  return all;
}
}  // namespace

TEST(Scheduler, EveryTaskHandedOutExactlyOnce) {
  const std::uint64_t n = 10007;
  const auto counts = run_counts({{0, n}}, n, 0);
  for (std::uint64_t t = 0; t < n; ++t) ASSERT_EQ(counts[t], 1) << "task " << t;
}

TEST(Scheduler, PendingRangesWithHolesAndFixedChunks) {
  const std::uint64_t n = 5000;
  const std::vector<Chunk> pending = {{3, 100}, {250, 251}, {1000, 4999}};
  const auto counts = run_counts(pending, n, 7);
  for (std::uint64_t t = 0; t < n; ++t) {
    const bool want = (t >= 3 && t < 100) || t == 250 || (t >= 1000 && t < 4999);
    ASSERT_EQ(counts[t], want ? 1 : 0) << "task " << t;
  }
}

TEST(Scheduler, NothingPendingEndsAtOnce) {
  const auto counts = run_counts({}, 10, 0);
  for (int c : counts) EXPECT_EQ(c, 0);
}

TEST(Scheduler, EveryRankGetsWorkEvenWhileRankZeroIsBusy) {
  // Rank 0 sleeps 20 ms per chunk it takes; the others must keep receiving
  // chunks meanwhile (the hand-out thread answers them), so with 400 tasks
  // of fixed chunk 1 every rank gets some and rank 0 gets few.
  const std::uint64_t n = 400;
  std::uint64_t mine = 0;
  const auto counts = run_counts({{0, n}}, n, 1, &mine, 20);
  for (std::uint64_t t = 0; t < n; ++t) ASSERT_EQ(counts[t], 1);
  if (g_comm->size() > 1) {
    EXPECT_GT(mine, 0u) << "rank " << g_comm->rank() << " got no work";
    if (g_comm->rank() == 0) {
      EXPECT_LT(mine, n / 4) << "rank 0 hoarded work while it was busy";
    }
  } else {
    EXPECT_EQ(mine, n);
  }
}

TEST(Scheduler, WorkersReportProgressWithinTheirChunks) {
  // Chunks of 40 tasks of 50 ms (2 s a chunk): a worker's progress must
  // reach rank 0 while it is inside a chunk (a report a second), not only
  // when it asks for the next chunk.  Rank 0 watches from a thread, as the
  // status file's writer does.  (With prefetching, a worker may get no
  // chunk at all; each that did work must have been seen midway.)
  const int size = g_comm->size();
  if (size < 2) GTEST_SKIP() << "needs workers";
  const std::uint64_t per = 40;
  Scheduler s(*g_comm, {{0, per * static_cast<std::uint64_t>(size)}}, per);
  std::vector<std::vector<std::uint64_t>> seen(static_cast<std::size_t>(size));  // values rank 0 saw, per rank
  std::atomic<bool> over{false};
  std::thread watch;
  if (g_comm->rank() == 0)
    watch = std::thread([&] {
      while (!over.load()) {
        const auto p = s.progress();
        for (int r = 1; r < size; ++r) seen[static_cast<std::size_t>(r)].push_back(p.per_rank[static_cast<std::size_t>(r)]);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  std::uint64_t done = 0;
  while (auto c = s.next(done, 0)) {
    for (auto t = c->begin; t < c->end; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      s.note_progress(++done, 0);
    }
  }
  s.finish();
  over.store(true);
  if (watch.joinable()) watch.join();
  if (g_comm->rank() != 0) return;
  int workers_with_work = 0;
  for (int r = 1; r < size; ++r) {
    const std::uint64_t final = s.progress().per_rank[static_cast<std::size_t>(r)];
    if (final == 0) continue;
    ++workers_with_work;
    bool midway = false;  // a count between chunk boundaries: a report from inside a chunk
    for (const std::uint64_t v : seen[static_cast<std::size_t>(r)]) midway = midway || v % per != 0;
    EXPECT_TRUE(midway) << "rank " << r << " finished " << final << " tasks; rank 0 saw only chunk boundaries";
  }
  EXPECT_GT(workers_with_work, 0);
  EXPECT_EQ(s.progress().done, per * static_cast<std::uint64_t>(size));
}

TEST(Comm, BroadcastAndAgreement) {
  const std::string s = g_comm->broadcast(g_comm->rank() == 0 ? std::string("grid text \xe2\x9c\x93") : "");
  EXPECT_EQ(s, "grid text \xe2\x9c\x93");
  EXPECT_EQ(g_comm->first_true(false), -1);
  EXPECT_EQ(g_comm->first_true(g_comm->rank() >= 1), g_comm->size() > 1 ? 1 : -1);
}

// Every rank's string on rank 0, in rank order, empty ones and lengths that differ included.
TEST(Comm, GatherStringsOfEveryRank) {
  const int r = g_comm->rank();
  const std::vector<std::string> all = g_comm->gather(r == 1 ? std::string() : "host-" + std::string(r + 1, 'x'));
  if (r != 0) {
    EXPECT_TRUE(all.empty());
    return;
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(g_comm->size()));
  for (int i = 0; i < g_comm->size(); ++i)
    EXPECT_EQ(all[static_cast<std::size_t>(i)], i == 1 ? std::string() : "host-" + std::string(i + 1, 'x'));
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Comm comm(argc, argv);
  g_comm = &comm;
  // Only rank 0 prints the report; every rank runs every test.
  if (comm.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  int worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return worst;
}
