#pragma once
// Runs R code for tests that compare with R: writes `script` to `file`, runs
// `Rscript --vanilla file args` and returns its stdout; a test failure if
// Rscript exits with an error.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace rsim::test {

inline std::string rscript_output(const std::string& file, const std::string& script, const std::string& args = "") {
  std::ofstream(file) << script;
  const std::string cmd = "Rscript --vanilla " + file + (args.empty() ? "" : " " + args);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  while (std::size_t got = std::fread(buf, 1, sizeof buf, p)) out.append(buf, got);
  EXPECT_EQ(pclose(p), 0) << cmd;
  return out;
}

}  // namespace rsim::test
