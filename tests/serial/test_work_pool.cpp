// Guided self-scheduling over pending ranges: every task once, in order,
// chunks shrinking towards the end, fixed chunks when asked.
#include <gtest/gtest.h>

#include "rsim/sched/work_pool.hpp"

using rsim::sched::Chunk;
using rsim::sched::WorkPool;

TEST(WorkPool, CoversEveryTaskOnceInOrder) {
  WorkPool pool({{0, 1000}}, 4);
  std::uint64_t next = 0, handouts = 0;
  while (auto c = pool.take()) {
    EXPECT_EQ(c->begin, next);
    EXPECT_GT(c->end, c->begin);
    next = c->end;
    ++handouts;
  }
  EXPECT_EQ(next, 1000u);
  EXPECT_EQ(pool.remaining(), 0u);
  // Factoring with 1/(2P) of the rest: about 2P ln(N) hand-outs, far fewer than N.
  EXPECT_LT(handouts, 80u);
}

TEST(WorkPool, ChunksShrinkTowardsTheEnd) {
  WorkPool pool({{0, 100000}}, 2);
  const Chunk first = *pool.take();
  EXPECT_EQ(first.size(), 25000u);  // ceil(100000 / (2 * 2))
  std::uint64_t last = first.size();
  while (auto c = pool.take()) {
    EXPECT_LE(c->size(), last);
    last = c->size();
  }
  EXPECT_EQ(last, 1u);
}

TEST(WorkPool, RangesWithHolesAndFixedChunks) {
  WorkPool pool({{5, 12}, {20, 21}, {30, 40}}, 2, 4);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
  while (auto c = pool.take()) got.emplace_back(c->begin, c->end);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {{5, 9},   {9, 12},  {20, 21},
                                                                     {30, 34}, {34, 38}, {38, 40}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(pool.total(), 18u);
}

TEST(WorkPool, EmptyAndDegenerateRanges) {
  WorkPool empty({}, 2);
  EXPECT_FALSE(empty.take().has_value());
  WorkPool degenerate({{3, 3}}, 2);
  EXPECT_FALSE(degenerate.take().has_value());
  EXPECT_EQ(degenerate.total(), 0u);
}
