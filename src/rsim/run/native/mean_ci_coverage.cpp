// Built-in kernel "mean_ci_coverage": does the t-interval for a mean cover
// the true mean?  Draws n values from the chosen distribution and forms
// mean +- qt(1 - (1 - level) / 2, n - 1) * sd / sqrt(n).
#include <cmath>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/run/native/stats.hpp"

namespace rsim::run {
namespace {

class MeanCiCoverage : public Kernel {
 public:
  core::Schema setup(KernelSetup& s) override {
    n_ = s.param("n", core::ValueType::Int);
    s.require(n_, at_least_two, "n >= 2");
    dist_ = s.choice("dist", {"normal", "exponential", "lognormal"}, "normal");
    level_ = s.param("level", core::ValueType::Float, 0.95);
    s.require(level_, in_open_unit_interval, "0 < level < 1");
    return {{"covered", core::ValueType::Int},
            {"lower", core::ValueType::Float},
            {"upper", core::ValueType::Float}};
  }

  void run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) override {
    const std::int64_t n = p.get_int(n_);
    const std::string& dist = p.get_string(dist_);
    RunningMoments m;
    double true_mean;
    if (dist == "normal") {
      for (std::int64_t i = 0; i < n; ++i) m.add(rng.normal());
      true_mean = 0;
    } else if (dist == "exponential") {
      for (std::int64_t i = 0; i < n; ++i) m.add(rng.exponential());
      true_mean = 1;
    } else {  // lognormal, meanlog 0, sdlog 1
      for (std::int64_t i = 0; i < n; ++i) m.add(std::exp(rng.normal()));
      true_mean = std::exp(0.5);
    }
    const double half = quantile(n, p.get_float(level_)) * std::sqrt(m.variance() / static_cast<double>(n));
    const double lower = m.mean() - half;
    const double upper = m.mean() + half;
    out.set_int(kCovered, lower <= true_mean && true_mean <= upper ? 1 : 0);
    out.set_float(kLower, lower);
    out.set_float(kUpper, upper);
  }

 private:
  enum Column : std::size_t { kCovered, kLower, kUpper };

  // qt(1 - (1 - level) / 2, n - 1), kept for the last (n, level): consecutive
  // tasks usually share their grid point.
  double quantile(std::int64_t n, double level) {
    if (n != cached_n_ || level != cached_level_) {
      cached_q_ = t_quantile(1 - (1 - level) / 2, static_cast<double>(n - 1));
      cached_n_ = n;
      cached_level_ = level;
    }
    return cached_q_;
  }

  ParamRef n_, dist_, level_;
  std::int64_t cached_n_ = -1;
  double cached_level_ = 0;
  double cached_q_ = 0;
};

}  // namespace

void register_mean_ci_coverage(KernelRegistry& registry) {
  registry.add("mean_ci_coverage",
               "coverage of the t-interval for a mean from n draws; "
               "params n, dist = \"normal\" | \"exponential\" | \"lognormal\", level = 0.95; "
               "fields covered, lower, upper",
               [] { return std::make_unique<MeanCiCoverage>(); });
}

}  // namespace rsim::run
