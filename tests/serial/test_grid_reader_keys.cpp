// grid.toml's keys and tables: unknown or misplaced, of the wrong type,
// missing, or written twice, and TOML syntax errors; each error with its
// message, line and dotted key.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "grid_reader_fixture.hpp"
#include "rsim/core/error.hpp"

using namespace rsim::test;
using rsim::core::ConfigError;

// --------------------------------------------------------- unknown keys/tables

TEST_F(GridReader, UnknownKeySuggestsClosest) {
  expect_error("[job]\nname = \"study\"\nsede = 42\n" + kTaskR, 3, "job.sede",
               "unknown key \"sede\" in [job]; known keys: name, output, seed, replicates", "did you mean \"seed\"?");
}

TEST_F(GridReader, UnknownKeyWithoutCloseMatch) {
  expect_value_error("schedule", "colour", "1",
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
               "unknown table [schedul]; known tables: job, task, args, grid, points, schedule, data, output",
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
  expect_value_error("args", "alpha", "[0.01, 0.05]",
                     "args.alpha must be a single value (integer, float, string or boolean), not an array",
                     "move alpha to [grid]");
}

TEST_F(GridReader, GridScalarSuggestsArray) {
  expect_value_error("grid", "n", "5", "grid.n must be an array of values, not an integer", "write n = [5]");
}

TEST_F(GridReader, EmptyStrings) {
  expect_error("[job]\nname = \"\"\nseed = 1\n" + kTaskR, 2, "job.name", "job.name must not be empty");
  expect_error(kJob + "[task]\nbackend = \"r\"\nscript = \"sim.R\"\nfunction = \"\"\n", 7, "task.function",
               "task.function must not be empty");
}

TEST_F(GridReader, NameWithSlash) {
  expect_error("[job]\nname = \"a/b\"\nseed = 1\n" + kTaskR, 2, "job.name", "job.name must not contain '/'", "output");
}

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
