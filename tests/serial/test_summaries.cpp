// Per-point summaries: Welford and Chan's merge, the [output] section, block
// arithmetic and block-aligned hand-outs, block checkpoints, the sink that
// writes whole blocks only, and the fold that decides precision targets.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "grid_reader_fixture.hpp"
#include "rsim/core/moments.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/block_store.hpp"
#include "rsim/job/summary_fold.hpp"
#include "rsim/job/summary_sink.hpp"
#include "rsim/sched/work_pool.hpp"

namespace fs = std::filesystem;
using rsim::core::Moments;

namespace {

// Two-pass mean and sample variance, in long double.
std::pair<double, double> two_pass(const std::vector<double>& x) {
  long double s = 0;
  for (double v : x) s += v;
  const long double m = s / static_cast<long double>(x.size());
  long double q = 0;
  for (double v : x) q += (v - m) * (v - m);
  return {static_cast<double>(m), static_cast<double>(q / static_cast<long double>(x.size() - 1))};
}

}  // namespace

TEST(Moments, WelfordAndChanAgreeWithTwoPassOnLargeOffsets) {
  std::mt19937_64 gen(20261203);
  std::normal_distribution<double> d(1e6, 3.0);  // a large mean: the naive sum of squares would lose every digit
  std::vector<double> x(10000);
  for (double& v : x) v = d(gen);
  Moments all, merged, part;
  for (std::size_t i = 0; i < x.size(); ++i) {
    all.add(x[i]);
    part.add(x[i]);
    if ((i + 1) % 333 == 0 || i + 1 == x.size()) {
      merged.merge(part);
      part = Moments{};
    }
  }
  const auto [m, v] = two_pass(x);
  for (const Moments* s : {&all, &merged}) {
    EXPECT_EQ(s->n, x.size());
    EXPECT_NEAR(s->mean, m, 1e-9);
    EXPECT_NEAR(s->variance(), v, 1e-9 * v);
    EXPECT_NEAR(s->mcse(), std::sqrt(v / static_cast<double>(x.size())), 1e-9);
    EXPECT_EQ(s->min, *std::min_element(x.begin(), x.end()));
    EXPECT_EQ(s->max, *std::max_element(x.begin(), x.end()));
  }
}

TEST(Moments, EmptyAndSingleValues) {
  Moments a, b;
  a.merge(b);
  EXPECT_EQ(a.n, 0u);
  EXPECT_TRUE(std::isnan(a.variance()));
  b.add(2.5);
  a.merge(b);
  EXPECT_EQ(a.n, 1u);
  EXPECT_EQ(a.mean, 2.5);
  EXPECT_TRUE(std::isnan(a.mcse()));  // one value: no standard error
  a.merge(Moments{});
  EXPECT_EQ(a.n, 1u);
}

namespace rsim::test {

TEST_F(GridReader, OutputKeepsTasksByDefaultAndSummaryWithDefaults) {
  const std::string native = "[job]\nname = \"s\"\nseed = 1\nreplicates = 12345\n[task]\nbackend = \"native\"\nkernel = \"k\"\n";
  EXPECT_EQ(read(native).results.keep, grid::Keep::tasks);
  const grid::JobSpec s = read(native + "[output]\nkeep = \"summary\"\n");
  EXPECT_EQ(s.results.keep, grid::Keep::summary);
  EXPECT_EQ(s.results.block, 13u);  // about 1000 blocks a point
  EXPECT_TRUE(s.results.targets.empty());
  const grid::JobSpec t = read(native + "[output]\nkeep = \"summary\"\nblock = 100\ntarget_mcse = { reject = 0.005, bias = 1 }\n");
  ASSERT_EQ(t.results.targets.size(), 2u);
  EXPECT_EQ(t.results.targets[0].field, "reject");
  EXPECT_EQ(t.results.targets[1].mcse, 1.0);
  EXPECT_EQ(t.results.min_replicates, 200u);  // two blocks
  EXPECT_EQ(grid::TaskSpace(t).block_size(), 100u);
  EXPECT_EQ(grid::TaskSpace(read(native)).block_size(), 12345u);  // keeping tasks: one block a point
}

TEST_F(GridReader, OutputMistakesNameTheirLine) {
  expect_value_error("output", "keep", "\"both\"", "output.keep = \"both\" is not one of \"tasks\" or \"summary\"",
                     "keep = \"summary\"");
  expect_value_error("output", "block", "10", "output.block applies to per-point summaries only",
                     "add keep = \"summary\"");
  expect_error(kBase + "[output]\nkeep = \"summary\"\nblock = 0\n", 10, "output.block",
               "output.block = 0 is out of range; it must be between 1 and [job] replicates (1, the most replicates "
               "a point gets)");
  expect_error(kBase + "[output]\nkeep = \"summary\"\ntarget_mcse = { reject = -1 }\n", 10,
               "output.target_mcse.reject", "output.target_mcse.reject = -1 is out of range; it must be a number above 0");
  expect_error(kBase + "[output]\nkeep = \"summary\"\ntarget_mcse = { reject = \"small\" }\n", 10,
               "output.target_mcse.reject",
               "output.target_mcse.reject must be a number (the Monte Carlo SE to reach), not a string");
  expect_error(kBase + "[output]\nkeep = \"summary\"\nmin_replicates = 1\n", 10, "output.min_replicates",
               "output.min_replicates applies to precision targets only");
  expect_error(kBase + "[output]\nkeep = \"summary\"\ntarget_mcse = {}\n", 10, "output.target_mcse",
               "output.target_mcse names no field");
}

}  // namespace rsim::test

