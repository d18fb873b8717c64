// Built-in kernel "enet_cv": K-fold cross-validated elastic net, gaussian,
// by coordinate descent on the covariance form, as glmnet.  On the rows of
// a fit it minimises
//   1/(2m) RSS + lambda (alpha ||b||_1 + (1 - alpha)/2 ||b||_2^2 / s_y)
// over the standardised predictors (1/m standard deviation), s_y the 1/m
// standard deviation of y: glmnet standardises y before it fits and divides
// a user-given lambda by s_y, which leaves the lasso part on y's scale and
// shrinks the ridge part by s_y.  So the coefficients are those of
// glmnet(x, y, alpha = alpha, lambda = lambda, standardize = TRUE).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/learn_common.hpp"

namespace rsim::run {
namespace {

// Convergence: a pass changes no coefficient by more than 1e-12 in the units
// of standardised x and y (glmnet's thresh = 1e-24); at most kMaxPasses.
constexpr double kThresh = 1e-24;
constexpr int kMaxPasses = 100000;

class EnetCv : public learn::GaussianCvKernel {
 protected:
  void declare(KernelSetup& s) override {
    penalty_.declare(s);
  }

  void solve(const learn::GaussianProblem& q, const TaskParams& p, double* b) override {
    const std::size_t n = q.p;
    if (!(q.y_var > 0)) throw std::runtime_error("enet_cv: the response is constant in the rows of this fit");
    const double ys = std::sqrt(q.y_var);
    const double lambda = p.get_float(penalty_.lambda), alpha = p.get_float(penalty_.alpha);
    const double l1 = lambda * alpha, l2 = lambda * (1 - alpha) / ys;
    const double tol = kThresh * q.y_var;
    r_.resize(n);                          // no-op after the first task
    for (std::size_t j = 0; j < n; ++j) {  // r = g - G b
      if (!q.active[j]) b[j] = 0;
      double v = q.g[j];
      for (std::size_t l = 0; l < n; ++l) v -= q.G[j * n + l] * b[l];
      r_[j] = v;
    }
    // A full pass, then passes over the non-zero coefficients until they
    // settle, until a full pass changes nothing either.
    int passes = 0;
    for (;;) {
      if (pass(q, b, l1, l2, false) < tol) return;
      while (pass(q, b, l1, l2, true) >= tol)
        if (++passes > kMaxPasses) break;
      if (++passes > kMaxPasses)
        throw std::runtime_error("enet_cv: coordinate descent did not converge in " + std::to_string(kMaxPasses) +
                                 " passes (alpha = " + std::to_string(alpha) + ", lambda = " + std::to_string(lambda) +
                                 ")");
    }
  }

 private:
  // One coordinate-descent pass; returns the largest G_jj * change^2.
  double pass(const learn::GaussianProblem& q, double* b, double l1, double l2, bool nonzero_only) {
    const std::size_t n = q.p;
    double dlx = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (!q.active[j] || (nonzero_only && b[j] == 0)) continue;
      const double* gj = q.G.data() + j * n;
      const double old = b[j];
      const double now = learn::soft_threshold(r_[j] + gj[j] * old, l1) / (gj[j] + l2);
      if (now == old) continue;
      const double d = now - old;
      b[j] = now;
      for (std::size_t l = 0; l < n; ++l) r_[l] -= gj[l] * d;
      dlx = std::max(dlx, gj[j] * d * d);
    }
    return dlx;
  }

  learn::PenaltyParams penalty_;
  std::vector<double> r_;
};

}  // namespace

void register_enet_cv(KernelRegistry& registry) {
  registry.add("enet_cv",
               "K-fold cross-validated elastic net (gaussian, coordinate descent, coefficients as glmnet's); "
               "params data = \"train\", response, predictors, folds = 10, fold_column, standardize = true, "
               "alpha, lambda; fields cv_loss, cv_se, nonzero, intercept, coef",
               [] { return std::make_unique<EnetCv>(); });
}

}  // namespace rsim::run
