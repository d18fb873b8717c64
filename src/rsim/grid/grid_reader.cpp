#include "rsim/grid/grid_reader.hpp"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/grid/section_reader.hpp"
#include "rsim/grid/toml_nodes.hpp"

namespace rsim::grid {
namespace {

namespace fs = std::filesystem;
using core::ConfigError;
using core::SourceLocation;

fs::path folder_of(const std::string& path) {
  if (path.empty()) return fs::current_path();
  return fs::absolute(fs::path(path)).lexically_normal().parent_path();
}

}  // namespace

JobSpec parse_job_spec(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw detail::from_parse_error(e, text, path);
  }
  JobSpec spec = detail::SectionReader(path, folder_of(path)).read(root);
  spec.source_text = text;
  spec.source_hash = "sha256:" + core::sha256_hex(text);
  return spec;
}

const std::vector<std::string>& reserved_names() {
  return detail::kReserved;
}

JobSpec read_job_spec(const std::string& path) {
  const SourceLocation loc{path, 0, ""};
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw ConfigError(loc, "the grid file does not exist", "check the path; give the grid.toml of the job");
  if (fs::is_directory(path, ec))
    throw ConfigError(loc, "this is a folder, not a grid file", "give the path of the job's grid.toml");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(loc, std::string("cannot read the grid file: ") + std::strerror(errno),
                      "check that the file is readable by the user running rsim");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ConfigError(loc, "reading the grid file failed", "check that the file is readable by the user running rsim");
  return parse_job_spec(text.str(), path);
}

}  // namespace rsim::grid
