// The model-training kernels ridge_cv, enet_cv and logistic_cv: fits and
// cross-validation compared with glmnet (run by Rscript on datasets that
// ship with R), folds that depend on (seed, task) only, and the messages of
// bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_harness.hpp"
#include "rsim/core/error.hpp"
#include "rsim/core/philox.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/run/native/learn_common.hpp"

namespace core = rsim::core;
namespace grid = rsim::grid;
namespace learn = rsim::run::learn;
using rsim::run::KernelRegistry;
using rsim::run::KernelSetup;
using rsim::run::TaskParams;

namespace {

using rsim::test::param;

// Sets the job's kernel up on `tables` and runs tasks [first, first + count).
core::ResultBatch run_tasks(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables, std::uint64_t first,
                            std::uint64_t count) {
  return rsim::test::run_kernel(spec, first, count, &tables);
}
core::ConfigError setup_error(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables) {
  return rsim::test::kernel_setup_error(spec, &tables);
}

grid::NamedValue arg(const std::string& name, core::Value v, std::uint32_t line = 9) {
  return {name, std::move(v), line};
}

std::vector<core::Value> floats_of(const std::vector<double>& xs) {
  return {xs.begin(), xs.end()};
}

grid::JobSpec make_spec(const std::string& kernel, std::vector<grid::Param> params, std::vector<grid::NamedValue> args,
                        std::uint64_t replicates = 1) {
  grid::JobSpec s = rsim::test::kernel_spec("learn", kernel, std::move(params), std::move(args), replicates);
  s.data.push_back({"train", "/data/train.csv", "", 12});
  return s;
}

core::ResultBatch run_all(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables) {
  return run_tasks(spec, tables, 0, grid::TaskSpace(spec).n_tasks());
}

using rsim::test::field;
using rsim::test::floats;
using rsim::test::ints;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Intercept then coefficients of task t, as R prints coef(fit).
std::vector<double> fit_of(const core::ResultBatch& b, std::size_t t) {
  const std::size_t p = b.schema()[field(b, "coef")].width;
  std::vector<double> v{floats(b, "intercept")[t]};
  v.insert(v.end(), floats(b, "coef").begin() + static_cast<std::ptrdiff_t>(t * p),
           floats(b, "coef").begin() + static_cast<std::ptrdiff_t>((t + 1) * p));
  return v;
}

// Largest |a - b| / |b| over all entries (an exact zero must match exactly).
double max_rel(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (b[i] == 0 || a[i] == 0) {
      EXPECT_EQ(a[i], b[i]) << "entry " << i << ": one of the two is an exact zero";
      continue;
    }
    m = std::max(m, std::fabs(a[i] - b[i]) / std::fabs(b[i]));
  }
  return m;
}

core::DataColumn numeric(const std::string& name, std::vector<double> v) {
  core::DataColumn c;
  c.name = name;
  c.values = std::move(v);
  return c;
}
core::DataColumn text(const std::string& name, std::vector<std::string> v) {
  core::DataColumn c;
  c.name = name;
  c.numeric = false;
  c.strings = std::move(v);
  return c;
}

