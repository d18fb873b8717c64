// Resume planning in the job library: what earlier runs left (checkpoint
// segments from any number of ranks, crash marks, failed rows) decides what
// this run does.  Real checkpoint files in a temporary folder.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "rsim/core/error.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/job/resume.hpp"

namespace fs = std::filesystem;
using namespace rsim;

namespace {

class JobPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rsim-plan-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spec_.name = "plan";
    spec_.output = (dir_ / "out.h5").string();
    spec_.source_path = (dir_ / "grid.toml").string();
    spec_.source_hash = "sha256:aa";
    ckpt_ = io::checkpoint_dir_for(spec_.output);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Rank `rank` of run `run` committed tasks [b, e); those in `failed` failed.
  void commit(std::uint32_t rank, std::uint64_t run, std::uint64_t b, std::uint64_t e,
              std::vector<std::uint64_t> failed = {}, core::ValueType type = core::ValueType::Float) {
    io::make_dirs(ckpt_);
    core::ResultBatch batch({{"x", type}});
    for (std::uint64_t t = b; t < e; ++t) {
      batch.begin_row(t);
      const bool bad = std::find(failed.begin(), failed.end(), t) != failed.end();
      if (bad) batch.add_error({t, "boom", ""});
      batch.end_row(bad ? core::TaskStatus::error : core::TaskStatus::ok, 0, 1);
    }
    io::SegmentWriter(ckpt_, spec_.source_hash, rank, run).commit(batch);
  }

  // A rank that dies (SIGKILL) while running `task`.
  void crash_on(std::uint64_t task, std::uint32_t rank) {
    io::make_dirs(ckpt_);
    const pid_t pid = ::fork();
    if (pid == 0) {
      io::TaskMarker m(ckpt_, rank);
      m.begin(task);
      ::raise(SIGKILL);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
  }

  job::Plan plan(bool rerun_failed = false) {
    job::RunOptions opt;
    opt.rerun_failed = rerun_failed;
    return job::plan_run(spec_, ckpt_, opt);
  }

  fs::path dir_;
  grid::JobSpec spec_;
  std::string ckpt_;
};

}  // namespace

TEST_F(JobPlan, AFirstRunHasNothingCommitted) {
  const job::Plan p = plan();
  EXPECT_FALSE(p.nothing_to_do);
  EXPECT_TRUE(p.committed.empty());
  EXPECT_EQ(p.already, 0u);
}

TEST_F(JobPlan, SegmentsOfFourRanksMergeIntoRangesWhateverTheRankCount) {
  commit(0, 1, 0, 10);
  commit(3, 1, 10, 20);
  commit(1, 1, 30, 35);
  commit(2, 2, 20, 25);  // a second run at another rank count
  const job::Plan p = plan();
  EXPECT_EQ(p.committed, (io::TaskRanges{{0, 25}, {30, 35}}));
  EXPECT_EQ(p.already, 30u);
  EXPECT_EQ(io::complement(40, p.committed), (io::TaskRanges{{25, 30}, {35, 40}}));
  ASSERT_EQ(p.earlier.size(), 1u);
  EXPECT_EQ(p.earlier[0].name, "x");
}

TEST_F(JobPlan, FailedTasksStayCommittedUnlessRerunFailed) {
  commit(0, 1, 0, 10, {3, 7});
  EXPECT_EQ(plan().committed, (io::TaskRanges{{0, 10}}));
  EXPECT_EQ(plan(true).committed, (io::TaskRanges{{0, 3}, {4, 7}, {8, 10}}));
}

TEST_F(JobPlan, ALaterOkRowOfAFailedTaskCounts) {
  commit(0, 1, 0, 10, {3});
  commit(1, 2, 3, 4);  // task 3 rerun, now ok
  EXPECT_EQ(plan(true).committed, (io::TaskRanges{{0, 10}}));
}

TEST_F(JobPlan, IntegerAndFloatFieldsOfEarlierRunsWiden) {
  commit(0, 1, 0, 5, {}, core::ValueType::Int);
  commit(1, 1, 5, 10, {}, core::ValueType::Float);
  const job::Plan p = plan();
  ASSERT_EQ(p.earlier.size(), 1u);
  EXPECT_EQ(p.earlier[0].type, core::ValueType::Float);
}

TEST_F(JobPlan, ATaskThatCrashedItsRankTwiceIsCommittedAsFailed) {
  commit(0, 1, 0, 5);
  crash_on(7, 1);
  job::Plan p = plan();
  EXPECT_EQ(p.committed, (io::TaskRanges{{0, 5}}));  // one crash: it runs again
  crash_on(7, 0);
  p = plan();
  EXPECT_EQ(p.committed, (io::TaskRanges{{0, 5}, {7, 8}}));
  ASSERT_TRUE(p.index);
  bool found = false;
  for (const auto& e : p.index->entries())
    for (std::size_t i = 0; i < e.tasks.size(); ++i)
      if (e.tasks[i] == 7) found = e.status[i] == core::TaskStatus::error;
  EXPECT_TRUE(found);
}

TEST_F(JobPlan, ACrashOfACommittedTaskIsNotHeldAgainstIt) {
  commit(0, 1, 0, 10);
  crash_on(4, 0);
  crash_on(4, 1);
  const job::Plan p = plan();
  EXPECT_EQ(p.committed, (io::TaskRanges{{0, 10}}));
  EXPECT_EQ(p.index->entries().size(), 1u);  // no failure segment written
}

TEST_F(JobPlan, ASegmentOfAnotherGridIsRefused) {
  commit(0, 1, 0, 5);
  spec_.source_hash = "sha256:bb";
  EXPECT_THROW(plan(), core::ConfigError);
}

TEST_F(JobPlan, RerunFailedWithoutAnyResultsIsAUsageError) {
  EXPECT_THROW(plan(true), core::UsageError);
}

TEST_F(JobPlan, StaleTempFilesOfAKilledCommitAreRemoved) {
  commit(0, 1, 0, 5);
  const fs::path tmp = fs::path(ckpt_) / ".tmp-seg-half-written.rsb";
  { std::ofstream(tmp) << "partial"; }
  const job::Plan p = plan();
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(p.already, 5u);
}
