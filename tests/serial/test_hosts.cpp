// Ranks per host, and the start-up check that every rank sees the output
// folder (job/hosts.hpp), without MPI: the ranks' probe reports are built
// by hand, a rank on a "node-local folder" is one whose probe file is not
// where rank 0 looks.  Also the status file's `hosts` and `rsim status`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rsim/core/error.hpp"
#include "rsim/job/hosts.hpp"
#include "rsim/job/progress.hpp"
#include "rsim/job/status.hpp"

namespace fs = std::filesystem;
using namespace rsim;

namespace {

class Hosts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rsim-hosts-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    output_ = (dir_ / "out.h5").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The message check_probes throws, or "" if it accepts.
  std::string refusal(const std::vector<job::RankProbe>& ranks) {
    try {
      job::check_probes(output_, token_, ranks, 0.05);
    } catch (const core::IoError& e) {
      EXPECT_EQ(e.exit_code(), core::ExitCode::runtime);
      EXPECT_EQ(e.where(), dir_.string());
      EXPECT_NE(e.fix().find("docs/cluster.md"), std::string::npos);
      return e.what_failed();
    }
    return "";
  }

  fs::path dir_;
  std::string output_;
  const std::string token_ = "t0k3n";
};

TEST(HostsList, RankRanges) {
  EXPECT_EQ(job::rank_list({4}), "rank 4");
  EXPECT_EQ(job::rank_list({0, 1}), "ranks 0-1");
  EXPECT_EQ(job::rank_list({0, 2, 4, 5, 6}), "ranks 0, 2, 4-6");
  EXPECT_EQ(job::rank_list({}), "no ranks");
}

TEST(HostsList, GroupedByHostInRankOrder) {
  const auto g = job::ranks_per_host({"b", "b", "a", "b", "c"});
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].host, "b");
  EXPECT_EQ(g[0].ranks, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(g[1].host, "a");
  EXPECT_EQ(g[1].ranks, (std::vector<int>{2}));
  EXPECT_EQ(g[2].host, "c");
  EXPECT_TRUE(job::ranks_per_host({}).empty());
}

TEST(HostsList, ProbeReportRoundTrip) {
  const auto p = job::decode_probe(3, job::encode_probe("node7", "cannot write in it: Permission denied"));
  EXPECT_EQ(p.rank, 3);
  EXPECT_EQ(p.host, "node7");
  EXPECT_EQ(p.problem, "cannot write in it: Permission denied");
  EXPECT_EQ(job::decode_probe(1, job::encode_probe("n", "")).problem, "");
}

TEST_F(Hosts, EveryRankSeenIsAccepted) {
  std::vector<job::RankProbe> ranks;
  for (int r = 0; r < 4; ++r) {
    const std::string host = r < 2 ? "h1" : "h2";
    ranks.push_back({r, host, job::write_probe(output_, token_, r, host)});
    EXPECT_EQ(ranks.back().problem, "");
  }
  EXPECT_EQ(refusal(ranks), "");
  for (int r = 0; r < 4; ++r) job::remove_probe(output_, token_, r);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(Hosts, RefusalNamesRanksAndHosts) {
  std::vector<job::RankProbe> ranks;
  for (int r = 0; r < 2; ++r) ranks.push_back({r, "h1", job::write_probe(output_, token_, r, "h1")});
  ranks.push_back({2, "h2", "the folder does not exist there"});
  ranks.push_back({3, "h2", "the folder does not exist there"});
  ranks.push_back({4, "h3", ""});  // wrote its probe in a folder of its own host: rank 0 sees nothing
  ranks.push_back({5, "h3", ""});
  const std::string msg = refusal(ranks);
  EXPECT_NE(msg.find("the output folder is not shared by every rank"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ranks 2-3 on h2: the folder does not exist there"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ranks 4-5 on h3: rank 0 (on h1) cannot see the files written there: that folder is local to h3"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("rank 0 on"), std::string::npos) << msg;
}

TEST_F(Hosts, ProbeOfAnotherRunDoesNotCount) {
  std::vector<job::RankProbe> ranks = {{0, "h1", job::write_probe(output_, token_, 0, "h1")}, {1, "h2", ""}};
  std::ofstream(job::probe_path(output_, token_, 1)) << "rsim probe other rank 1 on h2\n";
  EXPECT_NE(refusal(ranks).find("rank 1 on h2: rank 0 (on h1) cannot see"), std::string::npos);
}

TEST_F(Hosts, WriteProbeSaysWhatIsWrong) {
  EXPECT_EQ(job::write_probe((dir_ / "missing" / "out.h5").string(), token_, 1, "h"), "the folder does not exist there");
  std::ofstream(dir_ / "file") << "x";
  EXPECT_EQ(job::write_probe((dir_ / "file" / "out.h5").string(), token_, 1, "h"), "it is not a folder there");
  const std::string path = job::probe_path(output_, token_, 7);
  EXPECT_EQ(fs::path(path).parent_path(), dir_);
  EXPECT_EQ(fs::path(path).filename().string().rfind(".out.h5.probe-", 0), 0u) << path;
}

TEST_F(Hosts, StatusFileAndRsimStatusShowRanksPerHost) {
  job::JobFacts f;
  f.job = "mh";
  f.output = output_;
  f.status_path = output_ + ".status.json";
  f.n_tasks = 10;
  f.ranks = 3;
  f.rank_hosts = {"h1", "h1", "h2"};
  sched::Progress p;
  p.done = 6;
  p.total = 10;
  p.per_rank = {1, 2, 3};
  job::write_status(f, p, 1.0, "running");
  std::ifstream in(f.status_path);
  const auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("hosts")) << j.dump();
  EXPECT_EQ(j["hosts"], nlohmann::json::parse(R"([{"host":"h1","ranks":[0,1],"done":3},
                                                  {"host":"h2","ranks":[2],"done":3}])"));

  ::testing::internal::CaptureStdout();
  job::show_status(output_);
  std::fflush(stdout);
  const std::string shown = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(shown.find("  hosts: 2\n    h1: ranks 0-1, 3 tasks done in this run\n    h2: rank 2, 3 tasks done in this run\n"),
            std::string::npos)
      << shown;
}

}  // namespace
