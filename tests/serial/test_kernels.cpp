// The built-in native kernels and the parameter checks they get from
// KernelSetup: messages a user sees for a wrong grid.toml, and results
// compared with what R computes for the same data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_harness.hpp"
#include "rscript.hpp"
#include "rsim/core/error.hpp"
#include "rsim/core/philox.hpp"
#include "rsim/run/native/kernel.hpp"

namespace core = rsim::core;
namespace grid = rsim::grid;
using rsim::run::KernelRegistry;
using rsim::run::KernelSetup;
using rsim::run::TaskParams;

namespace {

using rsim::test::param;

grid::JobSpec make_spec(const std::string& kernel, std::vector<grid::Param> params,
                        std::vector<grid::NamedValue> args = {}, std::uint64_t replicates = 1) {
  return rsim::test::kernel_spec("test", kernel, std::move(params), std::move(args), replicates);
}
core::ResultBatch run_tasks(const grid::JobSpec& spec, std::uint64_t first, std::uint64_t count) {
  return rsim::test::run_kernel(spec, first, count);
}
core::ConfigError setup_error(const grid::JobSpec& spec) { return rsim::test::kernel_setup_error(spec); }

core::ResultBatch run_all(const grid::JobSpec& spec) {
  return run_tasks(spec, 0, grid::TaskSpace(spec).n_tasks());
}

using rsim::test::field;
using rsim::test::floats;
using rsim::test::ints;

using rsim::test::has;

// Kernel results; tests that compare with R run Rscript on files written
// into a folder that removes itself.
class Kernels : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Skips the test when R is missing; otherwise makes the temp folder.
  bool start_r() {
    if (std::system("Rscript --version > /dev/null 2>&1") != 0) return false;
    char tmpl[] = "/tmp/rsim-kernels-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir_ = tmpl;
    return true;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `script` with the data file as its argument; returns its stdout.
  std::string rscript(const std::string& script, const std::string& data_file) {
    return rsim::test::rscript_output(path("check.R"), script, data_file);
  }

  std::filesystem::path dir_;
};

}  // namespace

// ---- KernelSetup: what a wrong grid.toml tells the user ----

TEST(KernelSetup, MissingParameterNamesItAndListsTheKernelsParameters) {
  const auto e = setup_error(make_spec("ttest_power", {param("delta", {0.5})}));
  EXPECT_EQ(e.location().file, "study/grid.toml");
  EXPECT_EQ(e.location().key, "grid.n");
  EXPECT_TRUE(has(e.what_failed(), "needs parameter \"n\" (integer)")) << e.what();
  EXPECT_TRUE(has(e.what_failed(), "it takes n, delta, sd, alpha, test")) << e.what();
  EXPECT_TRUE(has(e.fix(), "add n to [grid] or [args]")) << e.what();
}

TEST(KernelSetup, MissingParameterPointsAtALikelyTypo) {
  const auto e =
      setup_error(make_spec("ttest_power", {param("nn", {std::int64_t{20}}), param("delta", {0.5})}));
  EXPECT_EQ(e.location().key, "grid.n");
  EXPECT_EQ(e.fix(), "rename nn to n");
}

TEST(KernelSetup, StringForAFloatParameterNamesBothTypes) {
  const auto e = setup_error(
      make_spec("ttest_power", {param("n", {std::int64_t{20}}), param("delta", {std::string("big")}, 7)}));
  EXPECT_EQ(e.location().key, "grid.delta");
  EXPECT_EQ(e.location().line, 7u);
  EXPECT_EQ(e.what_failed(),
            "kernel ttest_power expects delta to be a float, but grid.delta gives a string (\"big\")");
}

TEST(KernelSetup, FloatForAnIntegerParameterIsRefused) {
  const auto e = setup_error(make_spec("ttest_power", {param("n", {20.5}), param("delta", {0.5})}));
  EXPECT_EQ(e.location().key, "grid.n");
  EXPECT_TRUE(has(e.what_failed(), "expects n to be an integer, but grid.n gives a float (20.5)"))
      << e.what();
}

TEST(KernelSetup, IntegerForAFloatParameterIsAccepted) {
  const auto spec = make_spec(
      "ttest_power", {param("n", {std::int64_t{10}}), param("delta", {std::int64_t{0}, std::int64_t{3}})});
  const auto batch = run_all(spec);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_LT(std::fabs(floats(batch, "estimate")[1] - 3), 4 * std::sqrt(2.0 / 10));
}

