#pragma once
// Running summaries of one numeric field: count, mean, the sum of squared
// deviations (M2), minimum, maximum.  Values are added one at a time in
// Welford's way; two summaries merge with Chan et al.'s formulas.  Both are
// deterministic but not associative in floating point, so rsim adds the
// values of a block in replicate order and merges blocks in block order
// (docs/summaries.md): the result is then the same at any rank count.
#include <cstdint>

namespace rsim::core {

struct Moments {
  std::uint64_t n = 0;  // values added (missing values are not)
  double mean = 0;
  double m2 = 0;        // sum of squared deviations from the mean
  double min = 0, max = 0;  // meaningful when n > 0

  void add(double x) {
    ++n;
    if (n == 1) {
      mean = x;
      m2 = 0;
      min = max = x;
      return;
    }
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  // Appends `b`, the summary of the values that follow ours (Chan et al.).
  void merge(const Moments& b);
  // The sample variance (denominator n - 1); NaN below two values.
  double variance() const;
  // The Monte Carlo standard error of the mean: sqrt(variance / n); NaN below two values.
  double mcse() const;
};

}  // namespace rsim::core