namespace {

rsim::grid::JobSpec spec_of(std::uint64_t points, std::uint64_t replicates, std::uint64_t block) {
  rsim::grid::JobSpec s;
  s.replicates = replicates;
  rsim::grid::Param p{"x", rsim::core::ValueType::Int, {}, 1};
  for (std::uint64_t i = 0; i < points; ++i) p.values.emplace_back(static_cast<std::int64_t>(i));
  s.params.push_back(p);
  s.results.keep = rsim::grid::Keep::summary;
  s.results.block = block;
  return s;
}

}  // namespace

TEST(Blocks, ALastShorterBlockAndAlignment) {
  const rsim::grid::TaskSpace space(spec_of(3, 10, 4));  // blocks of a point: 0-3, 4-7, 8-9
  EXPECT_EQ(space.blocks_per_point(), 3u);
  EXPECT_EQ(space.block_first(1, 2), 18u);
  EXPECT_EQ(space.block_end(1, 2), 20u);
  EXPECT_EQ(space.block_of(19), 2u);
  EXPECT_EQ(space.align_up(10), 10u);
  EXPECT_EQ(space.align_up(11), 14u);
  EXPECT_EQ(space.align_up(18), 18u);
  EXPECT_EQ(space.align_up(19), 20u);
  EXPECT_EQ(space.align_up(30), 30u);
}

TEST(Blocks, AlignedHandOutsHoldWholeBlocksWhateverTheChunk) {
  const rsim::grid::TaskSpace space(spec_of(5, 10, 4));
  for (std::uint64_t fixed : {0, 1, 3, 7}) {
    rsim::sched::WorkPool pool({{0, 50}}, 3, fixed, [&](std::uint64_t t) { return space.align_up(t); });
    std::uint64_t next = 0;
    while (auto c = pool.take()) {
      EXPECT_EQ(c->begin, next);
      EXPECT_EQ(space.align_up(c->begin), c->begin) << "fixed " << fixed;
      EXPECT_EQ(space.align_up(c->end), c->end) << "fixed " << fixed;
      next = c->end;
    }
    EXPECT_EQ(next, 50u);
  }
}

class BlockFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rsim-blk-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static rsim::io::BlockSummary block(std::uint64_t p, std::uint64_t k, std::vector<double> xs) {
    rsim::io::BlockSummary b;
    b.point = p;
    b.block = k;
    b.tasks = xs.size();
    b.fields.resize(1);
    for (double x : xs) b.fields[0].add(x);
    return b;
  }
  std::string dir_;
};

TEST_F(BlockFiles, StreamsMergeInBlockOrderAndDamageIsDetected) {
  const std::vector<rsim::io::SummaryField> fields = {{"y", 0, 0}};
  rsim::io::BlockWriter a(dir_, "id", 0, 1, 0), b(dir_, "id", 1, 1, 0), c(dir_, "id", 0, 2, 1);
  a.commit(fields, {block(0, 0, {1, 2}), block(1, 1, {3})});
  b.commit(fields, {block(0, 1, {4}), block(1, 0, {5})});
  a.commit(fields, {block(2, 0, {6})});
  c.commit(fields, {block(0, 2, {7}), block(2, 1, {8})});
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::vector<std::string> checked;
  rsim::io::for_each_block(
      dir_, [&](const std::string& id, const std::string& path) { checked.push_back(id + path); },
      [&](const rsim::io::BlockSummary& s, const std::vector<rsim::io::SummaryField>& f) {
        seen.emplace_back(s.point, s.block);
        EXPECT_EQ(f[0].name, "y");
      });
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {{0, 0}, {0, 1}, {0, 2}, {1, 0},
                                                                      {1, 1}, {2, 0}, {2, 1}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(checked.size(), 4u);
  // A flipped byte: refused with the file's name.
  const std::string victim = rsim::io::list_block_files(dir_).front();
  std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);
  f.put('\x7f');
  f.close();
  try {
    rsim::io::read_block_file(victim);
    FAIL() << "a damaged block file was read";
  } catch (const rsim::core::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged summary checkpoint"), std::string::npos) << e.what();
  }
}

