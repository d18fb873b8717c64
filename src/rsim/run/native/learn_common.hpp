#pragma once
// What the model-training kernels (ridge_cv, enet_cv, logistic_cv) share:
// the parameters they all take, the design matrix built once per rank from a
// [data] input, the folds of a task, the cross-validation summary, and the
// gaussian cross-validation loop that ridge_cv and enet_cv differ in only by
// their solver.
//
// Scaling (as glmnet): a fit on m rows standardises each predictor by its
// mean and 1/m standard deviation over those rows (standardize = true) or
// only centres it (false), fits an unpenalised intercept, and reports
// coefficients on the original scale.  Within a cross-validation fold the
// training rows are standardised by their own means and deviations, as
// glmnet called on the training rows would.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rsim/run/native/kernel.hpp"

namespace rsim::run::learn {

enum class Response { gaussian, binary };

// data, response, predictors, folds, fold_column and standardize, declared
// in that order by every learner.
struct CommonParams {
  ParamRef data, response, predictors, folds, fold_column, standardize;
  void declare(KernelSetup& s);
};

// The rows of a job, built once per rank.  Predictors are held centred and
// scaled by their full-data mean and 1/n standard deviation,
// z = (x - center) / scale (scale 1 for a constant column), row by row: the
// sums of squares the fits need then stay well conditioned.
struct Design {
  std::size_t n = 0, p = 0;
  std::vector<std::string> names;  // predictors, in the order of coef
  std::vector<double> z;           // n x p, row-major
  std::vector<double> center, scale;
  std::vector<char> constant;  // predictor constant over all rows
  std::vector<double> y;       // response
  double y_mean = 0;
  std::vector<std::uint32_t> fixed_fold;  // fold_column - 1; empty without one
  std::uint32_t fixed_k = 0;
  std::uint32_t max_k = 0;  // the most folds any task uses
  const double* row(std::size_t i) const { return z.data() + i * p; }
};

// Reads the columns, checks them (ConfigError naming the column), and fixes
// `folds` to 2..n.  Call after every parameter is declared.
Design build_design(KernelSetup& s, const CommonParams& c, Response r);

// The elastic-net penalty of a kernel: alpha in [0, 1] and lambda >= 0.
struct PenaltyParams {
  ParamRef alpha, lambda;
  void declare(KernelSetup& s);
};

// The fold (0..K-1) of every row for one task.
class Folds {
 public:
  void reserve(const Design& d);
  // The fixed folds of fold_column (k is then ignored), or a random
  // permutation of the rows drawn from the task's stream, row perm[i] in
  // fold i mod k.
  void assign(const Design& d, std::uint32_t k, core::Philox& rng);
  std::uint32_t k() const { return k_; }
  std::uint32_t of(std::size_t row) const { return fold_[row]; }
  std::size_t size(std::uint32_t f) const { return count_[f]; }

 private:
  std::vector<std::uint32_t> perm_, fold_;
  std::vector<std::size_t> count_;
  std::uint32_t k_ = 0;
};

// A uniform integer in [0, m), unbiased (Lemire's multiply and reject).
std::uint64_t uniform_below(core::Philox& rng, std::uint64_t m);

// The held-out losses of the folds, summarised as cv.glmnet does: the mean
// weighted by fold size (the mean loss over all held-out rows) and
// sqrt(sum_k n_k (L_k - mean)^2 / n / (K - 1)).  With equal folds these are
// the plain mean and standard error of the fold losses.
class CvSummary {
 public:
  void reserve(std::size_t k) { loss_.reserve(k), rows_.reserve(k); }
  void clear() { loss_.clear(), rows_.clear(); }
  void add(double loss, std::size_t rows) { loss_.push_back(loss), rows_.push_back(rows); }
  double mean() const;
  double se() const;

 private:
  std::vector<double> loss_;
  std::vector<std::size_t> rows_;
};

inline double soft_threshold(double x, double t) {
  return x > t ? x - t : (x < -t ? x + t : 0.0);
}

// Sums over a set of rows of z (which is centred on the full data) and of the
// centred response: what a gaussian fit on those rows needs.
struct GaussianSums {
  double n = 0, sy = 0, syy = 0;
  std::vector<double> sx, sxy, sxx;  // sxx: upper triangle of p x p, row-major
  std::vector<double> lo, hi;        // smallest and largest z per column
  void reset(std::size_t p);
  void add(const double* z, double y);
  void set_difference(const GaussianSums& all, const GaussianSums& part);  // ranges excluded
};

// A gaussian problem in coordinates u_j = (z_j - mz_j) / c_j of its rows,
// c_j making u_j the standardised (or only centred) predictor:
// G = U'U / m and g = U'(y - mean y) / m.  Inactive predictors (constant
// over the rows) have coefficient 0.
struct GaussianProblem {
  std::size_t p = 0;
  double m = 0, y_mean = 0, y_var = 0;  // y_var: 1/m variance of y
  std::vector<double> G, g, mz, c;
  std::vector<char> active;
};

// ridge_cv and enet_cv: the CV loop over the folds' sufficient statistics;
// a subclass declares its parameters and solves one problem.
class GaussianCvKernel : public Kernel {
 public:
  core::Schema setup(KernelSetup& s) final;
  void run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) final;

 protected:
  virtual void declare(KernelSetup& s) = 0;
  // Fills b[0..p) with the coefficients of prob on the u scale; b holds a
  // starting point (zeros for the fit on all rows, that fit for a fold's).
  // Throws std::runtime_error if there is no solution (the task fails).
  virtual void solve(const GaussianProblem& prob, const TaskParams& p, double* b) = 0;

 private:
  void build_problem(const GaussianSums& sums, bool standardize, const std::vector<char>& exclude);
  // Turns the solution b_ into z-scale coefficients bz_ and intercept (centred y).
  double to_z_scale();

  enum Column : std::size_t { kCvLoss, kCvSe, kNonzero, kIntercept, kCoef };

  CommonParams common_;
  Design d_;
  Folds folds_;
  CvSummary cv_;
  std::vector<double> yc_;  // y - mean(y)
  GaussianSums total_, train_;
  std::vector<GaussianSums> fold_sums_;
  GaussianProblem prob_;
  std::vector<double> b_, bz_, bz_all_;
  std::vector<char> inactive_;
};

}  // namespace rsim::run::learn
