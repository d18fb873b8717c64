// A job's identity: stored and read back, compared part by part, and the
// canonical grid that ignores how grid.toml is written but not what it says.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rsim/core/error.hpp"
#include "rsim/core/identity.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/job/identity.hpp"

namespace fs = std::filesystem;
using namespace rsim;

namespace {

core::Identity sample() {
  return core::Identity({{"task script power.R", "sha256:ab12"}, {"the grid", "sha256:01"}, {"R", "4.2.2", false}});
}

grid::JobSpec parse(const std::string& text) { return grid::parse_job_spec(text, "/tmp/identity-test/grid.toml"); }

const char* kGrid = R"(
[job]
name = "power"
seed = 42
replicates = 10
[task]
backend = "native"
kernel = "ttest_power"
[args]
alpha = 0.05
sd = 1.0
[grid]
n = [20, 50]
delta = [0.2, 0.5]
)";

}  // namespace

TEST(Identity, EncodeDecodeRoundTripsSortedByName) {
  const core::Identity id = sample();
  ASSERT_EQ(id.parts().size(), 3u);
  EXPECT_EQ(id.parts()[0].name, "R");  // sorted
  const core::Identity back = core::Identity::decode(id.encode());
  EXPECT_EQ(back.encode(), id.encode());
  EXPECT_FALSE(back.parts()[0].refuse);
  EXPECT_TRUE(back.parts()[1].refuse);
}

TEST(Identity, AnOldGridHashDecodesToNothing) {
  EXPECT_TRUE(core::Identity::decode("sha256:c7f8b2e5").empty());
  EXPECT_TRUE(core::Identity::decode("a\tb\tmaybe\n").empty());
  EXPECT_TRUE(core::Identity::decode("").empty());
}

TEST(Identity, ControlCharactersInANameCannotBreakTheEncoding) {
  const core::Identity id(std::vector<core::IdentityPart>{{"sourced file a\tb\nc.R", "sha256:01"}});
  const core::Identity back = core::Identity::decode(id.encode());
  ASSERT_EQ(back.parts().size(), 1u);
  EXPECT_EQ(back.parts()[0].value, "sha256:01");
}

TEST(Identity, CompareNamesChangedAddedAndRemovedParts) {
  const core::Identity was = sample();
  const core::Identity now({{"task script power.R", "sha256:cd34"}, {"sourced file helpers.R", "sha256:ee"},
                            {"R", "4.3.0", false}});
  const auto ch = core::compare(was, now);
  ASSERT_EQ(ch.size(), 4u);
  EXPECT_EQ(core::describe(ch[0]), "R changed since these results were made: 4.2.2 -> 4.3.0");
  EXPECT_FALSE(ch[0].refuse);
  EXPECT_EQ(core::describe(ch[1]), "sourced file helpers.R is new since these results were made (sha256 ee..)");
  EXPECT_EQ(core::describe(ch[2]), "task script power.R changed since these results were made: sha256 ab12.. -> cd34..");
  EXPECT_NE(core::describe(ch[3]).find("the grid was part of the job"), std::string::npos);
  EXPECT_TRUE(core::any_refused(ch));
  EXPECT_TRUE(core::compare(was, sample()).empty());
}

TEST(Identity, OnlyVersionChangesRefuseNothing) {
  const core::Identity now({{"task script power.R", "sha256:ab12"}, {"the grid", "sha256:01"}, {"R", "4.3.0", false}});
  EXPECT_FALSE(core::any_refused(core::compare(sample(), now)));
}

TEST(Identity, TheCanonicalGridIgnoresCommentsLayoutKeyOrderAndNumberSpelling) {
  const std::string same = R"(
# a comment, written by write_grid() on another day
[task]
kernel = "ttest_power"     # order of keys differs
backend = "native"
[job]
replicates = 1_0
seed = 0x2A
name = "power"
[grid]
n = [ 20, 50 ]
delta = [2e-1, 0.50]
[args]
sd = 1e0
alpha = 5.0e-2
)";
  EXPECT_EQ(job::canonical_grid(parse(kGrid)), job::canonical_grid(parse(same)));
}

TEST(Identity, TheCanonicalGridSeesEveryChangeOfMeaning) {
  const std::string base = job::canonical_grid(parse(kGrid));
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string t = kGrid;
    t.replace(t.find(from), from.size(), to);
    return job::canonical_grid(parse(t));
  };
  EXPECT_NE(changed("seed = 42", "seed = 43"), base);
  EXPECT_NE(changed("replicates = 10", "replicates = 11"), base);
  EXPECT_NE(changed("alpha = 0.05", "alpha = 0.01"), base);
  EXPECT_NE(changed("sd = 1.0", "sd = 1"), base);                   // a float became an integer
  EXPECT_NE(changed("n = [20, 50]", "n = [50, 20]"), base);          // value order numbers the tasks
  EXPECT_NE(changed("n = [20, 50]\ndelta = [0.2, 0.5]", "delta = [0.2, 0.5]\nn = [20, 50]"), base);  // so does parameter order
  // What does not change results: the name, the output, [schedule].
  EXPECT_EQ(changed("name = \"power\"", "name = \"power2\"\noutput = \"other.h5\""), base);
  EXPECT_EQ(changed("[grid]", "[schedule]\nretries = 3\ntimeout = \"1m\"\n[grid]"), base);
}

TEST(Identity, FilesHashByContent) {
  const fs::path p = fs::temp_directory_path() / ("rsim-identity-" + std::to_string(::getpid()));
  { std::ofstream(p) << "abc"; }
  EXPECT_EQ(core::sha256_of_file(p.string()),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove(p);
  EXPECT_THROW(core::sha256_of_file(p.string()), core::IoError);
}
