// Built-in kernel "ttest_power": one replicate of a two-sample t-test, for
// power and type I error studies.  Draws x ~ N(0, sd) n times, then
// y ~ N(delta, sd) n times, and tests y against x two-sided, as R's
// t.test(y, x, var.equal = (test == "student")) does.
#include <cmath>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/run/native/stats.hpp"

namespace rsim::run {
namespace {

struct TTestResult {
  double estimate;  // mean(y) - mean(x)
  double p_value;
};

// Welch's test: unequal variances, Welch-Satterthwaite df.
TTestResult welch_test(const RunningMoments& y, const RunningMoments& x) {
  const double vy = y.variance() / static_cast<double>(y.count());
  const double vx = x.variance() / static_cast<double>(x.count());
  const double v = vy + vx;
  const double df =
      v * v / (vy * vy / static_cast<double>(y.count() - 1) + vx * vx / static_cast<double>(x.count() - 1));
  const double est = y.mean() - x.mean();
  return {est, t_two_sided_p(est / std::sqrt(v), df)};
}

// Student's test: pooled variance, n_y + n_x - 2 df.
TTestResult student_test(const RunningMoments& y, const RunningMoments& x) {
  const double df = static_cast<double>(y.count() + x.count() - 2);
  const double pooled = (static_cast<double>(y.count() - 1) * y.variance() +
                         static_cast<double>(x.count() - 1) * x.variance()) /
                        df;
  const double se =
      std::sqrt(pooled * (1.0 / static_cast<double>(y.count()) + 1.0 / static_cast<double>(x.count())));
  const double est = y.mean() - x.mean();
  return {est, t_two_sided_p(est / se, df)};
}

class TTestPower : public Kernel {
 public:
  core::Schema setup(KernelSetup& s) override {
    n_ = s.param("n", core::ValueType::Int);
    s.require(n_, at_least_two, "n >= 2");
    delta_ = s.param("delta", core::ValueType::Float);
    s.require(delta_, is_finite, "a finite delta");
    sd_ = s.param("sd", core::ValueType::Float, 1.0);
    s.require(sd_, positive_finite, "sd > 0");
    alpha_ = s.param("alpha", core::ValueType::Float, 0.05);
    s.require(alpha_, in_open_unit_interval, "0 < alpha < 1");
    test_ = s.choice("test", {"welch", "student"}, "welch");
    return {{"reject", core::ValueType::Int},
            {"p_value", core::ValueType::Float},
            {"estimate", core::ValueType::Float}};
  }

  void run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) override {
    const std::int64_t n = p.get_int(n_);
    const double delta = p.get_float(delta_);
    const double sd = p.get_float(sd_);
    RunningMoments x, y;
    for (std::int64_t i = 0; i < n; ++i) x.add(sd * rng.normal());
    for (std::int64_t i = 0; i < n; ++i) y.add(delta + sd * rng.normal());
    const TTestResult r = p.get_string(test_) == "student" ? student_test(y, x) : welch_test(y, x);
    out.set_int(kReject, r.p_value < p.get_float(alpha_) ? 1 : 0);
    out.set_float(kPValue, r.p_value);
    out.set_float(kEstimate, r.estimate);
  }

 private:
  enum Column : std::size_t { kReject, kPValue, kEstimate };
  ParamRef n_, delta_, sd_, alpha_, test_;
};

}  // namespace

void register_ttest_power(KernelRegistry& registry) {
  registry.add("ttest_power",
               "two-sample t-test of N(delta, sd) vs N(0, sd) samples of size n; "
               "params n, delta, sd = 1, alpha = 0.05, test = \"welch\" | \"student\"; "
               "fields reject, p_value, estimate",
               [] { return std::make_unique<TTestPower>(); });
}

}  // namespace rsim::run
