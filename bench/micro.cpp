// Micro-benchmarks of the per-task hot paths: handing out a chunk, one
// native task round trip, appending a result row, committing a checkpoint
// batch, and drawing random numbers.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>

#include "rsim/core/philox.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/run/runner.hpp"
#include "rsim/sched/work_pool.hpp"

namespace {

rsim::grid::JobSpec spec_for(const std::string& kernel, const std::string& grid) {
  const std::string text = "[job]\nname = \"bench\"\nseed = 1\nreplicates = 1000000\n[task]\nbackend = \"native\"\n"
                           "kernel = \"" + kernel + "\"\n" + grid;
  return rsim::grid::parse_job_spec(text, "/tmp/rsim-bench.toml");
}

void BM_WorkPoolTake(benchmark::State& st) {
  rsim::sched::WorkPool pool({{0, 1ULL << 62}}, 2, 1);  // fixed chunks of 1: the worst case
  for (auto _ : st) benchmark::DoNotOptimize(pool.take());
}
BENCHMARK(BM_WorkPoolTake);

void BM_PhiloxNormal(benchmark::State& st) {
  rsim::core::Philox rng(1, 2);
  for (auto _ : st) benchmark::DoNotOptimize(rng.normal());
}
BENCHMARK(BM_PhiloxNormal);

void BM_PhiloxConstruct(benchmark::State& st) {
  std::uint64_t t = 0;
  for (auto _ : st) {
    rsim::core::Philox rng(1, t++);
    benchmark::DoNotOptimize(rng.next_u64());
  }
}
BENCHMARK(BM_PhiloxConstruct);

void BM_ResultRowAppend(benchmark::State& st) {
  rsim::core::ResultBatch b({{"a", rsim::core::ValueType::Int},
                             {"b", rsim::core::ValueType::Float},
                             {"c", rsim::core::ValueType::Float},
                             {"d", rsim::core::ValueType::Float}});
  std::uint64_t t = 0;
  for (auto _ : st) {
    auto row = b.begin_row(t);
    row.set_int(0, 1);
    row.set_float(1, 0.5);
    row.set_float(2, 0.25);
    row.set_float(3, 0.125);
    b.end_row(rsim::core::TaskStatus::ok, 1e-6, 1);
    if (++t % 65536 == 0) b.clear();
  }
}
BENCHMARK(BM_ResultRowAppend);

// One native task as the CLI runs it: stream, kernel, row.
void BM_NativeTask(benchmark::State& st, const std::string& kernel, const std::string& grid) {
  const auto spec = spec_for(kernel, grid);
  const rsim::grid::TaskSpace space(spec);
  auto runner = rsim::run::make_runner(spec, space);
  rsim::core::ResultBatch b(runner->schema());
  rsim::core::TaskNotes notes;
  std::uint64_t t = 0;
  for (auto _ : st) {
    auto row = b.begin_row(t);
    benchmark::DoNotOptimize(runner->run(t, row, notes));
    b.end_row(rsim::core::TaskStatus::ok, 0, 1);
    if (++t % 65536 == 0) b.clear();
  }
}
BENCHMARK_CAPTURE(BM_NativeTask, uniform, "uniform", "");
BENCHMARK_CAPTURE(BM_NativeTask, ttest_power_n10, "ttest_power", "[grid]\nn = [10]\ndelta = [0.5]\n");
BENCHMARK_CAPTURE(BM_NativeTask, ttest_power_n100, "ttest_power", "[grid]\nn = [100]\ndelta = [0.5]\n");

// Committing a checkpoint batch of 65,536 rows x 4 numbers (write, fsync, rename).
void BM_CheckpointCommit(benchmark::State& st) {
  const std::string dir = "/tmp/rsim-bench-ckpt";
  std::filesystem::remove_all(dir);
  rsim::io::make_dirs(dir);
  rsim::core::ResultBatch b({{"a", rsim::core::ValueType::Int},
                             {"b", rsim::core::ValueType::Float},
                             {"c", rsim::core::ValueType::Float},
                             {"d", rsim::core::ValueType::Float}});
  for (std::uint64_t t = 0; t < 65536; ++t) {
    b.begin_row(t);
    b.end_row(rsim::core::TaskStatus::ok, 1e-6, 1);
  }
  rsim::io::SegmentWriter w(dir, "sha256:bench", 0, 1);
  for (auto _ : st) w.commit(b);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * 65536);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CheckpointCommit)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
