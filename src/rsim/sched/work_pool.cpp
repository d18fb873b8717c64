#include "rsim/sched/work_pool.hpp"

#include <algorithm>
#include <utility>

namespace rsim::sched {

WorkPool::WorkPool(std::vector<Chunk> pending, std::uint32_t n_ranks, std::uint64_t fixed_chunk, Align align_up)
    : divisor_(2ULL * std::max<std::uint32_t>(1, n_ranks)), fixed_(fixed_chunk), align_(std::move(align_up)) {
  for (const Chunk& c : pending) {
    if (c.end <= c.begin) continue;
    ranges_.push_back(c);
    remaining_ += c.size();
  }
  total_ = remaining_;
}

std::optional<Chunk> WorkPool::take() {
  if (ranges_.empty()) return std::nullopt;
  // Factoring: each hand-out takes 1/(2P) of what is left, at least one task.
  std::uint64_t want = fixed_ > 0 ? fixed_ : std::max<std::uint64_t>(1, (remaining_ + divisor_ - 1) / divisor_);
  Chunk& front = ranges_.front();
  want = std::min(want, front.size());
  Chunk out{front.begin, front.begin + want};
  if (align_) out.end = std::min(front.end, align_(out.end));
  front.begin = out.end;
  if (front.begin == front.end) ranges_.pop_front();
  remaining_ -= out.size();
  return out;
}

}  // namespace rsim::sched
