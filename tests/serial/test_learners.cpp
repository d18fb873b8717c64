// The model-training kernels ridge_cv, enet_cv and logistic_cv against R:
// fits on all rows and cross-validation compared with glmnet (run by Rscript
// on datasets that ship with R, loaded by rsim's own [data] reader).  The
// tests without R are in test_learners_folds.cpp and test_learners_errors.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "learners_data.hpp"
#include "rscript.hpp"
#include "rsim/io/data_loader.hpp"

namespace core = rsim::core;
namespace grid = rsim::grid;
using namespace rsim::test;

namespace {

// A CSV file written by R: its name, response and predictors.
struct Dataset {
  std::string file, response, predictors;
};

const std::string kSwissX = "Agriculture, Examination, Education, Catholic, Infant_Mortality";
const Dataset kSwiss = {"swiss.csv", "Fertility", kSwissX};
const Dataset kInfert = {"infert.csv", "case", "age, parity, induced, spontaneous"};
const std::vector<double> kAlphas = {0.0, 0.5, 1.0};

void report(const std::string& what, double rel) {
  std::printf("[ learners ] %s: max relative difference %.3g\n", what.c_str(), rel);
}

// Data written by R (datasets::swiss with a random fold column, and
// datasets::infert), loaded by rsim's own [data] reader; glmnet is run by
// Rscript on the same files.  Skipped when R or glmnet is missing.
class Learners : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("Rscript -e 'quit(status = !requireNamespace(\"glmnet\", quietly = TRUE))' > /dev/null 2>&1") != 0)
      return;
    char tmpl[] = "/tmp/rsim-learners-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = tmpl;
    const std::string script =
        "d <- datasets::swiss\n"
        "names(d) <- gsub('.', '_', names(d), fixed = TRUE)\n"
        "set.seed(1)\n"
        "d$fold <- sample(rep_len(1:5, nrow(d)))\n"
        "write.csv(d, '" +
        path("swiss.csv") +
        "', row.names = FALSE)\n"
        "write.csv(datasets::infert, '" +
        path("infert.csv") + "', row.names = FALSE)\n";
    ready_ = !rscript(script).empty() || std::filesystem::exists(path("infert.csv"));
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (!ready_) GTEST_SKIP() << "needs Rscript and the R package glmnet (apt-get install r-cran-glmnet)";
  }

  static std::string path(const std::string& name) { return (std::filesystem::path(dir_) / name).string(); }

  // Runs an R script; returns its stdout.
  static std::string rscript(const std::string& script) { return rscript_output(path("check.R"), script); }

  // The numbers of each line R prints.
  static std::vector<std::vector<double>> r_rows(const std::string& script) {
    std::vector<std::vector<double>> rows;
    std::istringstream in(rscript(script));
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::vector<double> row;
      for (double v; ls >> v;) row.push_back(v);
      if (!row.empty()) rows.push_back(row);
    }
    return rows;
  }

  // The [data] input train from file `name`, as rsim loads it.
  static std::vector<core::DataTable> load(const std::string& name) {
    grid::JobSpec spec;
    spec.source_path = "study/grid.toml";
    spec.data.push_back({"train", path(name), "", 12});
    return rsim::io::load_data(spec);
  }

  // R code that reads the dataset into d, x (predictors) and y, and defines out().
  static std::string r_data(const Dataset& data) {
    return "suppressMessages(library(glmnet))\n"
           "d <- read.csv('" +
           path(data.file) +
           "')\n"
           "x <- as.matrix(d[, trimws(strsplit('" +
           data.predictors +
           "', ',')[[1]])])\n"
           "y <- d$" +
           data.response +
           "\n"
           "out <- function(v) cat(sprintf('%.17g', v), '\\n')\n";
  }
  static std::string r_vector(const std::vector<double>& v) {
    std::string s = "c(";
    for (std::size_t i = 0; i < v.size(); ++i) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%s%.17g", i ? ", " : "", v[i]);
      s += buf;
    }
    return s + ")";
  }
  // R's loop over the tasks of a job over kAlphas x lambdas, as a and l.
  static std::string r_tasks(const std::vector<double>& lambdas) {
    return "for (a in " + r_vector(kAlphas) + ") for (l in " + r_vector(lambdas) + ") ";
  }

  // All tasks of `kernel` on the [data] input `data`, over alpha x lambda
  // (alpha only for enet_cv and logistic_cv).
  static core::ResultBatch run_on(const Dataset& data, const std::string& kernel, const std::vector<double>& alphas,
                                  const std::vector<double>& lambdas, std::vector<grid::NamedValue> more = {}) {
    std::vector<grid::Param> params;
    if (!alphas.empty()) params.push_back(param("alpha", {alphas.begin(), alphas.end()}));
    params.push_back(param("lambda", {lambdas.begin(), lambdas.end()}));
    more.push_back(arg("response", data.response));
    more.push_back(arg("predictors", data.predictors));
    return run_all(make_spec(kernel, std::move(params), std::move(more)), load(data.file));
  }

  // Largest relative difference between the all-data fits of every task and
  // the coefficients R prints, one task a line.
  static double fits_difference(const core::ResultBatch& batch, const std::vector<std::vector<double>>& r) {
    EXPECT_EQ(r.size(), batch.size());
    double worst = 0;
    for (std::size_t t = 0; t < std::min(r.size(), batch.size()); ++t)
      worst = std::max(worst, max_rel(fit_of(batch, t), r[t]));
    return worst;
  }

  // fits_difference against glmnet(x, y, family, alpha, lambda, thresh,
  // standardize) over kAlphas x lambdas.
  static double glmnet_difference(const core::ResultBatch& batch, const Dataset& data, const std::string& family,
                                  const std::vector<double>& lambdas, bool standardize, const std::string& thresh) {
    return fits_difference(
        batch, r_rows(r_data(data) + r_tasks(lambdas) + "out(as.vector(coef(glmnet(x, y, family = '" + family +
                      "', alpha = a, lambda = l, thresh = " + thresh +
                      ", standardize = " + (standardize ? "TRUE" : "FALSE") + "))))\n"));
  }

  // glmnet_difference at thresh = 1e-20, reported with the difference at
  // glmnet's own thresh = 1e-12 (which stops a little short of the optimum).
  static double reported_difference(const core::ResultBatch& batch, const Dataset& data, const std::string& kernel,
                                    const std::string& family, const std::vector<double>& lambdas) {
    const double rel = glmnet_difference(batch, data, family, lambdas, true, "1e-20");
    report(kernel + " vs glmnet(" + family + ", thresh = 1e-20)", rel);
    report(kernel + " vs glmnet(" + family + ", thresh = 1e-12)",
           glmnet_difference(batch, data, family, lambdas, true, "1e-12"));
    return rel;
  }

  // glmnet_difference of `kernel` with standardize = false, in both.
  static double unstandardised_difference(const Dataset& data, const std::string& kernel, const std::string& family,
                                          const std::vector<double>& lambdas) {
    const auto batch = run_on(data, kernel, kAlphas, lambdas, {arg("standardize", false)});
    return glmnet_difference(batch, data, family, lambdas, false, "1e-20");
  }

  // Largest relative difference between the `fields` of every task of
  // `kernel` with fold_column = `folds`, over kAlphas x lambdas, and the
  // numbers that `r_task` prints for each task (given a, l, x, y and the
  // folds f).
  static double cv_difference(const Dataset& data, const std::string& kernel, const std::vector<double>& lambdas,
                              const std::string& folds, const std::vector<std::string>& fields,
                              const std::string& r_task) {
    const auto batch = run_on(data, kernel, kAlphas, lambdas, {arg("fold_column", folds)});
    const auto r = r_rows(r_data(data) + "f <- d$" + folds + "\n" + r_tasks(lambdas) + r_task);
    EXPECT_EQ(r.size(), batch.size());
    std::vector<double> mine, theirs;
    for (std::size_t t = 0; t < std::min(r.size(), batch.size()); ++t) {
      for (const auto& f : fields) mine.push_back(floats(batch, f)[t]);
      theirs.insert(theirs.end(), r[t].begin(), r[t].end());
    }
    return max_rel(mine, theirs);
  }

  static inline std::string dir_;
  static inline bool ready_ = false;
};

}  // namespace