// A small table built in code: y = 1 + 2 x1 - x2 + noise, b = (y > 1),
// a text column and a fold column 1..4.
std::vector<core::DataTable> small_table(std::size_t n = 40) {
  core::DataTable t;
  t.name = "train";
  t.rows = n;
  std::vector<double> x1(n), x2(n), x3(n), y(n), b(n), fold(n);
  std::vector<std::string> group(n);
  core::Philox rng(7, 0);
  for (std::size_t i = 0; i < n; ++i) {
    x1[i] = rng.normal();
    x2[i] = 3 + 2 * rng.normal();
    x3[i] = rng.uniform();
    y[i] = 1 + 2 * x1[i] - x2[i] + 0.5 * rng.normal();
    b[i] = (x1[i] + 0.8 * rng.normal()) > 0 ? 1 : 0;
    fold[i] = static_cast<double>(i % 4 + 1);
    group[i] = i % 2 ? "a" : "b";
  }
  t.columns = {numeric("y", y), numeric("x1", x1),    numeric("x2", x2),    numeric("x3", x3),
               numeric("b", b), text("group", group), numeric("fold", fold)};
  return {t};
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
  static std::string rscript(const std::string& script) {
    std::ofstream(path("check.R")) << script;
    const std::string cmd = "Rscript --vanilla " + path("check.R");
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return "";
    std::string out;
    char buf[4096];
    while (std::size_t got = std::fread(buf, 1, sizeof buf, p)) out.append(buf, got);
    EXPECT_EQ(pclose(p), 0) << cmd;
    return out;
  }
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

  // R code that reads the file into x (predictors) and y.
  static std::string r_data(const std::string& file, const std::string& response, const std::string& preds) {
    return "suppressMessages(library(glmnet))\n"
           "d <- read.csv('" +
           path(file) +
           "')\n"
           "x <- as.matrix(d[, trimws(strsplit('" +
           preds +
           "', ',')[[1]])])\n"
           "y <- d$" +
           response +
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

  // The job of `kernel` on file `file` over alpha x lambda (alpha only for
  // enet_cv and logistic_cv).
  static grid::JobSpec job(const std::string& kernel, const std::string& response, const std::string& preds,
                           const std::vector<double>& alphas, const std::vector<double>& lambdas,
                           std::vector<grid::NamedValue> more = {}) {
    std::vector<grid::Param> params;
    if (!alphas.empty()) params.push_back(param("alpha", floats_of(alphas)));
    params.push_back(param("lambda", floats_of(lambdas)));
    more.push_back(arg("response", response));
    more.push_back(arg("predictors", preds));
    return make_spec(kernel, std::move(params), std::move(more));
  }

  // Largest relative difference between the all-data fits of every task of
  // `batch` and the coefficients of glmnet(x, y, family, alpha, lambda,
  // thresh, standardize) over the same alpha x lambda grid.
  static double glmnet_difference(const core::ResultBatch& batch, const std::string& r_setup, const std::string& family,
                                  const std::vector<double>& alphas, const std::vector<double>& lambdas,
                                  bool standardize, const std::string& thresh) {
    const std::string script = r_setup + "for (a in " + r_vector(alphas) + ") for (l in " + r_vector(lambdas) +
                               ") out(as.vector(coef(glmnet(x, y, family = '" + family +
                               "', alpha = a, lambda = l, thresh = " + thresh +
                               ", standardize = " + (standardize ? "TRUE" : "FALSE") + "))))\n";
    const auto r = r_rows(script);
    EXPECT_EQ(r.size(), batch.size());
    double worst = 0;
    for (std::size_t t = 0; t < std::min(r.size(), batch.size()); ++t)
      worst = std::max(worst, max_rel(fit_of(batch, t), r[t]));
    return worst;
  }

  static inline std::string dir_;
  static inline bool ready_ = false;
};

const std::string kSwissX = "Agriculture, Examination, Education, Catholic, Infant_Mortality";
const std::string kInfertX = "age, parity, induced, spontaneous";
const std::vector<double> kAlphas = {0.0, 0.5, 1.0};

void report(const std::string& what, double rel) {
  std::printf("[ learners ] %s: max relative difference %.3g\n", what.c_str(), rel);
}

}  // namespace

// ---- fits on all rows against glmnet ----

TEST_F(Learners, EnetCoefficientsMatchGlmnet) {
  const std::vector<double> lambdas = {0.02, 0.3, 2.0};
  const auto batch = run_all(job("enet_cv", "Fertility", kSwissX, kAlphas, lambdas), load("swiss.csv"));
  const std::string setup = r_data("swiss.csv", "Fertility", kSwissX);
  const double rel = glmnet_difference(batch, setup, "gaussian", kAlphas, lambdas, true, "1e-20");
  report("enet_cv vs glmnet(thresh = 1e-20)", rel);
  EXPECT_LT(rel, 1e-6);
  // glmnet's own thresh = 1e-12 stops a little short of the optimum.
  report("enet_cv vs glmnet(thresh = 1e-12)",
         glmnet_difference(batch, setup, "gaussian", kAlphas, lambdas, true, "1e-12"));
  EXPECT_LT(ints(batch, "nonzero")[8], 5) << "the lasso at lambda = 2 drops a predictor";
}

TEST_F(Learners, EnetWithoutStandardisingMatchesGlmnet) {
  const std::vector<double> lambdas = {0.05, 1.0};
  const auto batch =
      run_all(job("enet_cv", "Fertility", kSwissX, kAlphas, lambdas, {arg("standardize", false)}), load("swiss.csv"));
  const double rel =
      glmnet_difference(batch, r_data("swiss.csv", "Fertility", kSwissX), "gaussian", kAlphas, lambdas, false, "1e-20");
  report("enet_cv (standardize = false) vs glmnet", rel);
  EXPECT_LT(rel, 1e-6);
}

