#pragma once
// The R backend's random streams: R's L'Ecuyer-CMRG (MRG32k3a) state as
// set.seed(seed, kind = "L'Ecuyer-CMRG") leaves it, and parallel::nextRNGStream
// computed by jump-ahead.  Task t of a job gets exactly the state R reaches by
// applying nextRNGStream t + 1 times to the seeded state, whatever the rank or
// the order tasks run in.
#include <array>
#include <cstdint>

namespace rsim::core {

// R's L'Ecuyer-CMRG state: the 6 seed words of .Random.seed[2:7], as unsigned
// words.  Valid states have words 0-2 below m1 = 4294967087 and words 3-5
// below m2 = 4294944443, neither triple all zero.
using LecuyerState = std::array<std::uint32_t, 6>;

// The state set.seed(seed, kind = "L'Ecuyer-CMRG") leaves.  seed is an R
// integer: -2147483648 is NA_integer_, which R refuses, and so does this
// (throws BackendError).
LecuyerState lecuyer_from_seed(std::int32_t seed);

// parallel::nextRNGStream applied once: the state 2^127 draws further on.
LecuyerState next_stream(const LecuyerState& s);

// parallel::nextRNGStream applied k times, in O(log k) 3x3 steps.
LecuyerState advance_streams(const LecuyerState& s, std::uint64_t k);

// The stream of rsim task `task`: nextRNGStream applied task + 1 times to
// lecuyer_from_seed(seed).  Defined for every task id (no overflow at the top).
LecuyerState task_stream(std::int32_t seed, std::uint64_t task);

// .Random.seed as R 4.x holds it for this state: c(10407L, the 6 words as
// signed integers).  10407 = L'Ecuyer-CMRG + 100 * Inversion + 10000 * Rejection,
// R's default normal.kind and sample.kind.  Assigning it to .Random.seed in R
// continues the stream s exactly.
std::array<std::int32_t, 7> random_seed_vector(const LecuyerState& s);

// Streams of one seed for a rank that runs tasks mostly in increasing order:
// the next task id costs one nextRNGStream step, any other id a full jump.
// The result equals task_stream(seed, task) whatever the order of calls.
class StreamCursor {
 public:
  explicit StreamCursor(std::int32_t seed);
  std::int32_t seed() const noexcept { return seed_; }
  LecuyerState stream(std::uint64_t task);

 private:
  std::int32_t seed_;
  LecuyerState start_;       // lecuyer_from_seed(seed_)
  bool has_last_ = false;    // false until the first stream() call
  std::uint64_t last_ = 0;   // task of the previous stream() call
  LecuyerState state_ = {};  // its stream
};

}  // namespace rsim::core
