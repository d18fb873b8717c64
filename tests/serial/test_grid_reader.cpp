// grid.toml -> JobSpec: the happy paths (values, defaults, paths, provenance,
// the task space they make), reading the file itself, and the full message
// of an error.  Each test writes its files into a fresh temp folder.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "grid_reader_fixture.hpp"
#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/grid/config_errors.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"

namespace fs = std::filesystem;
using namespace rsim::test;
using rsim::core::ConfigError;
using rsim::core::ValueType;
using rsim::grid::JobSpec;
using rsim::grid::TaskSpace;

// ---------------------------------------------------------------- happy paths

TEST_F(GridReader, DefaultsAndProvenance) {
  const JobSpec s = read(kBase);
  EXPECT_EQ(s.name, "study");
  EXPECT_EQ(s.output, (dir_ / "study.h5").string());
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.replicates, 1u);
  EXPECT_EQ(s.task.backend, "r");
  EXPECT_EQ(s.task.script, (dir_ / "sim.R").string());
  EXPECT_EQ(s.task.function, "simulate");
  EXPECT_TRUE(s.task.packages.empty());
  EXPECT_EQ(s.task.setup, "");
  EXPECT_EQ(s.task.kernel, "");
  EXPECT_EQ(s.task.plugin, "");
  EXPECT_TRUE(s.args.empty());
  EXPECT_TRUE(s.cartesian);
  EXPECT_TRUE(s.params.empty());
  EXPECT_EQ(s.schedule.chunk, 0u);
  EXPECT_EQ(s.schedule.timeout_s, 0.0);
  EXPECT_EQ(s.schedule.retries, 0u);
  EXPECT_EQ(s.schedule.checkpoint_s, 5.0);
  EXPECT_EQ(s.source_path, grid_path());
  EXPECT_EQ(s.source_text, kBase);
  EXPECT_EQ(s.source_hash, "sha256:" + rsim::core::sha256_hex(kBase));
  EXPECT_EQ(s.source_hash.size(), 7u + 64u);
  const TaskSpace ts(s);  // neither [grid] nor [[points]]: one point without parameters
  EXPECT_EQ(ts.n_points(), 1u);
  EXPECT_EQ(ts.n_tasks(), 1u);
}

TEST_F(GridReader, CartesianGridFirstKeyVariesSlowest) {
  const std::string text = "[job]\nname = \"study\"\nseed = 42\nreplicates = 2\n" + kTaskR +
                           "[grid]\n"                            // 9
                           "n = [20, 50, 100]\n"                 // 10
                           "delta = [0.0, 0.5]\n"                // 11
                           "test = [\"welch\", \"student\"]\n";  // 12
  const JobSpec s = read(text);
  ASSERT_EQ(s.params.size(), 3u);
  EXPECT_TRUE(s.cartesian);
  EXPECT_EQ(s.params[0].name, "n");
  EXPECT_EQ(s.params[1].name, "delta");
  EXPECT_EQ(s.params[2].name, "test");
  EXPECT_EQ(s.params[0].type, ValueType::Int);
  EXPECT_EQ(s.params[1].type, ValueType::Float);
  EXPECT_EQ(s.params[2].type, ValueType::String);
  EXPECT_EQ(s.params[0].line, 10u);
  EXPECT_EQ(s.params[1].line, 11u);
  EXPECT_EQ(s.params[2].line, 12u);

  const TaskSpace ts(s);
  ASSERT_EQ(ts.n_points(), 12u);
  ASSERT_EQ(ts.n_tasks(), 24u);
  const std::int64_t ns[] = {20, 50, 100};
  const double deltas[] = {0.0, 0.5};
  const char* tests[] = {"welch", "student"};
  std::uint64_t p = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k, ++p) {
        SCOPED_TRACE("point " + std::to_string(p));
        EXPECT_EQ(as_int(ts.value(p, 0)), ns[i]);
        EXPECT_EQ(as_float(ts.value(p, 1)), deltas[j]);
        EXPECT_EQ(as_str(ts.value(p, 2)), tests[k]);
        EXPECT_EQ(ts.point_of(2 * p + 1), p);
        EXPECT_EQ(ts.replicate_of(2 * p + 1), 1u);
      }
}