TEST(KernelSetup, ChoiceOutsideTheListNamesTheChoices) {
  const auto e = setup_error(make_spec("ttest_power", {param("n", {std::int64_t{20}}), param("delta", {0.5})},
                                       {{"test", std::string("paired"), 5}}));
  EXPECT_EQ(e.location().key, "args.test");
  EXPECT_EQ(e.location().line, 5u);
  EXPECT_EQ(
      e.what_failed(),
      "test = \"paired\" is not a choice of kernel ttest_power; the choices are \"welch\", \"student\"");
}

TEST(KernelSetup, EveryGridValueIsCheckedAgainstTheRequirements) {
  const auto e = setup_error(
      make_spec("ttest_power", {param("n", {std::int64_t{20}, std::int64_t{1}}, 4), param("delta", {0.5})}));
  EXPECT_EQ(e.location().key, "grid.n");
  EXPECT_EQ(e.location().line, 4u);
  EXPECT_EQ(e.what_failed(), "kernel ttest_power requires n >= 2, but grid.n gives 1");

  const auto a = setup_error(
      make_spec("ttest_power", {param("n", {std::int64_t{20}}), param("delta", {0.5})}, {{"alpha", 1.5, 9}}));
  EXPECT_EQ(a.location().key, "args.alpha");
  EXPECT_TRUE(has(a.what_failed(), "requires 0 < alpha < 1, but args.alpha gives 1.5")) << a.what();
}

TEST(KernelSetup, UnknownGridKeyIsAnErrorWithASuggestion) {
  const auto e = setup_error(make_spec("ttest_power", {param("n", {std::int64_t{20}}), param("delta", {0.5}),
                                                       param("nn", {std::int64_t{5}}, 6)}));
  EXPECT_EQ(e.location().file, "study/grid.toml");
  EXPECT_EQ(e.location().line, 6u);
  EXPECT_EQ(e.location().key, "grid.nn");
  EXPECT_EQ(e.what_failed(),
            "kernel ttest_power has no parameter \"nn\"; it takes n, delta, sd, alpha, test");
  EXPECT_TRUE(has(e.fix(), "did you mean n?")) << e.what();
}

TEST(KernelSetup, UnknownArgsKeyIsAnError) {
  const auto e =
      setup_error(make_spec("mean_ci_coverage", {param("n", {std::int64_t{20}})}, {{"seed", 1.0, 8}}));
  EXPECT_EQ(e.location().key, "args.seed");
  EXPECT_EQ(e.what_failed(), "kernel mean_ci_coverage has no parameter \"seed\"; it takes n, dist, level");
}

TEST(KernelSetup, ParameterInBothGridAndArgsIsAnError) {
  const auto e = setup_error(make_spec("ttest_power", {param("n", {std::int64_t{20}}), param("delta", {0.5})},
                                       {{"delta", 0.2, 11}}));
  EXPECT_EQ(e.location().key, "args.delta");
  EXPECT_TRUE(has(e.what_failed(), "both in [grid] and in [args]")) << e.what();
}

TEST(KernelSetup, ArgsConstantsReachEveryTask) {
  // alpha = 0.5 from [args]: reject must follow p < 0.5, not the default 0.05.
  const auto spec = make_spec("ttest_power", {param("n", {std::int64_t{10}}), param("delta", {0.0})},
                              {{"alpha", 0.5, 2}}, 400);
  const auto batch = run_all(spec);
  const auto& p = floats(batch, "p_value");
  const auto& reject = ints(batch, "reject");
  std::int64_t rejected = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    ASSERT_EQ(reject[i], p[i] < 0.5 ? 1 : 0) << "task " << i;
    rejected += reject[i];
  }
  EXPECT_GT(rejected, 100);
}

TEST(KernelSetup, UnknownKernelListsTheKnownOnes) {
  try {
    KernelRegistry::builtin().create("ttest_powr");
    FAIL() << "no error";
  } catch (const core::ConfigError& e) {
    EXPECT_EQ(e.location().key, "task.kernel");
    EXPECT_EQ(e.what_failed(), "unknown kernel \"ttest_powr\"; known kernels: busy_wait, enet_cv, logistic_cv, mean_ci_coverage, "
              "ridge_cv, ttest_power, uniform");
    EXPECT_EQ(e.fix(), "did you mean kernel = \"ttest_power\"?");
  }
}