// ---- fits on all rows against glmnet ----

TEST_F(Learners, EnetCoefficientsMatchGlmnet) {
  const std::vector<double> lambdas = {0.02, 0.3, 2.0};
  const auto batch = run_on(kSwiss, "enet_cv", kAlphas, lambdas);
  EXPECT_LT(reported_difference(batch, kSwiss, "enet_cv", "gaussian", lambdas), 1e-6);
  EXPECT_LT(ints(batch, "nonzero")[8], 5) << "the lasso at lambda = 2 drops a predictor";
}

TEST_F(Learners, EnetWithoutStandardisingMatchesGlmnet) {
  const double rel = unstandardised_difference(kSwiss, "enet_cv", "gaussian", {0.05, 1.0});
  report("enet_cv (standardize = false) vs glmnet", rel);
  EXPECT_LT(rel, 1e-6);
}

TEST_F(Learners, LogisticCoefficientsMatchGlmnet) {
  const std::vector<double> lambdas = {0.002, 0.02, 0.08};
  const auto batch = run_on(kInfert, "logistic_cv", kAlphas, lambdas);
  EXPECT_LT(reported_difference(batch, kInfert, "logistic_cv", "binomial", lambdas), 1e-6);
}

TEST_F(Learners, LogisticWithoutStandardisingMatchesGlmnet) {
  const double rel = unstandardised_difference(kInfert, "logistic_cv", "binomial", {0.01, 0.05});
  report("logistic_cv (standardize = false) vs glmnet", rel);
  EXPECT_LT(rel, 1e-6);
}