TEST_F(GridReader, ExplicitPoints) {
  const JobSpec s = read(kBase +
                         "[[points]]\n"     // 8
                         "n = 20\n"         // 9
                         "delta = 0.5\n"    // 10
                         "[[points]]\n"     // 11
                         "delta = 0.2\n"    // 12 (key order within a point may differ)
                         "n = 50\n"         // 13
                         "[[points]]\n"     // 14
                         "n = 100\n"        // 15
                         "delta = 0.0\n");  // 16
  EXPECT_FALSE(s.cartesian);
  ASSERT_EQ(s.params.size(), 2u);
  EXPECT_EQ(s.params[0].name, "n");
  EXPECT_EQ(s.params[0].line, 9u);
  EXPECT_EQ(s.params[1].name, "delta");
  EXPECT_EQ(s.params[1].type, ValueType::Float);
  const TaskSpace ts(s);
  ASSERT_EQ(ts.n_points(), 3u);
  EXPECT_EQ(as_int(ts.value(0, 0)), 20);
  EXPECT_EQ(as_int(ts.value(1, 0)), 50);
  EXPECT_EQ(as_int(ts.value(2, 0)), 100);
  EXPECT_EQ(as_float(ts.value(0, 1)), 0.5);
  EXPECT_EQ(as_float(ts.value(1, 1)), 0.2);
  EXPECT_EQ(as_float(ts.value(2, 1)), 0.0);
}

TEST_F(GridReader, InlinePointsArray) {
  const JobSpec s = read("points = [{ b = true }, { b = false }]\n" + kBase);  // top-level key: before any table
  EXPECT_FALSE(s.cartesian);
  ASSERT_EQ(s.params.size(), 1u);
  EXPECT_EQ(s.params[0].type, ValueType::Bool);
  EXPECT_EQ(s.params[0].values.size(), 2u);
  EXPECT_EQ(std::get<bool>(s.params[0].values[1]), false);
}

TEST_F(GridReader, RelativePathsResolvedAgainstGridFolder) {
  const std::string path = write_file("sub/dir/grid.toml",
                                      "[job]\nname = \"s\"\nseed = 1\n"
                                      "output = \"../results/./out.h5\"\n"
                                      "[task]\nbackend = \"r\"\nscript = \"../../sim.R\"\n"
                                      "function = \"f\"\n");
  const JobSpec s = rsim::grid::read_job_spec(path);
  EXPECT_EQ(s.output, (dir_ / "sub" / "results" / "out.h5").string());
  EXPECT_EQ(s.task.script, (dir_ / "sim.R").string());
  EXPECT_TRUE(fs::path(s.output).is_absolute());
}

TEST_F(GridReader, AbsoluteOutputKept) {
  const JobSpec s = read("[job]\nname = \"s\"\nseed = 1\noutput = \"/data/x/../out.h5\"\n" + kTaskR);
  EXPECT_EQ(s.output, "/data/out.h5");
}

TEST_F(GridReader, ParseJobSpecResolvesAgainstGivenPath) {
  const JobSpec s = rsim::grid::parse_job_spec(
      "[job]\nname = \"s\"\nseed = 1\n[task]\nbackend = \"native\"\nkernel = \"ttest_power\"\n",
      (dir_ / "elsewhere" / "grid.toml").string());
  EXPECT_EQ(s.output, (dir_ / "elsewhere" / "s.h5").string());
  EXPECT_EQ(s.source_path, (dir_ / "elsewhere" / "grid.toml").string());
}