TEST(KernelSetup, RegistryDescribesTheBuiltInKernels) {
  const auto lines = KernelRegistry::builtin().describe();
  const std::vector<std::string> names = {"busy_wait", "enet_cv", "logistic_cv", "mean_ci_coverage",
                                          "ridge_cv", "ttest_power", "uniform"};
  ASSERT_EQ(lines.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(lines[i].rfind(names[i] + ": ", 0), 0u) << lines[i];
  KernelRegistry copy = KernelRegistry::builtin();
  EXPECT_THROW(
      copy.add("ttest_power", "again", [] { return KernelRegistry::builtin().create("ttest_power"); }),
      core::BackendError);
}

// ---- Kernels: results ----

TEST_F(Kernels, ResultsDependOnSeedAndTaskOnly) {
  const auto spec = make_spec(
      "ttest_power", {param("n", {std::int64_t{8}, std::int64_t{30}}), param("delta", {0.3})}, {}, 10);
  const auto all = run_all(spec);
  const auto one = run_tasks(spec, 13, 1);  // task 13 alone, on a fresh kernel
  EXPECT_EQ(floats(one, "p_value")[0], floats(all, "p_value")[13]);
  EXPECT_EQ(floats(one, "estimate")[0], floats(all, "estimate")[13]);
  EXPECT_NE(floats(all, "p_value")[12], floats(all, "p_value")[13]);
}

TEST_F(Kernels, TTestPowerAgreesWithRsTTest) {
  if (!start_r()) GTEST_SKIP() << "Rscript is not installed";
  const auto spec = make_spec("ttest_power",
                              {param("n", {std::int64_t{5}, std::int64_t{40}}), param("delta", {0.0, 0.8}),
                               param("test", {std::string("welch"), std::string("student")})},
                              {{"sd", 2.5, 2}}, 5);
  const grid::TaskSpace space(spec);
  const auto batch = run_all(spec);

  // The kernel's contract: x ~ N(0, sd) n times, then y ~ N(delta, sd) n times.
  std::ofstream data(path("data.txt"));
  data.precision(17);
  for (std::uint64_t t = 0; t < space.n_tasks(); ++t) {
    const std::uint64_t pt = space.point_of(t);
    const auto n = std::get<std::int64_t>(space.value(pt, 0));
    const double delta = std::get<double>(space.value(pt, 1));
    const bool student = std::get<std::string>(space.value(pt, 2)) == "student";
    core::Philox rng(spec.seed, t);
    for (std::int64_t i = 0; i < n; ++i) data << t << ' ' << student << " x " << 2.5 * rng.normal() << '\n';
    for (std::int64_t i = 0; i < n; ++i)
      data << t << ' ' << student << " y " << delta + 2.5 * rng.normal() << '\n';
  }
  data.close();

  const std::string out = rscript(R"(
    d <- read.table(commandArgs(trailingOnly = TRUE)[1], col.names = c("task", "student", "var", "value"))
    for (t in unique(d$task)) {
      s <- d[d$task == t, ]
      r <- t.test(s$value[s$var == "y"], s$value[s$var == "x"], var.equal = s$student[1] == 1)
      cat(t, sprintf("%.17g", r$p.value), sprintf("%.17g", unname(r$estimate[1] - r$estimate[2])), "\n")
    }
  )",
                                  path("data.txt"));

  std::istringstream in(out);
  std::uint64_t t;
  double p, est;
  std::size_t compared = 0;
  while (in >> t >> p >> est) {
    ASSERT_LT(t, batch.size());
    EXPECT_NEAR(floats(batch, "p_value")[t], p, 1e-12 + 1e-9 * p) << "task " << t;
    EXPECT_NEAR(floats(batch, "estimate")[t], est, 1e-12) << "task " << t;
    EXPECT_EQ(ints(batch, "reject")[t], p < 0.05 ? 1 : 0) << "task " << t;
    ++compared;
  }
  EXPECT_EQ(compared, space.n_tasks()) << out;
}

