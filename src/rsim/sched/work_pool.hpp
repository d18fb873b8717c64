#pragma once
// The tasks still to hand out, as sorted disjoint ranges of task ids, cut
// into chunks by guided self-scheduling: large chunks first, smaller ones
// near the end, so uneven tasks balance and tiny tasks cost little each.
// No MPI here; the Scheduler shares one pool between ranks.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace rsim::sched {

struct Chunk {
  std::uint64_t begin = 0;  // first task id
  std::uint64_t end = 0;    // one past the last
  std::uint64_t size() const { return end - begin; }
};

class WorkPool {
 public:
  // `pending`: sorted, disjoint, non-empty ranges.  `fixed_chunk` > 0 hands
  // out chunks of exactly that size (the last of a range may be smaller).
  // `align_up`, if given, moves the end of every chunk up to the next
  // boundary it names (whole summary blocks per chunk); a range must begin
  // and end on boundaries.
  using Align = std::function<std::uint64_t(std::uint64_t)>;
  WorkPool(std::vector<Chunk> pending, std::uint32_t n_ranks, std::uint64_t fixed_chunk = 0, Align align_up = {});
  std::optional<Chunk> take();
  std::uint64_t remaining() const { return remaining_; }
  std::uint64_t total() const { return total_; }

 private:
  std::deque<Chunk> ranges_;
  std::uint64_t remaining_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t divisor_;
  std::uint64_t fixed_;
  Align align_;
};

}  // namespace rsim::sched
