// Built-in kernel "ridge_cv": K-fold cross-validated ridge regression in
// closed form.  On the rows of a fit it minimises
//   1/(2m) sum_i (y_i - b0 - u_i'b)^2 + lambda/2 ||b||^2
// over the standardised predictors u (1/m standard deviation; only centred
// with standardize = false), intercept unpenalised:
//   b = (U'U/m + lambda I)^-1 U'(y - mean y)/m.
// glmnet(alpha = 0) divides the penalty by the response's 1/m standard
// deviation s_y instead, so the fit of ridge_cv(lambda) on all rows is that
// of glmnet(alpha = 0, lambda = lambda * s_y) and of enet_cv(alpha = 0,
// lambda = lambda * s_y) (in cross-validation enet_cv uses the s_y of each
// fold's training rows, ridge_cv the same lambda in every fold).
#include <cmath>
#include <stdexcept>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/learn_common.hpp"

namespace rsim::run {
namespace {

class RidgeCv : public learn::GaussianCvKernel {
 protected:
  void declare(KernelSetup& s) override {
    lambda_ = s.param("lambda", core::ValueType::Float);
    s.require(
        lambda_, [](double v) { return v >= 0 && std::isfinite(v); }, "lambda >= 0, finite");
  }

  void solve(const learn::GaussianProblem& q, const TaskParams& p, double* b) override {
    const std::size_t n = q.p;
    const double lambda = p.get_float(lambda_);
    a_.resize(n * n);  // no-op after the first task
    // Cholesky factor L (lower triangle of a_) of G + lambda I over the active predictors.
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t l = 0; l <= j; ++l) {
        if (!q.active[j] || !q.active[l]) {
          a_[j * n + l] = j == l ? 1.0 : 0.0;
          continue;
        }
        double v = q.G[j * n + l] + (j == l ? lambda : 0.0);
        for (std::size_t k = 0; k < l; ++k) v -= a_[j * n + k] * a_[l * n + k];
        if (j == l) {
          if (!(v > 1e-12 * (q.G[j * n + j] + lambda)))
            throw std::runtime_error(
                "ridge_cv: the predictors are collinear in the rows of this fit, so lambda = 0 has no unique "
                "solution; use lambda > 0");
          a_[j * n + j] = std::sqrt(v);
        } else {
          a_[j * n + l] = v / a_[l * n + l];
        }
      }
    }
    for (std::size_t j = 0; j < n; ++j) {  // L w = g
      double v = q.active[j] ? q.g[j] : 0.0;
      for (std::size_t k = 0; k < j; ++k) v -= a_[j * n + k] * b[k];
      b[j] = v / a_[j * n + j];
    }
    for (std::size_t j = n; j-- > 0;) {  // L' b = w
      double v = b[j];
      for (std::size_t k = j + 1; k < n; ++k) v -= a_[k * n + j] * b[k];
      b[j] = v / a_[j * n + j];
    }
  }

 private:
  ParamRef lambda_;
  std::vector<double> a_;
};

}  // namespace

void register_ridge_cv(KernelRegistry& registry) {
  registry.add("ridge_cv",
               "K-fold cross-validated ridge regression in closed form, 1/(2n) RSS + lambda/2 ||b||^2 on "
               "standardised predictors; params data = \"train\", response, predictors, folds = 10, fold_column, "
               "standardize = true, lambda; fields cv_loss, cv_se, nonzero, intercept, coef",
               [] { return std::make_unique<RidgeCv>(); });
}

}  // namespace rsim::run
