// The learner kernels without R: cross-validation folds that depend on
// (seed, task) only or come from a fold column, and fits checked against
// each other (ridge_cv is enet_cv at alpha = 0) and against the schema.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "learners_data.hpp"
#include "rsim/core/philox.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/run/native/learn_common.hpp"

namespace core = rsim::core;
namespace grid = rsim::grid;
namespace learn = rsim::run::learn;
using namespace rsim::test;
using rsim::run::KernelSetup;

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
