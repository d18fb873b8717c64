#pragma once
// The GridReader test fixture: a fresh temp folder per test holding sim.R,
// a grid.toml written from a string, and a check of a ConfigError's file,
// line, dotted key, message and fix.  Also a valid [job] and [task] that
// tests build their files from.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "rsim/core/error.hpp"
#include "rsim/grid/grid_reader.hpp"

namespace rsim::test {

// A valid [job] (lines 1-3) and an r [task] (4 lines).
inline const std::string kJob = "[job]\nname = \"study\"\nseed = 42\n";
inline const std::string kTaskR = "[task]\nbackend = \"r\"\nscript = \"sim.R\"\nfunction = \"simulate\"\n";
// A complete valid file of 7 lines, ending inside [task]; tests append from line 8.
inline const std::string kBase = kJob + kTaskR;

class GridReader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rsim-grid-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    write_file("sim.R", "simulate <- function(...) list(x = 1)\n");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string write_file(const std::string& name, const std::string& text) const {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string grid_path() const { return (dir_ / "grid.toml").string(); }
  grid::JobSpec read(const std::string& text) const { return grid::read_job_spec(write_file("grid.toml", text)); }

  core::ConfigError error(const std::string& text) const {
    try {
      read(text);
    } catch (const core::ConfigError& e) {
      return e;
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return core::ConfigError({}, "(no error)", "");
  }

  // Checks the error's file, line, key, message and (part of) its fix.
  void expect_error(const std::string& text, std::uint32_t line, const std::string& key, const std::string& what,
                    const std::string& fix_part = "") const {
    SCOPED_TRACE(text);
    const core::ConfigError e = error(text);
    EXPECT_EQ(e.location().file, grid_path());
    EXPECT_EQ(e.location().line, line);
    EXPECT_EQ(e.location().key, key);
    EXPECT_EQ(e.what_failed(), what);
    EXPECT_NE(e.fix().find(fix_part), std::string::npos) << "fix: " << e.fix();
    EXPECT_FALSE(e.fix().empty());
    EXPECT_EQ(e.exit_code(), core::ExitCode::usage);
  }

  // expect_error for `key = value` in [table], appended to kBase: line 9, key table.key.
  void expect_value_error(const std::string& table, const std::string& key, const std::string& value,
                          const std::string& what, const std::string& fix_part = "") const {
    expect_error(kBase + "[" + table + "]\n" + key + " = " + value + "\n", 9, table + "." + key, what, fix_part);
  }

  std::filesystem::path dir_;
};

inline std::int64_t as_int(const core::Value& v) {
  return std::get<std::int64_t>(v);
}
inline double as_float(const core::Value& v) {
  return std::get<double>(v);
}
inline const std::string& as_str(const core::Value& v) {
  return std::get<std::string>(v);
}

}  // namespace rsim::test
