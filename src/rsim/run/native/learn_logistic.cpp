// Built-in kernel "logistic_cv": K-fold cross-validated penalised logistic
// regression (response 0/1).  On the m rows of a fit it minimises
//   -1/m sum_i [y_i eta_i - log(1 + exp(eta_i))] + lambda (alpha ||b||_1 + (1 - alpha)/2 ||b||_2^2),
//   eta_i = b0 + u_i'b,
// over the standardised predictors u (1/m standard deviation), intercept
// unpenalised, by IRLS with coordinate descent on each weighted least-squares
// step, as glmnet(family = "binomial") does.  Unlike glmnet, which drops
// rows whose fitted probability passes 1e-5 or 1 - 1e-5 from the weights, it
// keeps every row; the two agree unless the classes are close to separable.
// Held-out loss: binomial deviance per row, -2 [y log p + (1 - y) log(1 - p)]
// with p clamped to [1e-5, 1 - 1e-5], and the misclassification rate of the
// rule p > 0.5 (both as cv.glmnet).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/learn_common.hpp"

namespace rsim::run {
namespace {

// Convergence on (weighted) squared coefficient changes: an IRLS step below
// kOuterTol ends the fit; each weighted least-squares step is solved to
// kInnerTol.  Limits on IRLS steps and coordinate-descent passes.
constexpr double kOuterTol = 1e-22;
constexpr double kInnerTol = 1e-26;
constexpr int kMaxSteps = 100;
constexpr int kMaxPasses = 100000;
constexpr double kProbMin = 1e-5;
constexpr std::size_t kCovarianceMaxP = 100;

double log1p_exp(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

class LogisticCv : public Kernel {
 public:
  core::Schema setup(KernelSetup& s) override {
    common_.declare(s);
    penalty_.declare(s);
    d_ = learn::build_design(s, common_, learn::Response::binary);

    const std::size_t n = d_.n, p = d_.p, k = d_.max_k;
    folds_.reserve(d_);
    cv_.reserve(k);
    u_.resize(n * p);
    for (auto* v : {&y_, &eta_, &v_, &wr_}) v->resize(n);
    for (auto* v : {&xv_, &b_, &bold_, &bz_, &bz_all_, &mz_, &c_}) v->resize(p);
    active_.resize(p);
    for (auto* v : {&fsum_, &fsq_, &flo_, &fhi_}) v->resize(k * p);
    if (p <= kCovarianceMaxP) h_.resize((p + 1) * (p + 1)), r_.resize(p + 1);
    all_sum_.assign(p, 0.0);
    all_sq_.assign(p, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < p; ++j) all_sum_[j] += d_.row(i)[j], all_sq_[j] += d_.row(i)[j] * d_.row(i)[j];
    core::Schema fields(kCoef + 1);
    fields[kCvLoss] = {"cv_loss", core::ValueType::Float};
    fields[kCvSe] = {"cv_se", core::ValueType::Float};
    fields[kCvMisclass] = {"cv_misclass", core::ValueType::Float};
    fields[kNonzero] = {"nonzero", core::ValueType::Int};
    fields[kIntercept] = {"intercept", core::ValueType::Float};
    fields[kCoef] = {"coef", core::ValueType::Float, static_cast<std::uint32_t>(p)};
    return fields;
  }

  void run(const TaskParams& tp, core::Philox& rng, core::RowWriter& out) override {
    const std::size_t p = d_.p;
    const bool standardize = tp.get_bool(common_.standardize);
    const double lambda = tp.get_float(penalty_.lambda), alpha = tp.get_float(penalty_.alpha);
    const double l1 = lambda * alpha, l2 = lambda * (1 - alpha);
    folds_.assign(d_, static_cast<std::uint32_t>(tp.get_int(common_.folds)), rng);
    const std::uint32_t k = folds_.k();
    fold_stats();

    // All rows first: its fit is the warm start of the folds'.
    prepare(k, standardize);
    std::fill(b_.begin(), b_.end(), 0.0);
    double b0 = std::log(mean_y_ / (1 - mean_y_));
    fit(m_, l1, l2, b0, b_.data());
    const double b0z_all = to_z_scale(b0, bz_all_.data());

    cv_.clear();
    double wrong = 0;
    for (std::uint32_t f = 0; f < k; ++f) {
      prepare(f, standardize);
      if (mean_y_ == 0 || mean_y_ == 1)
        throw std::runtime_error("logistic_cv: the training rows of fold " + std::to_string(f + 1) +
                                 " hold only one class");
      b0 = b0z_all;
      for (std::size_t j = 0; j < p; ++j) {
        b_[j] = active_[j] ? bz_all_[j] * c_[j] : 0.0;
        b0 += bz_all_[j] * mz_[j];
      }
      fit(m_, l1, l2, b0, b_.data());
      const double b0z = to_z_scale(b0, bz_.data());
      double dev = 0;
      for (std::size_t i = 0; i < d_.n; ++i) {
        if (folds_.of(i) != f) continue;
        const double* z = d_.row(i);
        double eta = b0z;
        for (std::size_t j = 0; j < p; ++j) eta += bz_[j] * z[j];
        const double pr = std::clamp(sigmoid(eta), kProbMin, 1 - kProbMin);
        const bool one = d_.y[i] == 1;
        dev -= 2 * (one ? std::log(pr) : std::log(1 - pr));
        wrong += one != (eta > 0);
      }
      cv_.add(dev / static_cast<double>(folds_.size(f)), folds_.size(f));
    }

    double intercept = b0z_all;
    double* coef = out.float_vector(kCoef);
    std::int64_t nonzero = 0;
    for (std::size_t j = 0; j < p; ++j) {
      coef[j] = bz_all_[j] / d_.scale[j];
      intercept -= coef[j] * d_.center[j];
      nonzero += coef[j] != 0;
    }
    out.set_float(kCvLoss, cv_.mean());
    out.set_float(kCvSe, cv_.se());
    out.set_float(kCvMisclass, wrong / static_cast<double>(d_.n));
    out.set_int(kNonzero, nonzero);
    out.set_float(kIntercept, intercept);
  }

 private:
  enum Column : std::size_t { kCvLoss, kCvSe, kCvMisclass, kNonzero, kIntercept, kCoef };

  // Per fold and column: sum, sum of squares, smallest and largest z.
  void fold_stats() {
    const std::size_t p = d_.p, k = folds_.k();
    std::fill(fsum_.begin(), fsum_.begin() + k * p, 0.0);
    std::fill(fsq_.begin(), fsq_.begin() + k * p, 0.0);
    std::fill(flo_.begin(), flo_.begin() + k * p, std::numeric_limits<double>::infinity());
    std::fill(fhi_.begin(), fhi_.begin() + k * p, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < d_.n; ++i) {
      const std::size_t o = folds_.of(i) * p;
      const double* z = d_.row(i);
      for (std::size_t j = 0; j < p; ++j) {
        fsum_[o + j] += z[j];
        fsq_[o + j] += z[j] * z[j];
        flo_[o + j] = std::min(flo_[o + j], z[j]);
        fhi_[o + j] = std::max(fhi_[o + j], z[j]);
      }
    }
  }

  // The training rows of fold `held_out` (all rows for held_out = K) into
  // u_ (column-major) and y_, standardised by their own means and 1/m
  // deviations (or centred only); sets m_, mean_y_, mz_, c_, active_.  All
  // rows use the sums of setup, so that fit depends on the parameters only.
  void prepare(std::uint32_t held_out, bool standardize) {
    const std::size_t p = d_.p, k = folds_.k();
    m_ = 0;
    double ones = 0;
    for (std::size_t i = 0; i < d_.n; ++i)
      if (folds_.of(i) != held_out) ++m_, ones += d_.y[i];
    mean_y_ = ones / static_cast<double>(m_);
    const double m = static_cast<double>(m_);
    for (std::size_t j = 0; j < p; ++j) {
      double sum = all_sum_[j], sq = all_sq_[j];
      bool constant = d_.constant[j];
      if (held_out < k) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        sum = sq = 0;
        for (std::size_t f = 0; f < k; ++f) {
          if (f == held_out) continue;
          sum += fsum_[f * p + j], sq += fsq_[f * p + j];
          lo = std::min(lo, flo_[f * p + j]), hi = std::max(hi, fhi_[f * p + j]);
        }
        constant = lo == hi;
      }
      mz_[j] = sum / m;
      const double var = std::max(0.0, sq / m - mz_[j] * mz_[j]);
      active_[j] = !constant && var > 0;
      c_[j] = !active_[j] ? 1.0 : standardize ? std::sqrt(var) : 1.0 / d_.scale[j];
    }
    std::size_t r = 0;
    for (std::size_t i = 0; i < d_.n; ++i) {
      if (folds_.of(i) == held_out) continue;
      const double* z = d_.row(i);
      for (std::size_t j = 0; j < p; ++j) u_[j * m_ + r] = active_[j] ? (z[j] - mz_[j]) / c_[j] : 0.0;
      y_[r++] = d_.y[i];
    }
  }

  // The fit's coefficients b_ (u scale) as z-scale coefficients bz; returns
  // the intercept for z.
  double to_z_scale(double b0, double* bz) const {
    for (std::size_t j = 0; j < d_.p; ++j) {
      bz[j] = active_[j] ? b_[j] / c_[j] : 0.0;
      b0 -= bz[j] * mz_[j];
    }
    return b0;
  }

  // eta_ = b0 + U b; returns the penalised objective.
  double objective(std::size_t m, double l1, double l2, double b0, const double* b) {
    std::fill(eta_.begin(), eta_.begin() + m, b0);
    double pen = 0;
    for (std::size_t j = 0; j < d_.p; ++j) {
      if (b[j] == 0) continue;
      pen += l1 * std::fabs(b[j]) + l2 / 2 * b[j] * b[j];
      const double* col = u_.data() + j * m;
      for (std::size_t i = 0; i < m; ++i) eta_[i] += col[i] * b[j];
    }
    double nll = 0;
    for (std::size_t i = 0; i < m; ++i) nll += log1p_exp(eta_[i]) - y_[i] * eta_[i];
    return nll / static_cast<double>(m) + pen;
  }

  // IRLS: each step solves the weighted least-squares problem of the
  // quadratic approximation at eta by coordinate descent; a step that raises
  // the objective is halved.  b0 and b hold the start and receive the fit.
  void fit(std::size_t m, double l1, double l2, double& b0, double* b) {
    const double inv_m = 1 / static_cast<double>(m);
    double obj = objective(m, l1, l2, b0, b);
    for (int step = 0; step < kMaxSteps; ++step) {
      double sumv = 0;
      for (std::size_t i = 0; i < m; ++i) {
        const double pr = sigmoid(eta_[i]);
        v_[i] = pr * (1 - pr) * inv_m;
        wr_[i] = (y_[i] - pr) * inv_m;
        sumv += v_[i];
      }
      if (!(sumv > 1e-10))
        throw std::runtime_error(
            "logistic_cv: fitted probabilities are all 0 or 1 (the classes are separable at "
            "this lambda); use a larger lambda");
      std::copy(b, b + d_.p, bold_.begin());
      const double b0old = b0;
      weighted_least_squares(m, l1, l2, sumv, b0, b);

      double now = objective(m, l1, l2, b0, b);
      for (int half = 0; half < 50 && now > obj + 1e-13 * std::fabs(obj); ++half) {
        for (std::size_t j = 0; j < d_.p; ++j) b[j] = (b[j] + bold_[j]) / 2;
        b0 = (b0 + b0old) / 2;
        now = objective(m, l1, l2, b0, b);
      }
      obj = now;
      double change = sumv * (b0 - b0old) * (b0 - b0old);
      for (std::size_t j = 0; j < d_.p; ++j) change = std::max(change, xv_[j] * (b[j] - bold_[j]) * (b[j] - bold_[j]));
      if (change < kOuterTol) return;
    }
    throw std::runtime_error("logistic_cv: IRLS did not converge in " + std::to_string(kMaxSteps) + " steps");
  }

  // Coordinate descent on sum_i v_i (r_i - d0 - u_i'd)^2 / 2 + penalty, with
  // wr_ = v * working residual; full passes alternate with passes over the
  // non-zero coefficients.  Up to kCovarianceMaxP predictors it works on the
  // weighted cross-products (O(p^2) a pass once they are built), beyond on
  // the rows (O(m p) a pass).
  void weighted_least_squares(std::size_t m, double l1, double l2, double sumv, double& b0, double* b) {
    const bool covariance = d_.p <= kCovarianceMaxP;
    if (covariance) weighted_cross_products(m);
    for (std::size_t j = 0; j < d_.p; ++j) {  // weighted sums of squares
      double s = 0;
      if (covariance) {
        s = h_[j * (d_.p + 1) + j];
      } else if (active_[j]) {
        const double* col = u_.data() + j * m;
        for (std::size_t i = 0; i < m; ++i) s += v_[i] * col[i] * col[i];
      }
      xv_[j] = s;
    }
    int passes = 0;
    for (;;) {
      if (pass(m, l1, l2, sumv, b0, b, false, covariance) < kInnerTol) return;
      while (pass(m, l1, l2, sumv, b0, b, true, covariance) >= kInnerTol)
        if (++passes > kMaxPasses) break;
      if (++passes > kMaxPasses)
        throw std::runtime_error("logistic_cv: coordinate descent did not converge in " + std::to_string(kMaxPasses) +
                                 " passes");
    }
  }

  // h_ = [U 1]' V [U 1] ((p + 1) x (p + 1), the intercept last) and
  // r_ = [U 1]' wr_.
  void weighted_cross_products(std::size_t m) {
    const std::size_t p = d_.p, q = p + 1;
    for (std::size_t j = 0; j < q; ++j) {
      const double* cj = j < p ? u_.data() + j * m : nullptr;
      double r = 0;
      for (std::size_t i = 0; i < m; ++i) r += wr_[i] * (cj ? cj[i] : 1.0);
      r_[j] = r;
      for (std::size_t l = j; l < q; ++l) {
        double h = 0;
        if (l < p && !active_[l]) {
          h = 0;
        } else if (l < p) {
          const double* cl = u_.data() + l * m;
          for (std::size_t i = 0; i < m; ++i) h += v_[i] * (cj ? cj[i] : 1.0) * cl[i];
        } else {
          for (std::size_t i = 0; i < m; ++i) h += v_[i] * (cj ? cj[i] : 1.0);
        }
        h_[j * q + l] = h_[l * q + j] = h;
      }
    }
  }

  double pass(std::size_t m, double l1, double l2, double sumv, double& b0, double* b, bool nonzero_only,
              bool covariance) {
    const std::size_t p = d_.p, q = p + 1;
    double dlx = 0;
    for (std::size_t j = 0; j < p; ++j) {
      if (!active_[j] || (nonzero_only && b[j] == 0)) continue;
      const double* col = u_.data() + j * m;
      double g = 0;
      if (covariance) {
        g = r_[j];
      } else {
        for (std::size_t i = 0; i < m; ++i) g += wr_[i] * col[i];
      }
      const double old = b[j];
      const double now = learn::soft_threshold(g + xv_[j] * old, l1) / (xv_[j] + l2);
      if (now == old) continue;
      const double d = now - old;
      b[j] = now;
      if (covariance) {
        for (std::size_t l = 0; l < q; ++l) r_[l] -= h_[j * q + l] * d;
      } else {
        for (std::size_t i = 0; i < m; ++i) wr_[i] -= v_[i] * col[i] * d;
      }
      dlx = std::max(dlx, xv_[j] * d * d);
    }
    double d0 = 0;
    if (covariance) {
      d0 = r_[p] / sumv;
      for (std::size_t l = 0; l < q; ++l) r_[l] -= h_[p * q + l] * d0;
    } else {
      double s = 0;
      for (std::size_t i = 0; i < m; ++i) s += wr_[i];
      d0 = s / sumv;
      for (std::size_t i = 0; i < m; ++i) wr_[i] -= v_[i] * d0;
    }
    b0 += d0;
    return std::max(dlx, sumv * d0 * d0);
  }

  learn::CommonParams common_;
  learn::PenaltyParams penalty_;
  learn::Design d_;
  learn::Folds folds_;
  learn::CvSummary cv_;
  std::size_t m_ = 0;  // rows of the current fit
  double mean_y_ = 0;
  std::vector<double> u_, y_, eta_, v_, wr_;                  // per row of the fit
  std::vector<double> xv_, b_, bold_, bz_, bz_all_, mz_, c_;  // per predictor
  std::vector<char> active_;
  std::vector<double> fsum_, fsq_, flo_, fhi_;  // per fold and predictor
  std::vector<double> all_sum_, all_sq_;        // per predictor, over all rows
  std::vector<double> h_, r_;                   // weighted cross-products, p + 1 (intercept last)
};

}  // namespace

void register_logistic_cv(KernelRegistry& registry) {
  registry.add("logistic_cv",
               "K-fold cross-validated penalised logistic regression (response 0/1, IRLS and coordinate descent, "
               "coefficients as glmnet's family = \"binomial\"); params data = \"train\", response, predictors, "
               "folds = 10, fold_column, standardize = true, alpha, lambda; fields cv_loss (deviance), cv_se, "
               "cv_misclass, nonzero, intercept, coef",
               [] { return std::make_unique<LogisticCv>(); });
}

}  // namespace rsim::run
