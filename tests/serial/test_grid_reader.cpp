// grid.toml -> JobSpec: the happy paths, and every error with its message,
// line and dotted key.  Each test writes its files into a fresh temp folder.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/grid/config_errors.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"

namespace fs = std::filesystem;
using rsim::core::ConfigError;
using rsim::core::Value;
using rsim::core::ValueType;
using rsim::grid::JobSpec;
using rsim::grid::TaskSpace;

namespace {

// A valid [job] (lines 1-3) and an r [task] (4 lines).
const std::string kJob = "[job]\nname = \"study\"\nseed = 42\n";
const std::string kTaskR = "[task]\nbackend = \"r\"\nscript = \"sim.R\"\nfunction = \"simulate\"\n";
// A complete valid file of 7 lines, ending inside [task]; tests append from line 8.
const std::string kBase = kJob + kTaskR;

class GridReader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rsim-grid-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    write_file("sim.R", "simulate <- function(...) list(x = 1)\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write_file(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string grid_path() const { return (dir_ / "grid.toml").string(); }
  JobSpec read(const std::string& text) const { return rsim::grid::read_job_spec(write_file("grid.toml", text)); }

  ConfigError error(const std::string& text) const {
    try {
      read(text);
    } catch (const ConfigError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return ConfigError({}, "(no error)", "");
  }

  // Checks the error's file, line, key, message and (part of) its fix.
  void expect_error(const std::string& text, std::uint32_t line, const std::string& key, const std::string& what,
                    const std::string& fix_part = "") const {
    SCOPED_TRACE(text);
    const ConfigError e = error(text);
    EXPECT_EQ(e.location().file, grid_path());
    EXPECT_EQ(e.location().line, line);
    EXPECT_EQ(e.location().key, key);
    EXPECT_EQ(e.what_failed(), what);
    EXPECT_NE(e.fix().find(fix_part), std::string::npos) << "fix: " << e.fix();
    EXPECT_FALSE(e.fix().empty());
    EXPECT_EQ(e.exit_code(), rsim::core::ExitCode::usage);
  }

  fs::path dir_;
};

std::int64_t as_int(const Value& v) { return std::get<std::int64_t>(v); }
double as_float(const Value& v) { return std::get<double>(v); }
const std::string& as_str(const Value& v) { return std::get<std::string>(v); }

}  // namespace

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

// --------------------------------------------------------- unknown keys/tables

TEST_F(GridReader, UnknownKeySuggestsClosest) {
  expect_error("[job]\nname = \"study\"\nsede = 42\n" + kTaskR, 3, "job.sede",
               "unknown key \"sede\" in [job]; known keys: name, output, seed, replicates", "did you mean \"seed\"?");
}

TEST_F(GridReader, UnknownKeyWithoutCloseMatch) {
  expect_error(kBase + "[schedule]\ncolour = 1\n", 9, "schedule.colour",
               "unknown key \"colour\" in [schedule]; known keys: chunk, timeout, retries, checkpoint, memory",
               "remove \"colour\" or use one of the known keys");
}

TEST_F(GridReader, UnknownKeyInTask) {
  expect_error(kJob + "[task]\nbackend = \"native\"\nkernal = \"k\"\n", 6, "task.kernal",
               "unknown key \"kernal\" in [task]; known keys: backend, script, function, packages, setup, kernel, "
               "plugin",
               "did you mean \"kernel\"?");
}

TEST_F(GridReader, UnknownTable) {
  expect_error(kBase + "[schedul]\nchunk = 1\n", 8, "schedul",
               "unknown table [schedul]; known tables: job, task, args, grid, points, schedule, data",
               "did you mean [schedule]?");
}

TEST_F(GridReader, KeyOutsideAnyTable) {
  expect_error("seed = 1\n" + kBase, 1, "seed", "key \"seed\" is outside any table", "move it under [job]");
}

TEST_F(GridReader, TableWrittenAsArrayOfTables) {
  expect_error("[[job]]\nname = \"s\"\nseed = 1\n" + kTaskR, 1, "job", "[job] must be a table, not an array",
               "single brackets");
}

TEST_F(GridReader, PointsWrittenAsSingleTable) {
  expect_error(kBase + "[points]\nn = 1\n", 8, "points",
               "points must be a list of tables written as [[points]], not a table", "[[points]]");
}

// ------------------------------------------------------------------ wrong types

TEST_F(GridReader, WrongTypeForEachTypedKey) {
  struct Case {
    std::string text;
    std::uint32_t line;
    std::string key, what;
  };
  const std::string dur = "a duration (a string like \"10m\" or a number of seconds)";
  const Case cases[] = {
      {"[job]\nname = 5\nseed = 42\n" + kTaskR, 2, "job.name", "job.name must be a string, not an integer"},
      {"[job]\nname = \"s\"\noutput = true\nseed = 42\n" + kTaskR, 3, "job.output",
       "job.output must be a string, not a boolean"},
      {"[job]\nname = \"s\"\nseed = 1.5\n" + kTaskR, 3, "job.seed",
       "job.seed must be an unsigned 64-bit integer, not a float"},
      {"[job]\nname = \"s\"\nseed = true\n" + kTaskR, 3, "job.seed",
       "job.seed must be an unsigned 64-bit integer, not a boolean"},
      {kJob + "replicates = \"10\"\n" + kTaskR, 4, "job.replicates", "job.replicates must be an integer, not a string"},
      {kJob + "replicates = 2.0\n" + kTaskR, 4, "job.replicates", "job.replicates must be an integer, not a float"},
      {kJob + "[task]\nbackend = 1\n", 5, "task.backend", "task.backend must be a string, not an integer"},
      {kJob + "[task]\nbackend = \"r\"\nscript = 1\nfunction = \"f\"\n", 6, "task.script",
       "task.script must be a string, not an integer"},
      {kJob + "[task]\nbackend = \"r\"\nscript = \"sim.R\"\nfunction = [\"f\"]\n", 7, "task.function",
       "task.function must be a string, not an array"},
      {kBase + "packages = \"MASS\"\n", 8, "task.packages", "task.packages must be an array of strings, not a string"},
      {kBase + "packages = [\"MASS\", 1]\n", 8, "task.packages",
       "task.packages must hold package names (non-empty strings), not 1"},
      {kBase + "setup = 1\n", 8, "task.setup", "task.setup must be a string, not an integer"},
      {kJob + "[task]\nbackend = \"native\"\nkernel = 1\n", 6, "task.kernel",
       "task.kernel must be a string, not an integer"},
      {kJob + "[task]\nbackend = \"native\"\nkernel = \"k\"\nplugin = false\n", 7, "task.plugin",
       "task.plugin must be a string, not a boolean"},
      {kBase + "[schedule]\nchunk = 1.5\n", 9, "schedule.chunk", "schedule.chunk must be an integer, not a float"},
      {kBase + "[schedule]\ntimeout = true\n", 9, "schedule.timeout",
       "schedule.timeout must be " + dur + ", not a boolean"},
      {kBase + "[schedule]\nretries = \"2\"\n", 9, "schedule.retries",
       "schedule.retries must be an integer, not a string"},
      {kBase + "[schedule]\ncheckpoint = [1]\n", 9, "schedule.checkpoint",
       "schedule.checkpoint must be " + dur + ", not an array"},
      {kBase + "[grid]\nn = 5\n", 9, "grid.n", "grid.n must be an array of values, not an integer"},
      {kBase + "[grid]\na.b = [1]\n", 9, "grid.a", "grid.a must be an array of values, not a table"},
      {kBase + "[args]\nx = [1, 2]\n", 9, "args.x",
       "args.x must be a single value (integer, float, string or boolean), not an array"},
      {kBase + "[args]\nx.y = 1\n", 9, "args.x",
       "args.x must be a single value (integer, float, string or boolean), not a table"},
      {kBase + "[args]\nx = 1979-05-27\n", 9, "args.x",
       "args.x must be a single value (integer, float, string or boolean), not a date"},
  };
  for (const auto& c : cases) expect_error(c.text, c.line, c.key, c.what, "write ");
}

TEST_F(GridReader, ArgsArraySuggestsGrid) {
  expect_error(kBase + "[args]\nalpha = [0.01, 0.05]\n", 9, "args.alpha",
               "args.alpha must be a single value (integer, float, string or boolean), not an array",
               "move alpha to [grid]");
}

TEST_F(GridReader, GridScalarSuggestsArray) {
  expect_error(kBase + "[grid]\nn = 5\n", 9, "grid.n", "grid.n must be an array of values, not an integer",
               "write n = [5]");
}

TEST_F(GridReader, EmptyStrings) {
  expect_error("[job]\nname = \"\"\nseed = 1\n" + kTaskR, 2, "job.name", "job.name must not be empty");
  expect_error(kJob + "[task]\nbackend = \"r\"\nscript = \"sim.R\"\nfunction = \"\"\n", 7, "task.function",
               "task.function must not be empty");
}

TEST_F(GridReader, NameWithSlash) {
  expect_error("[job]\nname = \"a/b\"\nseed = 1\n" + kTaskR, 2, "job.name", "job.name must not contain '/'", "output");
}

// ---------------------------------------------------------------- grid values

TEST_F(GridReader, EmptyGridArray) {
  expect_error(kBase + "[grid]\nn = []\n", 9, "grid.n", "grid.n has no values", "give at least one value");
}

TEST_F(GridReader, EmptyGridTable) {
  expect_error(kBase + "[grid]\n", 8, "grid", "[grid] has no parameters", "n = [20, 50, 100]");
}

TEST_F(GridReader, MixedTypeArray) {
  expect_error(kBase + "[grid]\nn = [1, \"a\"]\n", 9, "grid.n", "grid.n mixes integer and string values", "same type");
}

TEST_F(GridReader, MixedIntegerAndFloat) {
  expect_error(kBase + "[grid]\nn = [0.5, 1]\n", 9, "grid.n", "grid.n has mixed integer and float values",
               "write 1.0 instead of 1");
  // The offending element's own line in a multi-line array; the fix names the integer.
  expect_error(kBase + "[grid]\nn = [\n  3,\n  2.5,\n]\n", 11, "grid.n", "grid.n has mixed integer and float values",
               "write 3.0 instead of 3");
}

TEST_F(GridReader, NestedArrayInGrid) {
  expect_error(kBase + "[grid]\nn = [[1], [2]]\n", 9, "grid.n",
               "grid.n holds an array; parameter values must be integers, floats, strings or booleans");
}

TEST_F(GridReader, GridKeyAlsoInArgs) {
  expect_error(kBase + "[args]\nn = 1\n[grid]\nn = [1, 2]\n", 11, "grid.n",
               "\"n\" is both a constant in [args] (line 9) and a parameter in [grid]", "remove one of them");
}

TEST_F(GridReader, ReservedParamNames) {
  const char* reserved[] = {"task", "point", "replicate", "status", "elapsed", "rank", "attempts"};
  for (const char* name : reserved)
    expect_error(kBase + "[grid]\n" + name + " = [1, 2]\n", 9, std::string("grid.") + name,
                 "\"" + std::string(name) + "\" is a reserved name (a column rsim writes for every task)",
                 "rename the parameter");
  expect_error(kBase + "[[points]]\nreplicate = 1\n", 9, "points.replicate",
               "\"replicate\" is a reserved name (a column rsim writes for every task)");
}

TEST_F(GridReader, InvalidParamNames) {
  expect_error(kBase + "[grid]\n\"2n\" = [1]\n", 9, "grid.2n", "\"2n\" is not a valid parameter name",
               "start with a letter");
  expect_error(kBase + "[grid]\n\"my n\" = [1]\n", 9, "grid.my n", "\"my n\" is not a valid parameter name");
  expect_error(kBase + "[args]\n\"a-b\" = 1\n", 9, "args.a-b", "\"a-b\" is not a valid parameter name");
}

// ---------------------------------------------------------------------- points

TEST_F(GridReader, BothGridAndPoints) {
  expect_error(kBase + "[grid]\nn = [1]\n[[points]]\nn = 2\n", 10, "points",
               "[grid] and [[points]] cannot both be given", "not both");
}

TEST_F(GridReader, PointMissingAKey) {
  expect_error(kBase + "[[points]]\nn = 1\ndelta = 0.5\n[[points]]\nn = 2\n", 11, "points.delta",
               "point 2 has no \"delta\", which point 1 has", "same keys: n, delta");
}

TEST_F(GridReader, PointWithAnExtraKey) {
  expect_error(kBase + "[[points]]\nn = 1\n[[points]]\nn = 2\ndelta = 0.5\n", 12, "points.delta",
               "point 2 has the key \"delta\", which point 1 does not have", "same keys: n");
}

TEST_F(GridReader, PointsWithDifferentTypes) {
  expect_error(kBase + "[[points]]\nn = 1\n[[points]]\nn = \"x\"\n", 11, "points.n",
               "points.n mixes integer and string values");
  expect_error(kBase + "[[points]]\nn = 1\n[[points]]\nn = 2.5\n", 11, "points.n",
               "points.n has mixed integer and float values", "write 1.0 instead of 1");
}

TEST_F(GridReader, PointWithoutParameters) {
  expect_error(kBase + "[[points]]\n[[points]]\n", 8, "points", "point 1 has no parameters");
}

TEST_F(GridReader, EmptyPointsArray) { expect_error("points = []\n" + kBase, 1, "points", "points has no entries"); }

// ------------------------------------------------------------- required keys

TEST_F(GridReader, MissingRequiredKeys) {
  expect_error("[job]\nseed = 1\n" + kTaskR, 1, "job.name", "[job] has no \"name\" key, which is required",
               "add name = \"my-study\" under [job]");
  expect_error("[job]\nname = \"s\"\n" + kTaskR, 1, "job.seed", "[job] has no \"seed\" key, which is required",
               "add seed = 20261129");
  expect_error(kJob + "[task]\nscript = \"sim.R\"\nfunction = \"f\"\n", 4, "task.backend",
               "[task] has no \"backend\" key, which is required", "backend = \"r\"");
  expect_error(kJob + "[task]\nbackend = \"native\"\n", 4, "task.kernel",
               "[task] has no \"kernel\" key, which is required", "kernel = ");
  expect_error(kJob + "[task]\nbackend = \"r\"\nfunction = \"f\"\n", 4, "task.script",
               "[task] has no \"script\" key, which is required", "script = ");
  expect_error(kJob + "[task]\nbackend = \"r\"\nscript = \"sim.R\"\n", 4, "task.function",
               "[task] has no \"function\" key, which is required", "function = ");
}

TEST_F(GridReader, MissingTables) {
  expect_error(kTaskR, 0, "job", "the required table [job] is missing", "[job] with name");
  expect_error(kJob, 0, "task", "the required table [task] is missing", "backend = \"r\"");
}

// ------------------------------------------------------------- job values

TEST_F(GridReader, ReplicatesZero) {
  expect_error(kJob + "replicates = 0\n" + kTaskR, 4, "job.replicates",
               "job.replicates = 0 is out of range; it must be at least 1", "replicates = 1 or more");
}

TEST_F(GridReader, NegativeSeed) {
  expect_error("[job]\nname = \"s\"\nseed = -1\n" + kTaskR, 3, "job.seed",
               "job.seed = -1 is out of range; it must be between 0 and 18446744073709551615");
}

TEST_F(GridReader, SeedStringOverflow) {
  expect_error("[job]\nname = \"s\"\nseed = \"18446744073709551616\"\n" + kTaskR, 3, "job.seed",
               "job.seed = \"18446744073709551616\" is out of range; it must be between 0 and 18446744073709551615");
  expect_error("[job]\nname = \"s\"\nseed = \"99999999999999999999999\"\n" + kTaskR, 3, "job.seed",
               "job.seed = \"99999999999999999999999\" is out of range; it must be between 0 and "
               "18446744073709551615");
}

TEST_F(GridReader, SeedStringNotDecimal) {
  for (const char* bad : {"12a", "", "-1", "+1", " 1", "0x10", "1e3"})
    expect_error("[job]\nname = \"s\"\nseed = \"" + std::string(bad) + "\"\n" + kTaskR, 3, "job.seed",
                 "job.seed = \"" + std::string(bad) + "\" is not a decimal number", "digits 0-9");
}

TEST_F(GridReader, SeedIntegerLiteralTooLarge) {
  expect_error("[job]\nname = \"s\"\nseed = 18446744073709551615\n" + kTaskR, 3, "job.seed",
               "job.seed is larger than 9223372036854775807, the largest TOML integer",
               "seed = \"18446744073709551615\"");
}

TEST_F(GridReader, MoreThan2To63Tasks) {
  expect_error(kJob + "replicates = 4611686018427387904\n" + kTaskR + "[grid]\nn = [1, 2, 3]\n", 4, "job.replicates",
               "the job has more than 2^63 tasks (3 points x 4611686018427387904 replicates)", "fewer");
  std::string grid = "[grid]\n";  // line 8; 2^64 points from the grid alone
  for (int i = 0; i < 64; ++i) grid += "p" + std::to_string(i) + " = [1, 2]\n";
  expect_error(kBase + grid, 8, "grid", "the job has more than 2^63 tasks (the grid alone)", "fewer");
}

// ------------------------------------------------------------------ task

TEST_F(GridReader, MissingScriptFile) {
  expect_error(kJob + "[task]\nbackend = \"r\"\nscript = \"missing.R\"\nfunction = \"f\"\n", 6, "task.script",
               "script \"missing.R\" does not exist (looked for " + (dir_ / "missing.R").string() + ")",
               "resolved against the folder of the grid file");
}

TEST_F(GridReader, ScriptIsAFolder) {
  fs::create_directories(dir_ / "R");
  expect_error(kJob + "[task]\nbackend = \"r\"\nscript = \"R\"\nfunction = \"f\"\n", 6, "task.script",
               "task.script = \"R\" is a folder, not a file");
}

TEST_F(GridReader, MissingPluginFile) {
  expect_error(kJob + "[task]\nbackend = \"native\"\nkernel = \"k\"\nplugin = \"libnone.so\"\n", 7, "task.plugin",
               "plugin \"libnone.so\" does not exist (looked for " + (dir_ / "libnone.so").string() + ")");
}

TEST_F(GridReader, KeyOfTheOtherBackend) {
  expect_error(kJob + "[task]\nbackend = \"native\"\nkernel = \"k\"\nscript = \"sim.R\"\n", 7, "task.script",
               "script is a key of the r backend, but backend = \"native\"", "remove script, or set backend = \"r\"");
  expect_error(kBase + "kernel = \"k\"\n", 8, "task.kernel",
               "kernel is a key of the native backend, but backend = \"r\"", "set backend = \"native\"");
}

TEST_F(GridReader, UnknownBackend) {
  expect_error(kJob + "[task]\nbackend = \"R\"\n", 5, "task.backend",
               "task.backend must be \"r\" or \"native\", not \"R\"", "did you mean \"r\"?");
  expect_error(kJob + "[task]\nbackend = \"python\"\n", 5, "task.backend",
               "task.backend must be \"r\" or \"native\", not \"python\"",
               "write backend = \"r\" or backend = \"native\"");
}

// ---------------------------------------------------------------- schedule

TEST_F(GridReader, BadTimeoutStrings) {
  for (const char* bad : {"10", "10x", "-5m", "", "m", "1m1h", "1.m", "1h 30m", "ten minutes"})
    expect_error(kBase + "[schedule]\ntimeout = \"" + bad + "\"\n", 9, "schedule.timeout",
                 "schedule.timeout = \"" + std::string(bad) + "\" is not a duration",
                 "write a duration like \"30s\", \"10m\", \"1h30m\" or \"500ms\", or a number of seconds");
}

TEST_F(GridReader, NegativeOrNonFiniteTimeout) {
  expect_error(kBase + "[schedule]\ntimeout = -1\n", 9, "schedule.timeout",
               "schedule.timeout = -1 is out of range; it must be 0 or more seconds (0 = none)");
  expect_error(kBase + "[schedule]\ntimeout = nan\n", 9, "schedule.timeout",
               "schedule.timeout = nan is not a duration");
}

TEST_F(GridReader, CheckpointMustBePositive) {
  expect_error(kBase + "[schedule]\ncheckpoint = 0\n", 9, "schedule.checkpoint",
               "schedule.checkpoint = 0 is out of range; it must be more than 0 seconds", "checkpoint = \"5s\"");
  expect_error(kBase + "[schedule]\ncheckpoint = \"0s\"\n", 9, "schedule.checkpoint",
               "schedule.checkpoint = \"0s\" is out of range; it must be more than 0 seconds");
  expect_error(kBase + "[schedule]\ncheckpoint = \"soon\"\n", 9, "schedule.checkpoint",
               "schedule.checkpoint = \"soon\" is not a duration");
}

TEST_F(GridReader, ChunkAndRetriesRanges) {
  expect_error(kBase + "[schedule]\nchunk = -1\n", 9, "schedule.chunk",
               "schedule.chunk = -1 is out of range; it must be 0 or more (0 = automatic)");
  expect_error(kBase + "[schedule]\nretries = 101\n", 9, "schedule.retries",
               "schedule.retries = 101 is out of range; it must be between 0 and 100");
  expect_error(kBase + "[schedule]\nretries = -1\n", 9, "schedule.retries",
               "schedule.retries = -1 is out of range; it must be between 0 and 100");
}

// ------------------------------------------------------------- TOML syntax

TEST_F(GridReader, DuplicateKey) {
  expect_error("[job]\nname = \"s\"\nseed = 1\nseed = 2\n" + kTaskR, 4, "job.seed", "duplicate key \"seed\" in [job]",
               "a key may appear once per table");
}

TEST_F(GridReader, DuplicateTable) {
  expect_error(kBase + "[job]\nreplicates = 2\n", 8, "job", "table [job] is defined twice",
               "merge the two [job] sections");
}

TEST_F(GridReader, SyntaxError) {
  const ConfigError e = error(kBase + "[args]\nx = \n");
  EXPECT_EQ(e.location().line, 9u);
  EXPECT_EQ(e.location().key, "args.x");
  EXPECT_EQ(e.what_failed().rfind("TOML syntax error: ", 0), 0u) << e.what_failed();
  EXPECT_NE(std::string(e.what()).find("grid.toml:9 (args.x)"), std::string::npos) << e.what();
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
