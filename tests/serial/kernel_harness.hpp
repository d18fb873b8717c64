#pragma once
// Test harness for native kernels: build a JobSpec in code, set the kernel
// up (optionally on [data] tables) and run tasks into a batch, as the CLI does.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "batch_access.hpp"
#include "rsim/core/error.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/run/native/kernel.hpp"

namespace rsim::test {

inline grid::Param param(const std::string& name, std::vector<core::Value> values, std::uint32_t line = 3) {
  grid::Param p;
  p.name = name;
  p.type = core::type_of(values.front());
  p.values = std::move(values);
  p.line = line;
  return p;
}

inline grid::JobSpec kernel_spec(const std::string& name, const std::string& kernel, std::vector<grid::Param> params,
                                 std::vector<grid::NamedValue> args, std::uint64_t replicates) {
  grid::JobSpec s;
  s.name = name;
  s.seed = 20261129;
  s.replicates = replicates;
  s.task.backend = "native";
  s.task.kernel = kernel;
  s.params = std::move(params);
  s.args = std::move(args);
  s.source_path = "study/grid.toml";
  return s;
}

// Sets the job's kernel up and runs tasks [first, first + count) into a batch.
inline core::ResultBatch run_kernel(const grid::JobSpec& spec, std::uint64_t first, std::uint64_t count,
                                    const std::vector<core::DataTable>* tables = nullptr) {
  const grid::TaskSpace space(spec);
  run::KernelSetup setup(spec, space, tables);
  auto kernel = run::KernelRegistry::builtin().create(spec.task.kernel);
  core::ResultBatch batch(kernel->setup(setup));
  setup.check_all_used(spec.task.kernel);
  for (std::uint64_t t = first; t < first + count; ++t) {
    core::Philox rng(spec.seed, t);
    core::RowWriter row = batch.begin_row(t);
    kernel->run(run::TaskParams(space, t), rng, row);
    batch.end_row(core::TaskStatus::ok, 0.0, 1);
  }
  return batch;
}

// The ConfigError that setting the job's kernel up throws.
inline core::ConfigError kernel_setup_error(const grid::JobSpec& spec,
                                            const std::vector<core::DataTable>* tables = nullptr) {
  try {
    run_kernel(spec, 0, 0, tables);
  } catch (const core::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "setting up kernel " << spec.task.kernel << " threw no ConfigError";
  return core::ConfigError({}, "", "");
}

}  // namespace rsim::test
