#pragma once
// Internal to rsim/grid: the reader of a parsed grid.toml behind
// parse_job_spec, one section at a time.  This header and section_reader.cpp
// hold what the sections share (the tables and their keys, source locations,
// typed values, paths); each section's checks live in a file of their own:
// section_job.cpp, section_task.cpp, section_params.cpp ([args], [grid],
// [[points]]), section_schedule.cpp, section_output.cpp and
// section_data.cpp.  Every bad value is
// a core::ConfigError at its line and dotted key.
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/toml_nodes.hpp"

namespace rsim::grid::detail {

// The tables of grid.toml and the keys each may hold.
inline const Names kTables = {"job", "task", "args", "grid", "points", "schedule", "data", "output"};
inline const Names kJobKeys = {"name", "output", "seed", "replicates"};
inline const Names kTaskKeys = {"backend", "script", "function", "packages", "setup", "kernel", "plugin"};
inline const Names kRKeys = {"backend", "script", "function", "packages", "setup"};
inline const Names kNativeKeys = {"backend", "kernel", "plugin"};
inline const Names kOutputKeys = {"keep", "block", "target_mcse", "min_replicates"};
inline const Names kScheduleKeys = {"chunk", "timeout", "retries", "checkpoint", "memory"};
// The columns rsim writes for every task, and R's `.task` argument.
inline const Names kReserved = {"task", "point",    "replicate", "status",  "elapsed",
                                "rank", "attempts", "warnings",  "max_rss", ".task"};

// A table of grid.toml, or nullptr when absent.
struct Section {
  std::string name;
  const toml::table* table = nullptr;
  std::uint32_t line = 0;
};

class SectionReader {
 public:
  // `path` names the file in messages; relative paths resolve against `dir`.
  SectionReader(const std::string& path, std::filesystem::path dir);

  // The whole file, checked section by section; at most 2^63 tasks.
  JobSpec read(const toml::table& root);

 private:
  // section_reader.cpp: the file's tables, locations, typed values and paths.
  core::SourceLocation at(std::uint32_t line, std::string key) const;
  core::SourceLocation at(const toml::node& n, std::string key) const;
  static Section section(const toml::table& root, const std::string& name);
  void check_root(const toml::table& root) const;
  void check_points_shape(const Entry& e) const;
  void check_keys(const Section& s, const Names& known) const;
  const toml::node* required(const Section& s, const std::string& key, const std::string& example) const;
  std::optional<std::string> opt_string(const Section& s, const std::string& key, const std::string& example) const;
  std::string req_string(const Section& s, const std::string& key, const std::string& example) const;
  std::string string_of(const Section& s, const std::string& key, const toml::node& n,
                        const std::string& example) const;
  std::optional<std::int64_t> opt_int(const Section& s, const std::string& key, const std::string& example) const;
  std::string resolve(const std::string& p) const;
  std::string existing_file(const Section& s, const std::string& key, const std::string& given) const;
  void check_size(const JobSpec& spec) const;

  // section_job.cpp: [job].
  void read_job(const toml::table& root, JobSpec& spec);
  std::uint64_t read_seed(const Section& s) const;

  // section_task.cpp: [task] of either backend.
  void read_task(const toml::table& root, TaskSection& task) const;
  std::vector<std::string> read_packages(const toml::node& n) const;

  // section_params.cpp: [args] constants, [grid] and [[points]] parameters.
  void check_param_name(std::uint32_t line, const std::string& table, const std::string& name, bool param) const;
  void read_args(const toml::table& root, JobSpec& spec) const;
  Param new_param(const std::string& table, const Entry& e, const JobSpec& spec) const;
  void add_value(Param& p, const toml::node& n, const std::string& dotted) const;
  void read_grid(const Section& s, JobSpec& spec);
  void read_points(const toml::node& node, JobSpec& spec);
  void check_point_keys(const toml::table& pt, const std::string& which, const Names& names) const;

  // section_schedule.cpp: [schedule].
  void read_schedule(const toml::table& root, ScheduleSection& sched) const;
  double duration(const Section& s, const std::string& key, bool zero_ok, double fallback) const;
  std::uint64_t memory(const toml::node& n) const;

  // section_output.cpp: [output].
  void read_output(const toml::table& root, JobSpec& spec) const;
  std::optional<std::uint64_t> output_count(const Section& s, const std::string& key, std::uint64_t replicates,
                                            const std::string& example) const;
  void read_targets(const Section& s, OutputSection& out) const;

  // section_data.cpp: [data] inputs.
  void read_data(const toml::table& root, JobSpec& spec) const;
  DataSpec data_entry(const Entry& e) const;
  std::string data_file_given(const Entry& e, DataSpec& d) const;
  void check_data_file(const Entry& e, const DataSpec& d, const std::string& given) const;
  void check_data_name(const Entry& e, const JobSpec& spec) const;

  std::string path_;
  std::filesystem::path dir_;
  std::uint32_t replicates_line_ = 0;
  std::uint32_t params_line_ = 0;
};

}  // namespace rsim::grid::detail
