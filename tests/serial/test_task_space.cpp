// TaskSpace: task id <-> (point, replicate, parameter values), built from JobSpecs
// written by hand (no grid.toml involved).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/grid/task_space.hpp"

using rsim::core::Value;
using rsim::core::ValueType;
using rsim::grid::JobSpec;
using rsim::grid::Param;
using rsim::grid::TaskSpace;

namespace {

Param int_param(const std::string& name, std::int64_t n, std::int64_t scale) {
  Param p;
  p.name = name;
  p.type = ValueType::Int;
  for (std::int64_t i = 0; i < n; ++i) p.values.emplace_back(i * scale);
  return p;
}

std::int64_t as_int(const Value& v) { return std::get<std::int64_t>(v); }

}  // namespace

TEST(TaskSpace, PointAndReplicateOfTasks) {
  JobSpec spec;
  spec.replicates = 3;
  spec.params = {int_param("n", 2, 10)};
  const TaskSpace ts(spec);
  EXPECT_EQ(ts.n_points(), 2u);
  EXPECT_EQ(ts.n_tasks(), 6u);
  const std::uint64_t points[] = {0, 0, 0, 1, 1, 1};
  const std::uint64_t reps[] = {0, 1, 2, 0, 1, 2};
  for (std::uint64_t t = 0; t < 6; ++t) {
    EXPECT_EQ(ts.point_of(t), points[t]) << "task " << t;
    EXPECT_EQ(ts.replicate_of(t), reps[t]) << "task " << t;
  }
  EXPECT_EQ(as_int(ts.value(ts.point_of(4), 0)), 10);
}

TEST(TaskSpace, CartesianFirstParameterVariesSlowest) {
  JobSpec spec;
  Param s;
  s.name = "test";
  s.type = ValueType::String;
  s.values = {Value(std::string("welch")), Value(std::string("student"))};
  spec.params = {int_param("n", 3, 1), s};
  const TaskSpace ts(spec);
  ASSERT_EQ(ts.n_points(), 6u);
  for (std::uint64_t p = 0; p < 6; ++p) {
    EXPECT_EQ(as_int(ts.value(p, 0)), static_cast<std::int64_t>(p / 2));
    EXPECT_EQ(std::get<std::string>(ts.value(p, 1)), p % 2 == 0 ? "welch" : "student");
  }
  EXPECT_EQ(ts.find("test"), 1);
  EXPECT_EQ(ts.find("n"), 0);
  EXPECT_EQ(ts.find("delta"), -1);
}

TEST(TaskSpace, BillionTasksComputedOnDemand) {
  JobSpec spec;
  spec.replicates = 1000;
  spec.params = {int_param("a", 1000, 7), int_param("b", 1000, 3)};
  const TaskSpace ts(spec);
  EXPECT_EQ(ts.n_points(), 1000000u);
  EXPECT_EQ(ts.n_tasks(), 1000000000u);
  const std::uint64_t tasks[] = {0, 1, 999, 1000, 123456789, 500000000, 999999999};
  for (std::uint64_t t : tasks) {
    const std::uint64_t point = t / 1000;
    EXPECT_EQ(ts.point_of(t), point);
    EXPECT_EQ(ts.replicate_of(t), t % 1000);
    EXPECT_EQ(as_int(ts.value(point, 0)), static_cast<std::int64_t>(point / 1000) * 7) << "task " << t;
    EXPECT_EQ(as_int(ts.value(point, 1)), static_cast<std::int64_t>(point % 1000) * 3) << "task " << t;
  }
}

TEST(TaskSpace, ExplicitPointsTakeOneValuePerPoint) {
  JobSpec spec;
  spec.cartesian = false;
  spec.replicates = 2;
  Param d;
  d.name = "delta";
  d.type = ValueType::Float;
  d.values = {Value(0.5), Value(0.25), Value(0.0)};
  spec.params = {int_param("n", 3, 10), d};
  const TaskSpace ts(spec);
  EXPECT_EQ(ts.n_points(), 3u);
  EXPECT_EQ(ts.n_tasks(), 6u);
  EXPECT_EQ(as_int(ts.value(2, 0)), 20);
  EXPECT_EQ(std::get<double>(ts.value(1, 1)), 0.25);
}

TEST(TaskSpace, NoParametersIsOnePoint) {
  JobSpec spec;
  spec.replicates = 5;
  const TaskSpace ts(spec);
  EXPECT_EQ(ts.n_points(), 1u);
  EXPECT_EQ(ts.n_tasks(), 5u);
  EXPECT_EQ(ts.point_of(4), 0u);
}

TEST(TaskSpace, RefusesMoreThan2To63Tasks) {
  JobSpec spec;
  spec.source_path = "big.toml";
  spec.replicates = std::uint64_t{1} << 62;
  spec.params = {int_param("n", 3, 1)};
  try {
    TaskSpace ts(spec);
    FAIL() << "expected ConfigError";
  } catch (const rsim::core::ConfigError& e) {
    EXPECT_NE(e.what_failed().find("more than 2^63 tasks"), std::string::npos) << e.what();
  }
  spec.replicates = std::uint64_t{1} << 61;  // 3 x 2^61 < 2^63
  EXPECT_EQ(TaskSpace(spec).n_tasks(), 3 * (std::uint64_t{1} << 61));
}

TEST(TaskSpace, RefusesZeroReplicates) {
  JobSpec spec;
  spec.replicates = 0;
  EXPECT_THROW(TaskSpace ts(spec), rsim::core::ConfigError);
}