TEST_F(Learners, LogisticCoefficientsMatchGlmnet) {
  const std::vector<double> lambdas = {0.002, 0.02, 0.08};
  const auto batch = run_all(job("logistic_cv", "case", kInfertX, kAlphas, lambdas), load("infert.csv"));
  const std::string setup = r_data("infert.csv", "case", kInfertX);
  const double rel = glmnet_difference(batch, setup, "binomial", kAlphas, lambdas, true, "1e-20");
  report("logistic_cv vs glmnet(binomial, thresh = 1e-20)", rel);
  EXPECT_LT(rel, 1e-6);
  report("logistic_cv vs glmnet(binomial, thresh = 1e-12)",
         glmnet_difference(batch, setup, "binomial", kAlphas, lambdas, true, "1e-12"));
}

TEST_F(Learners, LogisticWithoutStandardisingMatchesGlmnet) {
  const std::vector<double> lambdas = {0.01, 0.05};
  const auto batch =
      run_all(job("logistic_cv", "case", kInfertX, kAlphas, lambdas, {arg("standardize", false)}), load("infert.csv"));
  const double rel =
      glmnet_difference(batch, r_data("infert.csv", "case", kInfertX), "binomial", kAlphas, lambdas, false, "1e-20");
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
  std::string preds;
  for (int j = 1; j <= 110; ++j) preds += (j > 1 ? ", x" : "x") + std::to_string(j);
  const auto batch = run_all(job("logistic_cv", "y", preds, kAlphas, lambdas), load("wide.csv"));
  const double rel =
      glmnet_difference(batch, r_data("wide.csv", "y", preds), "binomial", kAlphas, lambdas, true, "1e-20");
  report("logistic_cv, 110 predictors, vs glmnet", rel);
  EXPECT_LT(rel, 1e-6);
}

// ridge_cv minimises 1/(2n) RSS + lambda/2 ||b||^2 over predictors scaled
// by their 1/n standard deviation: b = (Z'Z/n + lambda I)^-1 Z'(y - ybar)/n.
TEST_F(Learners, RidgeIsTheClosedFormOnStandardisedPredictors) {
  const std::vector<double> lambdas = {0.0, 0.1, 1.0, 10.0};
  const auto batch = run_all(job("ridge_cv", "Fertility", kSwissX, {}, lambdas), load("swiss.csv"));
  const auto r = r_rows(r_data("swiss.csv", "Fertility", kSwissX) +
                        "n <- nrow(x); s <- apply(x, 2, function(v) sqrt(mean((v - mean(v))^2)))\n"
                        "z <- scale(x, colMeans(x), s); yc <- y - mean(y)\n"
                        "for (l in " +
                        r_vector(lambdas) +
                        ") {\n"
                        "  b <- solve(crossprod(z) / n + l * diag(ncol(x)), crossprod(z, yc) / n) / s\n"
                        "  out(c(mean(y) - sum(b * colMeans(x)), b))\n"
                        "}\n");
  ASSERT_EQ(r.size(), lambdas.size());
  double worst = 0;
  for (std::size_t t = 0; t < r.size(); ++t) worst = std::max(worst, max_rel(fit_of(batch, t), r[t]));
  report("ridge_cv vs solve() in R", worst);
  EXPECT_LT(worst, 1e-9);
  // lambda = 0 is least squares.
  const auto ols = r_rows(r_data("swiss.csv", "Fertility", kSwissX) + "out(coef(lm(y ~ x)))\n");
  ASSERT_EQ(ols.size(), 1u);
  EXPECT_LT(max_rel(fit_of(batch, 0), ols[0]), 1e-9);
}

