#pragma once
// Statistics shared by the built-in kernels: running moments in one pass and
// the Student t distribution.  Header-only; nothing here allocates.
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

namespace rsim::run {

// Welford's running mean and variance: one pass, numerically stable.
class RunningMoments {
 public:
  void add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
  }
  std::int64_t count() const { return n_; }
  double mean() const { return mean_; }
  // Sample variance (denominator n - 1); NaN with fewer than two values.
  double variance() const {
    return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  std::int64_t n_ = 0;
  double mean_ = 0;
  double m2_ = 0;  // sum of squared deviations from the running mean
};

// Requirements on kernel parameters, for KernelSetup::require.
inline bool at_least_two(double v) { return v >= 2; }
inline bool in_open_unit_interval(double v) { return v > 0 && v < 1; }  // alpha, confidence level
inline bool is_finite(double v) { return std::isfinite(v); }
inline bool positive_finite(double v) { return v > 0 && std::isfinite(v); }

// Student's t distribution, computed in double rather than Boost's default
// long double: 3x faster and still within 1e-14 of R's pt/qt (the kernel
// tests compare with R).  Throws std::domain_error for df <= 0 or a NaN
// argument, which fails the task with that message.
using StudentsT = boost::math::students_t_distribution<
    double, boost::math::policies::policy<boost::math::policies::promote_double<false>>>;

// P(|T| >= |t|) for T ~ t(df): the two-sided p-value of a t statistic.
inline double t_two_sided_p(double t, double df) {
  return 2.0 * boost::math::cdf(boost::math::complement(StudentsT(df), std::fabs(t)));
}

// The p-quantile of t(df), e.g. qt(0.975, df).
inline double t_quantile(double p, double df) { return boost::math::quantile(StudentsT(df), p); }

}  // namespace rsim::run
