// grid.toml's values that are out of bounds: parameters of [grid] and
// [[points]], [job]'s seed and replicates, [task]'s files and backend, and
// [schedule]'s durations and ranges; each error with its message, line and
// dotted key.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "grid_reader_fixture.hpp"

namespace fs = std::filesystem;
using namespace rsim::test;

// ---------------------------------------------------------------- grid values

TEST_F(GridReader, EmptyGridArray) {
  expect_value_error("grid", "n", "[]", "grid.n has no values", "give at least one value");
}

TEST_F(GridReader, EmptyGridTable) {
  expect_error(kBase + "[grid]\n", 8, "grid", "[grid] has no parameters", "n = [20, 50, 100]");
}

TEST_F(GridReader, MixedTypeArray) {
  expect_value_error("grid", "n", "[1, \"a\"]", "grid.n mixes integer and string values", "same type");
}

TEST_F(GridReader, MixedIntegerAndFloat) {
  expect_value_error("grid", "n", "[0.5, 1]", "grid.n has mixed integer and float values", "write 1.0 instead of 1");
  // The offending element's own line in a multi-line array; the fix names the integer.
  expect_error(kBase + "[grid]\nn = [\n  3,\n  2.5,\n]\n", 11, "grid.n", "grid.n has mixed integer and float values",
               "write 3.0 instead of 3");
}

TEST_F(GridReader, NestedArrayInGrid) {
  expect_value_error("grid", "n", "[[1], [2]]",
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

TEST_F(GridReader, EmptyPointsArray) {
  expect_error("points = []\n" + kBase, 1, "points", "points has no entries");
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
    expect_value_error("schedule", "timeout", "\"" + std::string(bad) + "\"",
                       "schedule.timeout = \"" + std::string(bad) + "\" is not a duration",
                       "write a duration like \"30s\", \"10m\", \"1h30m\" or \"500ms\", or a number of seconds");
}

TEST_F(GridReader, NegativeOrNonFiniteTimeout) {
  expect_value_error("schedule", "timeout", "-1",
                     "schedule.timeout = -1 is out of range; it must be 0 or more seconds (0 = none)");
  expect_value_error("schedule", "timeout", "nan", "schedule.timeout = nan is not a duration");
}

TEST_F(GridReader, CheckpointMustBePositive) {
  expect_value_error("schedule", "checkpoint", "0",
                     "schedule.checkpoint = 0 is out of range; it must be more than 0 seconds", "checkpoint = \"5s\"");
  expect_value_error("schedule", "checkpoint", "\"0s\"",
                     "schedule.checkpoint = \"0s\" is out of range; it must be more than 0 seconds");
  expect_value_error("schedule", "checkpoint", "\"soon\"", "schedule.checkpoint = \"soon\" is not a duration");
}

TEST_F(GridReader, ChunkAndRetriesRanges) {
  expect_value_error("schedule", "chunk", "-1",
                     "schedule.chunk = -1 is out of range; it must be 0 or more (0 = automatic)");
  expect_value_error("schedule", "retries", "101",
                     "schedule.retries = 101 is out of range; it must be between 0 and 100");
  expect_value_error("schedule", "retries", "-1",
                     "schedule.retries = -1 is out of range; it must be between 0 and 100");
}
