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
    identity_ = core::Identity({{"the grid", "sha256:aa"}, {"result format", "1"}, {"R", "4.2.2", false}});
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
    io::SegmentWriter(ckpt_, identity_.encode(), rank, run).commit(batch);
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
    return job::plan_run(spec_, identity_, ckpt_, opt);
  }

  fs::path dir_;
  grid::JobSpec spec_;
  core::Identity identity_;
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
  identity_ = core::Identity({{"the grid", "sha256:bb"}, {"result format", "1"}, {"R", "4.2.2", false}});
  EXPECT_THROW(plan(), core::ConfigError);
}

// The refusal names the part that changed, both hashes and the ways out.
TEST_F(JobPlan, AChangedScriptIsRefusedByName) {
  identity_ = core::Identity({{"the grid", "sha256:aa"}, {"task script power.R", "sha256:ab12ab12ab12"}});
  commit(0, 1, 0, 5);
  identity_ = core::Identity({{"the grid", "sha256:aa"}, {"task script power.R", "sha256:cd34cd34cd34"}});
  try {
    plan();
    FAIL() << "a checkpoint of another script was accepted";
  } catch (const core::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("task script power.R changed since these results were made: sha256 ab12ab12.. -> cd34cd34.."),
              std::string::npos) << m;
    EXPECT_NE(m.find("--fresh"), std::string::npos) << m;
    EXPECT_EQ(m.find("the grid"), std::string::npos) << m;  // unchanged parts are not named
  }
}

// Another R or package version is reported, and the checkpoints are kept.
TEST_F(JobPlan, AnotherPackageVersionIsAWarningOnly) {
  commit(0, 1, 0, 5);
  identity_ = core::Identity({{"the grid", "sha256:aa"}, {"result format", "1"}, {"R", "4.3.0", false}});
  ::testing::internal::CaptureStderr();
  const job::Plan p = plan();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(p.already, 5u);
  EXPECT_NE(err.find("warning: R changed since these results were made: 4.2.2 -> 4.3.0"), std::string::npos) << err;
}

// Checkpoints of an rsim that stored a grid hash, not an identity.
TEST_F(JobPlan, ACheckpointWithoutAnIdentityIsRefused) {
  io::make_dirs(ckpt_);
  core::ResultBatch batch({{"x", core::ValueType::Float}});
  batch.begin_row(0);
  batch.end_row(core::TaskStatus::ok, 0, 1);
  io::SegmentWriter(ckpt_, "sha256:aa", 0, 1).commit(batch);
  try {
    plan();
    FAIL() << "an old checkpoint was accepted";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("earlier rsim"), std::string::npos) << e.what();
  }
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