// glmnet divides a user's lambda by the response's 1/n standard deviation s_y
// (it standardises y), so its ridge at lambda * s_y is ridge_cv at lambda.
TEST_F(Learners, RidgeIsGlmnetAlphaZeroAtLambdaTimesSdOfY) {
  const std::vector<double> lambdas = {0.1, 1.0};
  const auto tables = load("swiss.csv");
  const auto batch = run_all(job("ridge_cv", "Fertility", kSwissX, {}, lambdas), tables);
  const auto r =
      r_rows(r_data("swiss.csv", "Fertility", kSwissX) + "sy <- sqrt(mean((y - mean(y))^2))\n" + "for (l in " +
             r_vector(lambdas) + ") out(as.vector(coef(glmnet(x, y, alpha = 0, lambda = l * sy, thresh = 1e-20))))\n");
  ASSERT_EQ(r.size(), lambdas.size());
  double worst = 0;
  for (std::size_t t = 0; t < r.size(); ++t) worst = std::max(worst, max_rel(fit_of(batch, t), r[t]));
  report("ridge_cv(lambda) vs glmnet(alpha = 0, lambda * s_y)", worst);
  EXPECT_LT(worst, 1e-6);
}

// ---- cross-validation against glmnet fitted fold by fold ----

TEST_F(Learners, EnetCrossValidationMatchesGlmnetOnTheSameFolds) {
  const std::vector<double> lambdas = {0.05, 1.0};
  const auto batch =
      run_all(job("enet_cv", "Fertility", kSwissX, kAlphas, lambdas, {arg("fold_column", "fold")}), load("swiss.csv"));
  const auto r = r_rows(r_data("swiss.csv", "Fertility", kSwissX) + "f <- d$fold\n" + "for (a in " + r_vector(kAlphas) +
                        ") for (l in " + r_vector(lambdas) +
                        ") {\n"
                        "  loss <- sapply(1:5, function(k) {\n"
                        "    fit <- glmnet(x[f != k, ], y[f != k], alpha = a, lambda = l, thresh = 1e-20)\n"
                        "    mean((y[f == k] - predict(fit, x[f == k, , drop = FALSE]))^2)\n"
                        "  })\n"
                        "  w <- tabulate(f); m <- weighted.mean(loss, w)\n"
                        "  out(c(m, sqrt(weighted.mean((loss - m)^2, w) / 4)))\n"
                        "}\n");
  ASSERT_EQ(r.size(), batch.size());
  std::vector<double> mine, theirs;
  for (std::size_t t = 0; t < r.size(); ++t) {
    mine.insert(mine.end(), {floats(batch, "cv_loss")[t], floats(batch, "cv_se")[t]});
    theirs.insert(theirs.end(), r[t].begin(), r[t].end());
  }
  const double rel = max_rel(mine, theirs);
  report("enet_cv cv_loss, cv_se vs glmnet per fold", rel);
  EXPECT_LT(rel, 1e-6);
}

TEST_F(Learners, LogisticCrossValidationMatchesGlmnetOnTheSameFolds) {
  const std::vector<double> lambdas = {0.005, 0.05};
  const auto batch = run_all(job("logistic_cv", "case", kInfertX, kAlphas, lambdas, {arg("fold_column", "stratum")}),
                             load("infert.csv"));
  // infert's stratum (1..83) as 83 folds of 2-3 rows: leave-a-stratum-out.
  const auto r = r_rows(r_data("infert.csv", "case", kInfertX) + "f <- d$stratum; K <- max(f)\n" + "for (a in " +
                        r_vector(kAlphas) + ") for (l in " + r_vector(lambdas) +
                        ") {\n"
                        "  dev <- wrong <- numeric(K)\n"
                        "  for (k in 1:K) {\n"
                        "    fit <- glmnet(x[f != k, ], y[f != k], family = 'binomial', alpha = a, lambda = l,\n"
                        "                  thresh = 1e-20)\n"
                        "    p <- predict(fit, x[f == k, , drop = FALSE], type = 'response')\n"
                        "    wrong[k] <- sum((y[f == k] == 1) != (p > 0.5))\n"
                        "    p <- pmin(pmax(p, 1e-5), 1 - 1e-5)\n"
                        "    dev[k] <- mean(-2 * (y[f == k] * log(p) + (1 - y[f == k]) * log(1 - p)))\n"
                        "  }\n"
                        "  w <- tabulate(f); m <- weighted.mean(dev, w)\n"
                        "  out(c(m, sqrt(weighted.mean((dev - m)^2, w) / (K - 1)), sum(wrong) / length(y)))\n"
                        "}\n");
  ASSERT_EQ(r.size(), batch.size());
  std::vector<double> mine, theirs;
  for (std::size_t t = 0; t < r.size(); ++t) {
    mine.insert(mine.end(), {floats(batch, "cv_loss")[t], floats(batch, "cv_se")[t], floats(batch, "cv_misclass")[t]});
    theirs.insert(theirs.end(), r[t].begin(), r[t].end());
  }
  const double rel = max_rel(mine, theirs);
  report("logistic_cv cv_loss, cv_se, cv_misclass vs glmnet per fold", rel);
  EXPECT_LT(rel, 1e-6);
}

