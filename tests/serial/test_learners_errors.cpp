// Bad inputs of the learner kernels: ConfigErrors that name the column, the
// [data] input or the parameter, with its line.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "learners_data.hpp"
#include "rsim/core/schema.hpp"

namespace core = rsim::core;
using namespace rsim::test;

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
