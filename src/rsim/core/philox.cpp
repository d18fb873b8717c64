#include "rsim/core/philox.hpp"

#include <Random123/philox.h>

#include <cmath>

namespace rsim::core {

Philox::Philox(std::uint64_t seed, std::uint64_t task) : key_{seed, task} {}

void Philox::refill() {
  const r123::Philox4x64::ctr_type ctr = {{block_, 0, 0, 0}};
  const r123::Philox4x64::key_type key = {{key_[0], key_[1]}};
  const r123::Philox4x64::ctr_type out = r123::Philox4x64()(ctr, key);
  for (unsigned i = 0; i < 4; ++i) buf_[i] = out.v[i];
  ++block_;
  pos_ = 0;
}

std::uint64_t Philox::next_u64() {
  if (pos_ == 4) refill();
  return buf_[pos_++];
}

double Philox::uniform() {
  // The top 53 bits, centred in their cell: (k + 0.5) / 2^53 lies strictly inside (0, 1).
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
  return (static_cast<double>(next_u64() >> 11) + 0.5) * kTwoToMinus53;
}

double Philox::normal() {
  // Marsaglia's polar method; each accepted pair yields two values.
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_ = true;
  return u * f;
}

double Philox::exponential() { return -std::log(uniform()); }

}  // namespace rsim::core