namespace {

// A batch of rows for tasks [first, first + n) with field y = value(task).
rsim::core::ResultBatch rows(std::uint64_t first, std::uint64_t n, double (*value)(std::uint64_t)) {
  rsim::core::ResultBatch b({{"y", rsim::core::ValueType::Float, 1}});
  for (std::uint64_t t = first; t < first + n; ++t) {
    auto r = b.begin_row(t);
    if (!std::isnan(value(t))) r.set_float(0, value(t));
    b.end_row(rsim::core::TaskStatus::ok, 0.001, 1);
  }
  return b;
}
double linear(std::uint64_t t) { return static_cast<double>(t % 10); }

}  // namespace

TEST_F(BlockFiles, TheSinkWritesWholeBlocksOnlyAcrossCommits) {
  const rsim::grid::TaskSpace space(spec_of(2, 10, 4));
  rsim::io::BlockWriter w(dir_, "id", 0, 1, 0);
  rsim::job::SummarySink sink(space, w);
  sink.commit(rows(0, 6, linear));  // block 0 whole, block 1 half
  EXPECT_EQ(sink.blocks_written(), 1u);
  sink.commit(rows(6, 4, linear));  // the rest of block 1, block 2 (2 tasks)
  EXPECT_EQ(sink.blocks_written(), 3u);
  sink.commit(rows(10, 5, linear));  // block 0 of point 1, then a stop inside block 1
  EXPECT_EQ(sink.blocks_written(), 4u);
  std::vector<rsim::io::BlockSummary> got;
  rsim::io::for_each_block(dir_, {}, [&](const rsim::io::BlockSummary& s, const auto&) { got.push_back(s); });
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].tasks, 4u);
  EXPECT_EQ(got[1].fields[0].mean, 5.5);  // 4, 5, 6, 7
  EXPECT_EQ(got[2].tasks, 2u);            // the last block of a point is shorter
  EXPECT_EQ(got[3].point, 1u);
}

TEST_F(BlockFiles, TheFoldStopsAtTheFirstBoundaryThatMeetsTheTargetAndDiscardsBlocksBeyond) {
  rsim::grid::JobSpec spec = spec_of(1, 100, 10);
  spec.results.targets.push_back({"y", 0.5, 1});
  spec.results.min_replicates = 20;
  const rsim::grid::TaskSpace space(spec);
  std::mt19937_64 gen(7);
  std::normal_distribution<double> d(0, 2);  // mcse = 2 / sqrt(n): at most 0.5 from n = 16 on, so at n = 20 likely
  std::vector<rsim::io::BlockSummary> blocks;
  for (std::uint64_t k = 0; k < 10; ++k) {
    std::vector<double> xs(10);
    for (double& x : xs) x = d(gen);
    blocks.push_back(block(0, k, xs));
  }
  const std::vector<rsim::io::SummaryField> fields = {{"y", 0, 0}};
  // Where it stops: the first boundary at or after 20 replicates with mcse <= 0.5, by hand.
  Moments m;
  std::uint64_t stop = 0;
  for (std::uint64_t k = 0; k < 10 && stop == 0; ++k) {
    m.merge(blocks[k].fields[0]);
    if ((k + 1) * 10 >= 20 && m.mcse() <= 0.5) stop = k + 1;
  }
  ASSERT_GT(stop, 0u);
  rsim::job::SummaryFold first(space, spec.results);
  EXPECT_EQ(first.next_round(), (rsim::io::TaskRanges{{0, 20}}));  // min_replicates first
  rsim::job::SummaryFold all(space, spec.results);
  for (const auto& b : blocks) all.add(b, fields);  // every block ran: those beyond the stop are discarded
  const rsim::io::SummaryTable t = all.table();
  EXPECT_EQ(t.replicates[0], stop * 10);
  EXPECT_EQ(t.by_field[0][0].n, stop * 10);
  EXPECT_EQ(t.by_field[0][0].mean, m.mean);  // bit for bit: the same merges in the same order
  EXPECT_EQ(t.reached[0], 1);
  EXPECT_TRUE(all.next_round().empty());
  EXPECT_EQ(all.open_points(), 0u);
  // A missing block: the point stays open and the next round asks for it alone.
  rsim::job::SummaryFold gap(space, spec.results);
  gap.add(blocks[0], fields);
  gap.add(blocks[2], fields);
  EXPECT_EQ(gap.next_round(), (rsim::io::TaskRanges{{10, 20}}));
  EXPECT_EQ(gap.committed(), (rsim::io::TaskRanges{{0, 10}, {20, 30}}));
}
