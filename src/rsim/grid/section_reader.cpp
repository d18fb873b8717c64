#include "rsim/grid/section_reader.hpp"

#include <utility>

#include "rsim/grid/task_space.hpp"

namespace rsim::grid::detail {

namespace fs = std::filesystem;
using core::ConfigError;
using core::SourceLocation;

SectionReader::SectionReader(const std::string& path, fs::path dir) : path_(path), dir_(std::move(dir)) {}

JobSpec SectionReader::read(const toml::table& root) {
  JobSpec spec;
  spec.source_path = path_;
  check_root(root);
  read_job(root, spec);
  read_task(root, spec.task);
  read_args(root, spec);
  const Section grid = section(root, "grid");
  const toml::node* points = root.get("points");
  if (grid.table && points)
    throw ConfigError(at(points->source().begin.line, "points"), "[grid] and [[points]] cannot both be given",
                      "use [grid] for a Cartesian product or [[points]] for a list of points, not both");
  if (grid.table) read_grid(grid, spec);
  if (points) read_points(*points, spec);
  read_schedule(root, spec.schedule);
  read_data(root, spec);
  read_output(root, spec);
  check_size(spec);
  return spec;
}

SourceLocation SectionReader::at(std::uint32_t line, std::string key) const {
  return {path_, line, std::move(key)};
}

SourceLocation SectionReader::at(const toml::node& n, std::string key) const {
  return at(n.source().begin.line, std::move(key));
}

Section SectionReader::section(const toml::table& root, const std::string& name) {
  Section s{name, root.get_as<toml::table>(name), 0};
  if (s.table) s.line = s.table->source().begin.line;
  return s;
}

void SectionReader::check_root(const toml::table& root) const {
  for (const auto& e : in_file_order(root)) {
    const toml::node& n = *e.node;
    if (!contains(kTables, e.key)) {
      if (n.is_table() || n.is_array_of_tables()) throw errors::unknown_table(at(e.line, e.key), e.key, kTables);
      std::string owner;
      if (contains(kJobKeys, e.key)) owner = "job";
      if (contains(kTaskKeys, e.key)) owner = "task";
      if (contains(kScheduleKeys, e.key)) owner = "schedule";
      throw errors::key_outside_table(at(e.line, e.key), e.key, owner);
    }
    if (e.key == "points") {
      check_points_shape(e);
    } else if (!n.is_table()) {
      throw ConfigError(at(e.line, e.key), "[" + e.key + "] must be a table, not " + std::string(a_type(n)),
                        "write [" + e.key + "] on a line of its own (single brackets), followed by key = value lines");
    }
  }
}

void SectionReader::check_points_shape(const Entry& e) const {
  const toml::node& n = *e.node;
  if (const auto* a = n.as_array(); a && a->empty())
    throw ConfigError(at(e.line, e.key), "points has no entries",
                      "write one [[points]] section per point, or remove points to run a single point");
  if (!n.is_array_of_tables())
    throw ConfigError(at(e.line, e.key),
                      "points must be a list of tables written as [[points]], not " + std::string(a_type(n)),
                      "write each point as its own [[points]] section (double brackets) with its values");
}

void SectionReader::check_keys(const Section& s, const Names& known) const {
  for (const auto& e : in_file_order(*s.table))
    if (!contains(known, e.key)) throw errors::unknown_key(at(e.line, s.name + "." + e.key), e.key, s.name, known);
}

const toml::node* SectionReader::required(const Section& s, const std::string& key, const std::string& example) const {
  const toml::node* n = s.table->get(key);
  if (!n) throw errors::missing_key(at(s.line, s.name + "." + key), s.name, key, example);
  return n;
}

std::optional<std::string> SectionReader::opt_string(const Section& s, const std::string& key,
                                                     const std::string& example) const {
  const toml::node* n = s.table->get(key);
  if (!n) return std::nullopt;
  return string_of(s, key, *n, example);
}

std::string SectionReader::req_string(const Section& s, const std::string& key, const std::string& example) const {
  return string_of(s, key, *required(s, key, example), example);
}

std::string SectionReader::string_of(const Section& s, const std::string& key, const toml::node& n,
                                     const std::string& example) const {
  const std::string dotted = s.name + "." + key;
  const auto* v = n.as_string();
  if (!v) throw errors::wrong_type(at(n, dotted), dotted, "a string", a_type(n), example);
  if (v->get().empty()) throw ConfigError(at(n, dotted), dotted + " must not be empty", "write " + example);
  return v->get();
}

std::optional<std::int64_t> SectionReader::opt_int(const Section& s, const std::string& key,
                                                   const std::string& example) const {
  const toml::node* n = s.table->get(key);
  if (!n) return std::nullopt;
  const std::string dotted = s.name + "." + key;
  const auto* v = n->as_integer();
  if (!v) throw errors::wrong_type(at(*n, dotted), dotted, "an integer", a_type(*n), example);
  return v->get();
}

std::string SectionReader::resolve(const std::string& p) const {
  fs::path q(p);
  if (q.is_relative()) q = dir_ / q;
  return q.lexically_normal().string();
}

std::string SectionReader::existing_file(const Section& s, const std::string& key, const std::string& given) const {
  const std::string dotted = s.name + "." + key;
  const std::string resolved = resolve(given);
  std::error_code ec;
  const auto st = fs::status(resolved, ec);
  const toml::node& n = *s.table->get(key);
  if (!fs::exists(st)) throw errors::file_not_found(at(n, dotted), key, given, resolved);
  if (fs::is_directory(st))
    throw ConfigError(at(n, dotted), dotted + " = " + quote(given) + " is a folder, not a file",
                      "give the path of the " + key + " file");
  return resolved;
}

// More than 2^63 tasks: TaskSpace refuses; say which line made it so.
void SectionReader::check_size(const JobSpec& spec) const {
  try {
    TaskSpace ts(spec);
  } catch (const ConfigError& e) {
    bool grid_alone = false;
    std::uint64_t n = 1;
    for (const auto& p : spec.params) {
      const std::uint64_t sz = p.values.size();
      if (!spec.cartesian || n > (std::uint64_t{1} << 63) / sz) {
        grid_alone = spec.cartesian;
        break;
      }
      n *= sz;
    }
    const SourceLocation loc = grid_alone || replicates_line_ == 0
                                   ? at(params_line_, spec.cartesian ? "grid" : "points")
                                   : at(replicates_line_, "job.replicates");
    throw ConfigError(loc, e.what_failed(), e.fix());
  }
}

}  // namespace rsim::grid::detail