// Beyond 100 predictors logistic_cv works on the rows instead of the
// weighted cross-products: simulated data with 110 predictors.
TEST_F(Learners, LogisticWithManyPredictorsMatchesGlmnet) {
  rscript(
      "set.seed(3); n <- 300; p <- 110\n"
      "x <- matrix(rnorm(n * p), n, p); colnames(x) <- paste0('x', 1:p)\n"
      "y <- rbinom(n, 1, plogis(x[, 1] - x[, 2] + 0.5 * x[, 3]))\n"
      "write.csv(data.frame(y = y, x), '" +
      path("wide.csv") + "', row.names = FALSE)\n");
  const std::vector<double> lambdas = {0.03, 0.1};
  Dataset wide = {"wide.csv", "y", ""};
  for (int j = 1; j <= 110; ++j) wide.predictors += (j > 1 ? ", x" : "x") + std::to_string(j);
  const auto batch = run_on(wide, "logistic_cv", kAlphas, lambdas);
  const double rel = glmnet_difference(batch, wide, "binomial", lambdas, true, "1e-20");
  report("logistic_cv, 110 predictors, vs glmnet", rel);
  EXPECT_LT(rel, 1e-6);
}

// ridge_cv minimises 1/(2n) RSS + lambda/2 ||b||^2 over predictors scaled
// by their 1/n standard deviation: b = (Z'Z/n + lambda I)^-1 Z'(y - ybar)/n.
TEST_F(Learners, RidgeIsTheClosedFormOnStandardisedPredictors) {
  const std::vector<double> lambdas = {0.0, 0.1, 1.0, 10.0};
  const auto batch = run_on(kSwiss, "ridge_cv", {}, lambdas);
  const auto r = r_rows(r_data(kSwiss) +
                        "n <- nrow(x); s <- apply(x, 2, function(v) sqrt(mean((v - mean(v))^2)))\n"
                        "z <- scale(x, colMeans(x), s); yc <- y - mean(y)\n"
                        "for (l in " +
                        r_vector(lambdas) +
                        ") {\n"
                        "  b <- solve(crossprod(z) / n + l * diag(ncol(x)), crossprod(z, yc) / n) / s\n"
                        "  out(c(mean(y) - sum(b * colMeans(x)), b))\n"
                        "}\n");
  ASSERT_EQ(r.size(), lambdas.size());
  const double worst = fits_difference(batch, r);
  report("ridge_cv vs solve() in R", worst);
  EXPECT_LT(worst, 1e-9);
  // lambda = 0 is least squares.
  const auto ols = r_rows(r_data(kSwiss) + "out(coef(lm(y ~ x)))\n");
  ASSERT_EQ(ols.size(), 1u);
  EXPECT_LT(max_rel(fit_of(batch, 0), ols[0]), 1e-9);
}