// ---- folds ----

TEST(LearnersFolds, DependOnSeedAndTaskOnlyAndAreBalanced) {
  const auto tables = small_table(43);
  grid::JobSpec spec = make_spec("enet_cv", {param("lambda", {0.1})}, {arg("response", "y"), arg("alpha", 0.5)}, 6);
  const grid::TaskSpace space(spec);
  KernelSetup setup(spec, space, &tables);
  learn::CommonParams common;
  common.declare(setup);
  setup.param("alpha", core::ValueType::Float);
  setup.param("lambda", core::ValueType::Float);
  const learn::Design d = learn::build_design(setup, common, learn::Response::gaussian);
  EXPECT_EQ(d.names, (std::vector<std::string>{"x1", "x2", "x3", "b", "fold"}));

  auto folds_of = [&](std::uint64_t seed, std::uint64_t task) {
    learn::Folds f;
    f.reserve(d);
    core::Philox rng(seed, task);
    f.assign(d, 10, rng);
    std::vector<std::uint32_t> ids(d.n);
    for (std::size_t i = 0; i < d.n; ++i) ids[i] = f.of(i);
    for (std::uint32_t k = 0; k < 10; ++k) EXPECT_TRUE(f.size(k) == 4 || f.size(k) == 5) << f.size(k);
    return ids;
  };
  EXPECT_EQ(folds_of(1, 3), folds_of(1, 3));
  EXPECT_NE(folds_of(1, 3), folds_of(1, 4));
  EXPECT_NE(folds_of(1, 3), folds_of(2, 3));
}

TEST(LearnersFolds, SameTaskSameResultsWhateverRanItBefore) {
  const auto tables = small_table();
  for (const std::string kernel : {"enet_cv", "logistic_cv"}) {
    const auto spec = make_spec(kernel, {param("alpha", {0.0, 1.0}), param("lambda", {0.05})},
                                {arg("response", kernel == "enet_cv" ? "y" : "b"), arg("predictors", "x1, x2, x3"),
                                 arg("folds", std::int64_t{5})},
                                4);
    const auto all = run_all(spec, tables);            // tasks 0..7 on one rank
    const auto alone = run_tasks(spec, tables, 6, 1);  // task 6 alone
    const auto again = run_tasks(spec, tables, 5, 2);  // tasks 5, 6
    EXPECT_EQ(floats(alone, "cv_loss")[0], floats(all, "cv_loss")[6]) << kernel;
    EXPECT_EQ(floats(again, "cv_loss")[1], floats(all, "cv_loss")[6]) << kernel;
    EXPECT_EQ(fit_of(alone, 0), fit_of(all, 6)) << kernel;
    // Replicates of a point draw different folds: different CV losses, the same fit on all rows.
    EXPECT_NE(floats(all, "cv_loss")[4], floats(all, "cv_loss")[5]) << kernel;
    EXPECT_EQ(fit_of(all, 4), fit_of(all, 5)) << kernel;
  }
}

TEST(LearnersFolds, AFoldColumnFixesTheFolds) {
  const auto tables = small_table();
  for (const std::string kernel : {"ridge_cv", "enet_cv", "logistic_cv"}) {
    std::vector<grid::Param> params = {param("lambda", {0.05})};
    if (kernel != "ridge_cv") params.push_back(param("alpha", {0.5}));
    const auto spec = make_spec(kernel, params,
                                {arg("response", kernel == "logistic_cv" ? "b" : "y"), arg("predictors", "x1, x2, x3"),
                                 arg("fold_column", "fold")},
                                3);
    const auto batch = run_all(spec, tables);
    ASSERT_EQ(batch.size(), 3u);
    EXPECT_EQ(floats(batch, "cv_loss")[0], floats(batch, "cv_loss")[1]) << kernel;
    EXPECT_EQ(floats(batch, "cv_loss")[0], floats(batch, "cv_loss")[2]) << kernel;
    EXPECT_GT(floats(batch, "cv_se")[0], 0) << kernel;
  }
}

// ---- results without R ----

