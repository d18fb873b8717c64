#include "rsim/core/moments.hpp"

#include <cmath>
#include <limits>

namespace rsim::core {

void Moments::merge(const Moments& b) {
  if (b.n == 0) return;
  if (n == 0) {
    *this = b;
    return;
  }
  const double na = static_cast<double>(n), nb = static_cast<double>(b.n);
  const double nt = na + nb;
  const double d = b.mean - mean;
  mean += d * (nb / nt);
  m2 += b.m2 + d * d * (na * nb / nt);
  n += b.n;
  if (b.min < min) min = b.min;
  if (b.max > max) max = b.max;
}

double Moments::variance() const {
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  return m2 / static_cast<double>(n - 1);
}

double Moments::mcse() const {
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(variance() / static_cast<double>(n));
}

}  // namespace rsim::core
