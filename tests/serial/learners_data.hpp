#pragma once
// Test helpers shared by the tests of the learner kernels (ridge_cv, enet_cv,
// logistic_cv): a job on the [data] input train, runs of its tasks, a small
// table built in code, and the fit of a task as R prints coef(fit).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "batch_access.hpp"
#include "kernel_harness.hpp"
#include "rsim/core/data_table.hpp"
#include "rsim/core/error.hpp"
#include "rsim/core/philox.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::test {

inline grid::NamedValue arg(const std::string& name, core::Value v, std::uint32_t line = 9) {
  return {name, std::move(v), line};
}

// A native job of `kernel` with the [data] input train (line 12).
inline grid::JobSpec make_spec(const std::string& kernel, std::vector<grid::Param> params,
                               std::vector<grid::NamedValue> args, std::uint64_t replicates = 1) {
  grid::JobSpec s = kernel_spec("learn", kernel, std::move(params), std::move(args), replicates);
  s.data.push_back({"train", "/data/train.csv", "", 12});
  return s;
}

// Sets the job's kernel up on `tables` and runs tasks [first, first + count).
inline core::ResultBatch run_tasks(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables,
                                   std::uint64_t first, std::uint64_t count) {
  return run_kernel(spec, first, count, &tables);
}

inline core::ResultBatch run_all(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables) {
  return run_tasks(spec, tables, 0, grid::TaskSpace(spec).n_tasks());
}

inline core::ConfigError setup_error(const grid::JobSpec& spec, const std::vector<core::DataTable>& tables) {
  return kernel_setup_error(spec, &tables);
}

// Intercept then coefficients of task t, as R prints coef(fit).
inline std::vector<double> fit_of(const core::ResultBatch& b, std::size_t t) {
  const std::size_t p = b.schema()[field(b, "coef")].width;
  std::vector<double> v{floats(b, "intercept")[t]};
  v.insert(v.end(), floats(b, "coef").begin() + static_cast<std::ptrdiff_t>(t * p),
           floats(b, "coef").begin() + static_cast<std::ptrdiff_t>((t + 1) * p));
  return v;
}

// Largest |a - b| / |b| over all entries (an exact zero must match exactly).
inline double max_rel(const std::vector<double>& a, const std::vector<double>& b) {
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

inline core::DataColumn numeric(const std::string& name, std::vector<double> v) {
  core::DataColumn c;
  c.name = name;
  c.values = std::move(v);
  return c;
}

inline core::DataColumn text(const std::string& name, std::vector<std::string> v) {
  core::DataColumn c;
  c.name = name;
  c.numeric = false;
  c.strings = std::move(v);
  return c;
}

// A small table built in code: y = 1 + 2 x1 - x2 + noise, b = (y > 1),
// a text column and a fold column 1..4.
inline std::vector<core::DataTable> small_table(std::size_t n = 40) {
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

}  // namespace rsim::test