TEST(LearnersFits, RidgeFitEqualsEnetAtAlphaZeroWithLambdaTimesSdOfY) {
  const auto tables = small_table();
  const auto& y = tables[0].find("y")->values;
  double m = 0, ss = 0;
  for (double v : y) m += v / static_cast<double>(y.size());
  for (double v : y) ss += (v - m) * (v - m);
  const double sy = std::sqrt(ss / static_cast<double>(y.size()));
  const std::vector<grid::NamedValue> common = {arg("response", "y"), arg("predictors", "x1, x2, x3"),
                                                arg("fold_column", "fold")};
  auto with = [&](std::vector<grid::NamedValue> more) {
    auto a = common;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const auto ridge = run_all(make_spec("ridge_cv", {param("lambda", {0.3})}, common), tables);
  const auto enet = run_all(make_spec("enet_cv", {param("lambda", {0.3 * sy})}, with({arg("alpha", 0.0)})), tables);
  EXPECT_LT(max_rel(fit_of(ridge, 0), fit_of(enet, 0)), 1e-9);
  // Not so in cross-validation: enet_cv scales by the s_y of each fold's training rows.
  EXPECT_NE(floats(ridge, "cv_loss")[0], floats(enet, "cv_loss")[0]);
  EXPECT_EQ(ints(ridge, "nonzero")[0], 3);
  // A lasso with a large lambda keeps only the intercept, the mean of y.
  const auto empty = run_all(make_spec("enet_cv", {param("lambda", {100.0})}, with({arg("alpha", 1.0)})), tables);
  EXPECT_EQ(ints(empty, "nonzero")[0], 0);
  EXPECT_NEAR(floats(empty, "intercept")[0], m, 1e-12);
}

TEST(LearnersFits, SchemaHasOneCoefficientPerPredictor) {
  const auto tables = small_table();
  const auto spec = make_spec("logistic_cv", {param("lambda", {0.01})},
                              {arg("response", "b"), arg("predictors", "x1,x2"), arg("alpha", 1.0)});
  const auto batch = run_all(spec, tables);
  const core::Schema want = {{"cv_loss", core::ValueType::Float},     {"cv_se", core::ValueType::Float},
                             {"cv_misclass", core::ValueType::Float}, {"nonzero", core::ValueType::Int},
                             {"intercept", core::ValueType::Float},   {"coef", core::ValueType::Float, 2}};
  EXPECT_EQ(batch.schema(), want);
  EXPECT_GT(floats(batch, "coef")[0], 0) << "b rises with x1";
  EXPECT_GE(floats(batch, "cv_misclass")[0], 0);
  EXPECT_LT(floats(batch, "cv_misclass")[0], 0.5);
}

// ---- bad inputs: ConfigErrors that name the column ----

TEST(LearnersErrors, TextPredictorIsNamed) {
  const auto e = setup_error(make_spec("enet_cv", {param("lambda", {0.1})},
                                       {arg("response", "y"), arg("alpha", 1.0), arg("predictors", "x1, group", 7)}),
                             small_table());
  EXPECT_EQ(e.location().key, "args.predictors");
  EXPECT_EQ(e.location().line, 7u);
  EXPECT_TRUE(has(e.what_failed(), "column \"group\" of [data] train (named by predictors) is not numeric"))
      << e.what();
  EXPECT_TRUE(has(e.what_failed(), "a value such as \"b\" is not a number")) << e.what();
}

TEST(LearnersErrors, MissingColumnsAreNamedWithTheColumnsThereAre) {
  const auto e =
      setup_error(make_spec("ridge_cv", {param("lambda", {0.1})}, {arg("response", "yy", 5)}), small_table());
  EXPECT_EQ(e.location().key, "args.response");
  EXPECT_EQ(e.what_failed(),
            "[data] train has no column \"yy\" (named by response); it has y, x1, x2, x3, b, group, fold");
  const auto p =
      setup_error(make_spec("ridge_cv", {param("lambda", {0.1})}, {arg("response", "y"), arg("predictors", "x1, x4")}),
                  small_table());
  EXPECT_TRUE(has(p.what_failed(), "no column \"x4\" (named by predictors)")) << p.what();
  const auto f =
      setup_error(make_spec("ridge_cv", {param("lambda", {0.1})}, {arg("response", "y"), arg("fold_column", "folds")}),
                  small_table());
  EXPECT_TRUE(has(f.what_failed(), "no column \"folds\" (named by fold_column)")) << f.what();
  const auto d = setup_error(
      make_spec("ridge_cv", {param("lambda", {0.1})}, {arg("response", "y"), arg("data", "test")}), small_table());
  EXPECT_EQ(d.location().key, "data.test");
  EXPECT_TRUE(has(d.what_failed(), "needs a [data] input called \"test\"; the job has train")) << d.what();
}

TEST(LearnersErrors, LogisticResponseMustBeZeroOrOne) {
  const auto e = setup_error(
      make_spec("logistic_cv", {param("lambda", {0.1})}, {arg("response", "x2", 4), arg("alpha", 1.0)}), small_table());
  EXPECT_EQ(e.location().key, "args.response");
  EXPECT_TRUE(has(e.what_failed(), "the response \"x2\" of a logistic model must be 0 or 1, but row 1")) << e.what();
}

TEST(LearnersErrors, FewerRowsThanFolds) {
  const auto e =
      setup_error(make_spec("enet_cv", {param("lambda", {0.1}), param("folds", {std::int64_t{5}, std::int64_t{50}}, 6)},
                            {arg("response", "y"), arg("alpha", 1.0)}),
                  small_table(40));
  EXPECT_EQ(e.location().key, "grid.folds");
  EXPECT_EQ(e.location().line, 6u);
  EXPECT_EQ(e.what_failed(),
            "kernel enet_cv requires 2 <= folds <= 40 (the rows of [data] train), but grid.folds gives 50");
}

TEST(LearnersErrors, FewerRowsThanTheDefaultFolds) {
  const auto e = setup_error(make_spec("ridge_cv", {param("lambda", {0.1})}, {arg("response", "y")}), small_table(8));
  EXPECT_EQ(e.location().key, "data.train");
  EXPECT_EQ(e.location().line, 12u);
  EXPECT_EQ(e.what_failed(), "[data] train has 8 rows, fewer than the 10 folds of the default");
  EXPECT_EQ(e.fix(), "set folds = 8 or fewer in [args]");
}

TEST(LearnersErrors, MissingValuesAndBadFoldColumnsAreNamed) {
  auto tables = small_table();
  tables[0].columns[2].values[6] = core::na_float();  // x2
  const auto e =
      setup_error(make_spec("enet_cv", {param("lambda", {0.1})}, {arg("response", "y"), arg("alpha", 1.0)}), tables);
  EXPECT_TRUE(has(e.what_failed(), "column \"x2\" of [data] train has a missing value (NA) in row 7")) << e.what();

  tables = small_table();
  tables[0].columns[6].values[3] = 2.5;  // fold
  const auto f = setup_error(make_spec("enet_cv", {param("lambda", {0.1})},
                                       {arg("response", "y"), arg("alpha", 1.0), arg("fold_column", "fold", 8)}),
                             tables);
  EXPECT_EQ(f.location().key, "args.fold_column");
  EXPECT_TRUE(has(f.what_failed(), "fold column \"fold\" must hold fold numbers 1, 2, ..., K, but row 4")) << f.what();

  const auto k = setup_error(make_spec("enet_cv", {param("lambda", {0.1})},
                                       {arg("response", "y"), arg("alpha", 1.0), arg("fold_column", "fold"),
                                        arg("folds", std::int64_t{10}, 11)}),
                             small_table());
  EXPECT_EQ(k.location().key, "args.folds");
  EXPECT_TRUE(has(k.what_failed(), "folds must match the 4 folds of fold column \"fold\"")) << k.what();
}

TEST(LearnersErrors, DataShapingParametersCannotBeGridParameters) {
  const auto e = setup_error(
      make_spec("enet_cv", {param("lambda", {0.1}), param("response", {std::string("y"), std::string("x1")}, 5)},
                {arg("alpha", 1.0)}),
      small_table());
  EXPECT_EQ(e.location().key, "grid.response");
  EXPECT_TRUE(has(e.what_failed(), "response must be the same for every task")) << e.what();
}

TEST(LearnersErrors, MissingResponseParameterListsWhatTheKernelTakes) {
  const auto e = setup_error(make_spec("enet_cv", {param("lambda", {0.1})}, {arg("alpha", 1.0)}), small_table());
  EXPECT_EQ(e.location().key, "grid.response");
  EXPECT_TRUE(
      has(e.what_failed(), "it takes data, response, predictors, folds, fold_column, standardize, alpha, lambda"))
      << e.what();
}