TEST_F(Kernels, MeanCiCoverageAgreesWithRsConfidenceInterval) {
  if (!start_r()) GTEST_SKIP() << "Rscript is not installed";
  const auto spec =
      make_spec("mean_ci_coverage",
                {param("dist", {std::string("normal"), std::string("exponential"), std::string("lognormal")}),
                 param("n", {std::int64_t{3}, std::int64_t{25}}), param("level", {0.8, 0.99})},
                {}, 3);
  const grid::TaskSpace space(spec);
  const auto batch = run_all(spec);

  std::ofstream data(path("data.txt"));
  data.precision(17);
  for (std::uint64_t t = 0; t < space.n_tasks(); ++t) {
    const std::uint64_t pt = space.point_of(t);
    const std::string& dist = std::get<std::string>(space.value(pt, 0));
    const auto n = std::get<std::int64_t>(space.value(pt, 1));
    const double level = std::get<double>(space.value(pt, 2));
    core::Philox rng(spec.seed, t);
    for (std::int64_t i = 0; i < n; ++i) {
      const double x = dist == "normal"        ? rng.normal()
                       : dist == "exponential" ? rng.exponential()
                                               : std::exp(rng.normal());
      data << t << ' ' << level << ' ' << x << '\n';
    }
  }
  data.close();

  const std::string out = rscript(R"(
    d <- read.table(commandArgs(trailingOnly = TRUE)[1], col.names = c("task", "level", "value"))
    for (t in unique(d$task)) {
      s <- d[d$task == t, ]
      ci <- t.test(s$value, conf.level = s$level[1])$conf.int
      cat(t, sprintf("%.17g", ci[1]), sprintf("%.17g", ci[2]), "\n")
    }
  )",
                                  path("data.txt"));

  std::istringstream in(out);
  std::uint64_t t;
  double lower, upper;
  std::size_t compared = 0;
  while (in >> t >> lower >> upper) {
    ASSERT_LT(t, batch.size());
    EXPECT_NEAR(floats(batch, "lower")[t], lower, 1e-10 * (1 + std::fabs(lower))) << "task " << t;
    EXPECT_NEAR(floats(batch, "upper")[t], upper, 1e-10 * (1 + std::fabs(upper))) << "task " << t;
    ++compared;
  }
  EXPECT_EQ(compared, space.n_tasks()) << out;
}

TEST_F(Kernels, StudentTestHoldsItsLevelUnderTheNull) {
  const std::uint64_t reps = 20000;
  const auto spec = make_spec("ttest_power", {param("n", {std::int64_t{10}}), param("delta", {0.0})},
                              {{"test", std::string("student"), 2}}, reps);
  const auto batch = run_all(spec);
  const auto& reject = ints(batch, "reject");
  double rate = 0;
  for (auto r : reject) rate += static_cast<double>(r);
  rate /= reps;
  EXPECT_LT(std::fabs(rate - 0.05), 4 * std::sqrt(0.05 * 0.95 / reps)) << rate;
}

TEST_F(Kernels, NormalMeanIntervalCoversAtItsLevel) {
  const std::uint64_t reps = 20000;
  const auto spec =
      make_spec("mean_ci_coverage", {param("n", {std::int64_t{10}})}, {{"level", 0.95, 2}}, reps);
  const auto batch = run_all(spec);
  ASSERT_EQ(batch.size(), reps);
  double coverage = 0;
  for (auto c : ints(batch, "covered")) coverage += static_cast<double>(c);
  coverage /= reps;
  EXPECT_LT(std::fabs(coverage - 0.95), 4 * std::sqrt(0.95 * 0.05 / reps)) << coverage;
}

TEST_F(Kernels, SkewedIntervalsAreCentredOnTheTrueMean) {
  // With n = 1000 the t-interval is nearly exact; a wrong true mean would give coverage near 0.
  const std::uint64_t reps = 1000;
  const auto spec = make_spec("mean_ci_coverage",
                              {param("dist", {std::string("exponential"), std::string("lognormal")}),
                               param("n", {std::int64_t{1000}})},
                              {}, reps);
  const auto batch = run_all(spec);
  const auto& covered = ints(batch, "covered");
  for (std::uint64_t pt = 0; pt < 2; ++pt) {
    double coverage = 0;
    for (std::uint64_t r = 0; r < reps; ++r) coverage += static_cast<double>(covered[pt * reps + r]);
    coverage /= reps;
    EXPECT_GT(coverage, 0.90) << "point " << pt;
    EXPECT_LT(coverage, 0.98) << "point " << pt;
  }
}