TEST_F(GridReader, SeedFullUnsignedRange) {
  EXPECT_EQ(read("[job]\nname = \"s\"\nseed = \"18446744073709551615\"\n" + kTaskR).seed,
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(read("[job]\nname = \"s\"\nseed = \"0\"\n" + kTaskR).seed, 0u);
  EXPECT_EQ(read("[job]\nname = \"s\"\nseed = 9223372036854775807\n" + kTaskR).seed,
            std::uint64_t{9223372036854775807u});
}

TEST_F(GridReader, ScheduleValues) {
  const JobSpec s = read(kBase + "[schedule]\nchunk = 16\ntimeout = \"1h30m\"\nretries = 3\ncheckpoint = \"2s\"\n");
  EXPECT_EQ(s.schedule.chunk, 16u);
  EXPECT_EQ(s.schedule.timeout_s, 5400.0);
  EXPECT_EQ(s.schedule.retries, 3u);
  EXPECT_EQ(s.schedule.checkpoint_s, 2.0);
  EXPECT_EQ(read(kBase + "[schedule]\ntimeout = 90\n").schedule.timeout_s, 90.0);
  EXPECT_EQ(read(kBase + "[schedule]\ntimeout = 2.5\ncheckpoint = 0.25\n").schedule.checkpoint_s, 0.25);
  EXPECT_EQ(read(kBase + "[schedule]\ntimeout = 0\n").schedule.timeout_s, 0.0);
}

TEST_F(GridReader, DurationFormats) {
  using rsim::grid::parse_duration;
  EXPECT_EQ(parse_duration("1h30m"), 5400.0);
  EXPECT_EQ(parse_duration("10m"), 600.0);
  EXPECT_EQ(parse_duration("30s"), 30.0);
  EXPECT_EQ(parse_duration("500ms"), 0.5);
  EXPECT_EQ(parse_duration("1.5h"), 5400.0);
  EXPECT_EQ(parse_duration("1h30m15s500ms"), 5415.5);
  EXPECT_EQ(parse_duration("0s"), 0.0);
  for (const char* bad : {"", "10", "10x", "-5m", "m", "1m1h", "1.m", ".5s", "1h 30m", "5mm", "1s1s", "10 s"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << '"' << bad << '"';
}

TEST_F(GridReader, ArgsInFileOrderWithTypes) {
  const JobSpec s = read(kBase + "[args]\nz = 1\na = \"x\"\nm = true\nf = 0.5\n\"b.c_1\" = 2\n");
  ASSERT_EQ(s.args.size(), 5u);
  const char* names[] = {"z", "a", "m", "f", "b.c_1"};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.args[i].name, names[i]);
    EXPECT_EQ(s.args[i].line, 9u + i);
  }
  EXPECT_EQ(as_int(s.args[0].value), 1);
  EXPECT_EQ(as_str(s.args[1].value), "x");
  EXPECT_EQ(std::get<bool>(s.args[2].value), true);
  EXPECT_EQ(as_float(s.args[3].value), 0.5);
}

TEST_F(GridReader, RBackendOptionalKeys) {
  const JobSpec s = read(kBase + "packages = [\"MASS\", \"data.table\"]\nsetup = \"init\"\n");
  EXPECT_EQ(s.task.packages, (std::vector<std::string>{"MASS", "data.table"}));
  EXPECT_EQ(s.task.setup, "init");
}

TEST_F(GridReader, NativeBackendWithPlugin) {
  write_file("lib/libmine.so", "not really a library");
  const JobSpec s = read(kJob + "[task]\nbackend = \"native\"\nkernel = \"mine\"\nplugin = \"lib/libmine.so\"\n");
  EXPECT_EQ(s.task.backend, "native");
  EXPECT_EQ(s.task.kernel, "mine");
  EXPECT_EQ(s.task.plugin, (dir_ / "lib" / "libmine.so").string());
  EXPECT_EQ(s.task.script, "");
}

TEST_F(GridReader, ParamNamesWithDotsAndUnderscores) {
  const JobSpec s = read(kBase + "[grid]\n\".hidden\" = [1]\n\"a.b\" = [1]\nx_1 = [\"a\"]\n");
  ASSERT_EQ(s.params.size(), 3u);
  EXPECT_EQ(s.params[0].name, ".hidden");
  EXPECT_EQ(s.params[1].name, "a.b");
}

// ------------------------------------------------------------------ files

TEST_F(GridReader, MissingGridFile) {
  const std::string path = (dir_ / "nope.toml").string();
  try {
    rsim::grid::read_job_spec(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.location().file, path);
    EXPECT_EQ(e.location().line, 0u);
    EXPECT_EQ(e.what_failed(), "the grid file does not exist");
    EXPECT_FALSE(e.fix().empty());
  }
}

TEST_F(GridReader, GridPathIsAFolder) {
  try {
    rsim::grid::read_job_spec(dir_.string());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.location().line, 0u);
    EXPECT_EQ(e.what_failed(), "this is a folder, not a grid file");
  }
}

TEST_F(GridReader, FullMessageNamesFileLineAndKey) {
  const ConfigError e = error("[job]\nname = \"study\"\nsede = 42\n" + kTaskR);
  EXPECT_EQ(std::string(e.what()), grid_path() +
                                       ":3 (job.sede): unknown key \"sede\" in [job]; known keys: name, output, "
                                       "seed, replicates\n  fix: did you mean \"seed\"?");
}

TEST(ConfigErrors, EditDistanceAndClosest) {
  using rsim::grid::errors::closest;
  using rsim::grid::errors::edit_distance;
  EXPECT_EQ(edit_distance("seed", "seed"), 0u);
  EXPECT_EQ(edit_distance("sede", "seed"), 1u);  // one swap
  EXPECT_EQ(edit_distance("sed", "seed"), 1u);
  EXPECT_EQ(edit_distance("timeuot", "timeout"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest("replicate", {"name", "replicates"}), "replicates");
  EXPECT_EQ(closest("colour", {"chunk", "timeout", "retries", "checkpoint"}), "");
}