// glmnet divides a user's lambda by the response's 1/n standard deviation s_y
// (it standardises y), so its ridge at lambda * s_y is ridge_cv at lambda.
TEST_F(Learners, RidgeIsGlmnetAlphaZeroAtLambdaTimesSdOfY) {
  const std::vector<double> lambdas = {0.1, 1.0};
  const auto batch = run_on(kSwiss, "ridge_cv", {}, lambdas);
  const auto r = r_rows(r_data(kSwiss) + "sy <- sqrt(mean((y - mean(y))^2))\n" + "for (l in " + r_vector(lambdas) +
                        ") out(as.vector(coef(glmnet(x, y, alpha = 0, lambda = l * sy, thresh = 1e-20))))\n");
  ASSERT_EQ(r.size(), lambdas.size());
  const double worst = fits_difference(batch, r);
  report("ridge_cv(lambda) vs glmnet(alpha = 0, lambda * s_y)", worst);
  EXPECT_LT(worst, 1e-6);
}

// ---- cross-validation against glmnet fitted fold by fold ----

TEST_F(Learners, EnetCrossValidationMatchesGlmnetOnTheSameFolds) {
  const double rel = cv_difference(kSwiss, "enet_cv", {0.05, 1.0}, "fold", {"cv_loss", "cv_se"},
                                   "{\n"
                                   "  loss <- sapply(1:5, function(k) {\n"
                                   "    fit <- glmnet(x[f != k, ], y[f != k], alpha = a, lambda = l, thresh = 1e-20)\n"
                                   "    mean((y[f == k] - predict(fit, x[f == k, , drop = FALSE]))^2)\n"
                                   "  })\n"
                                   "  w <- tabulate(f); m <- weighted.mean(loss, w)\n"
                                   "  out(c(m, sqrt(weighted.mean((loss - m)^2, w) / 4)))\n"
                                   "}\n");
  report("enet_cv cv_loss, cv_se vs glmnet per fold", rel);
  EXPECT_LT(rel, 1e-6);
}

// infert's stratum (1..83) as 83 folds of 2-3 rows: leave-a-stratum-out.
TEST_F(Learners, LogisticCrossValidationMatchesGlmnetOnTheSameFolds) {
  const double rel = cv_difference(
      kInfert, "logistic_cv", {0.005, 0.05}, "stratum", {"cv_loss", "cv_se", "cv_misclass"},
      "{\n"
      "  K <- max(f); dev <- wrong <- numeric(K)\n"
      "  for (k in 1:K) {\n"
      "    fit <- glmnet(x[f != k, ], y[f != k], family = 'binomial', alpha = a, lambda = l, thresh = 1e-20)\n"
      "    p <- predict(fit, x[f == k, , drop = FALSE], type = 'response')\n"
      "    wrong[k] <- sum((y[f == k] == 1) != (p > 0.5))\n"
      "    p <- pmin(pmax(p, 1e-5), 1 - 1e-5)\n"
      "    dev[k] <- mean(-2 * (y[f == k] * log(p) + (1 - y[f == k]) * log(1 - p)))\n"
      "  }\n"
      "  w <- tabulate(f); m <- weighted.mean(dev, w)\n"
      "  out(c(m, sqrt(weighted.mean((dev - m)^2, w) / (K - 1)), sum(wrong) / length(y)))\n"
      "}\n");
  report("logistic_cv cv_loss, cv_se, cv_misclass vs glmnet per fold", rel);
  EXPECT_LT(rel, 1e-6);
}
