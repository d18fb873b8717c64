#pragma once
// grid.toml -> validated JobSpec.  Every bad input is a core::ConfigError that
// names the file, the line and the dotted key, and says what to write instead.
// The returned spec is complete: paths absolute, defaults filled in, the task
// count checked (at most 2^63), provenance (text and sha256) recorded.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsim/grid/job_spec.hpp"

namespace rsim::grid {

// Reads and parses the file at `path`; a missing or unreadable file is a
// ConfigError at line 0.
JobSpec read_job_spec(const std::string& path);

// Parses `text`; `path` is used in messages and to resolve relative paths
// (output, script, plugin) against its folder.
JobSpec parse_job_spec(const std::string& text, const std::string& path);

// Names a grid parameter may not have: the columns rsim writes for every
// task (task, point, replicate, status, ...) and R's `.task` argument.
const std::vector<std::string>& reserved_names();

// "1h30m" -> 5400, "500ms" -> 0.5, "10m", "30s", "1.5h"; units h, m, s, ms,
// each at most once, largest first.  nullopt for anything else.
std::optional<double> parse_duration(std::string_view text);

// "4GB" -> 4e9, "512MiB" -> 536870912, "1.5G" -> 1.5 * 2^30; units B, KB,
// MB, GB, TB (powers of 1000), KiB/K, MiB/M, GiB/G, TiB/T (powers of 1024).
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace rsim::grid
