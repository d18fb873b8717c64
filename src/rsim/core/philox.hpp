#pragma once
// A task's native random stream: Random123 Philox4x64-10 keyed by
// (job seed, task id), counting up from zero.  The stream depends on those
// two numbers only, never on the rank or the order tasks run in.
#include <cstdint>

namespace rsim::core {

class Philox {
 public:
  Philox(std::uint64_t seed, std::uint64_t task);
  std::uint64_t next_u64();
  double uniform();      // in (0, 1), 53 random bits, never 0 or 1
  double normal();       // standard normal
  double exponential();  // rate 1
 private:
  void refill();  // the next block of four outputs into buf_

  std::uint64_t key_[2];       // {seed, task}
  std::uint64_t block_ = 0;    // counter word 0 of the next block; words 1..3 stay 0
  std::uint64_t buf_[4] = {};  // outputs of the current block
  unsigned pos_ = 4;           // next unread output in buf_; 4 = empty
  double spare_normal_ = 0;    // second value of the last polar pair
  bool has_spare_ = false;
};

}  // namespace rsim::core
