#include "rsim/grid/grid_reader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/grid/config_errors.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::grid {
namespace {

namespace fs = std::filesystem;
using core::ConfigError;
using core::SourceLocation;
using core::Value;
using core::ValueType;
using errors::Names;

const Names kTables = {"job", "task", "args", "grid", "points", "schedule", "data"};
const Names kJobKeys = {"name", "output", "seed", "replicates"};
const Names kTaskKeys = {"backend", "script", "function", "packages", "setup", "kernel", "plugin"};
const Names kRKeys = {"backend", "script", "function", "packages", "setup"};
const Names kNativeKeys = {"backend", "kernel", "plugin"};
const Names kScheduleKeys = {"chunk", "timeout", "retries", "checkpoint", "memory"};
const Names kReserved = {"task", "point", "replicate", "status", "elapsed", "rank", "attempts", "warnings", "max_rss", ".task"};
const char* const kSeedRange = "between 0 and 18446744073709551615";
const char* const kSeedExample =
    "seed = 20261129 (above 9223372036854775807 write a string of digits, "
    "seed = \"18446744073709551615\")";

bool contains(const Names& names, const std::string& s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

const char* a_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A TOML scalar as a Value; nullopt for arrays, tables, dates and times.
std::optional<Value> scalar(const toml::node& n) {
  if (const auto* v = n.as_integer()) return Value(std::in_place_type<std::int64_t>, v->get());
  if (const auto* v = n.as_floating_point()) return Value(std::in_place_type<double>, v->get());
  if (const auto* v = n.as_string()) return Value(std::in_place_type<std::string>, v->get());
  if (const auto* v = n.as_boolean()) return Value(std::in_place_type<bool>, v->get());
  return std::nullopt;
}

// The text of a node's value as the user wrote it, roughly (for messages).
std::string shown(const toml::node& n) {
  if (auto v = scalar(n)) return core::to_string(*v);
  return std::string(a_type(n));
}

// toml++ tables are sorted by key; we need the order of the file.
struct Entry {
  std::string key;
  const toml::node* node;
  std::uint32_t line;
};

std::vector<Entry> in_file_order(const toml::table& t) {
  std::vector<std::pair<toml::source_position, Entry>> v;
  for (auto&& [k, n] : t) v.emplace_back(k.source().begin, Entry{std::string(k.str()), &n, k.source().begin.line});
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
  });
  std::vector<Entry> out;
  for (auto& [pos, e] : v) out.push_back(std::move(e));
  return out;
}

bool is_identifier(const std::string& s) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.empty() || !(alpha(s[0]) || s[0] == '.')) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || digit(c) || c == '.' || c == '_'; });
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Best effort for parse errors: the [table] whose body holds line `line`.
std::string table_at(const std::vector<std::string_view>& lines, std::uint32_t line) {
  std::string table;
  for (std::size_t i = 0; i + 1 < line && i < lines.size(); ++i) {
    const std::string l = trim(lines[i]);
    if (l.empty() || l[0] != '[') continue;
    const auto b = l.find_first_not_of('[');
    const auto e = l.find(']');
    if (b != std::string::npos && e != std::string::npos && e > b) table = trim(std::string_view(l).substr(b, e - b));
  }
  return table;
}

// Best effort for parse errors: the key written on line `line`, if any.
std::string key_at(const std::vector<std::string_view>& lines, std::uint32_t line) {
  if (line == 0 || line > lines.size()) return "";
  const std::string_view l = lines[line - 1];
  const auto eq = l.find('=');
  if (eq == std::string_view::npos) return "";
  const std::string k = trim(l.substr(0, eq));
  const bool plain = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  return plain ? k : "";
}

std::string between_quotes(std::string_view s) {
  const auto b = s.find('\'');
  const auto e = s.rfind('\'');
  return b == std::string_view::npos || e <= b ? "" : std::string(s.substr(b + 1, e - b - 1));
}

ConfigError from_parse_error(const toml::parse_error& e, const std::string& text, const std::string& path) {
  const std::string desc(e.description());
  const std::uint32_t line = e.source().begin.line;
  const auto lines = lines_of(text);
  const std::string table = table_at(lines, line);
  auto dotted = [&](const std::string& k) { return table.empty() || k.empty() ? k : table + "." + k; };
  if (desc.find("cannot redefine existing table '") != std::string::npos) {
    const std::string name = between_quotes(desc);
    return errors::duplicate_table({path, line, name}, name);
  }
  if (desc.find("cannot redefine existing") != std::string::npos) {
    const std::string key = between_quotes(desc);
    return errors::duplicate_key({path, line, dotted(key)}, key, table);
  }
  const std::string key = dotted(key_at(lines, line));
  if (key == "job.seed" && desc.find("not representable in 64 bits") != std::string::npos)
    return ConfigError({path, line, key}, "job.seed is larger than 9223372036854775807, the largest TOML integer",
                       "write a larger seed as a string of digits, e.g. seed = \"18446744073709551615\"");
  return errors::syntax_error({path, line, key.empty() ? table : key}, desc);
}

// A table of grid.toml, or nullptr when absent.
struct Section {
  std::string name;
  const toml::table* table = nullptr;
  std::uint32_t line = 0;
};

class Reader {
 public:
  Reader(const std::string& path, fs::path dir) : path_(path), dir_(std::move(dir)) {}

  JobSpec read(const toml::table& root) {
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
    check_size(spec);
    return spec;
  }

 private:
  SourceLocation at(std::uint32_t line, std::string key) const { return {path_, line, std::move(key)}; }
  SourceLocation at(const toml::node& n, std::string key) const { return at(n.source().begin.line, std::move(key)); }

  static Section section(const toml::table& root, const std::string& name) {
    Section s{name, root.get_as<toml::table>(name), 0};
    if (s.table) s.line = s.table->source().begin.line;
    return s;
  }

  void check_root(const toml::table& root) const {
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
        if (const auto* a = n.as_array(); a && a->empty())
          throw ConfigError(at(e.line, e.key), "points has no entries",
                            "write one [[points]] section per point, or remove points to run a single point");
        if (!n.is_array_of_tables())
          throw ConfigError(at(e.line, e.key),
                            "points must be a list of tables written as [[points]], not " + std::string(a_type(n)),
                            "write each point as its own [[points]] section (double brackets) with its values");
      } else if (!n.is_table()) {
        throw ConfigError(
            at(e.line, e.key), "[" + e.key + "] must be a table, not " + std::string(a_type(n)),
            "write [" + e.key + "] on a line of its own (single brackets), followed by key = value lines");
      }
    }
  }

  void check_keys(const Section& s, const Names& known) const {
    for (const auto& e : in_file_order(*s.table))
      if (!contains(known, e.key)) throw errors::unknown_key(at(e.line, s.name + "." + e.key), e.key, s.name, known);
  }

  const toml::node* required(const Section& s, const std::string& key, const std::string& example) const {
    const toml::node* n = s.table->get(key);
    if (!n) throw errors::missing_key(at(s.line, s.name + "." + key), s.name, key, example);
    return n;
  }

  std::optional<std::string> opt_string(const Section& s, const std::string& key, const std::string& example) const {
    const toml::node* n = s.table->get(key);
    if (!n) return std::nullopt;
    return string_of(s, key, *n, example);
  }

  std::string req_string(const Section& s, const std::string& key, const std::string& example) const {
    return string_of(s, key, *required(s, key, example), example);
  }

  std::string string_of(const Section& s, const std::string& key, const toml::node& n,
                        const std::string& example) const {
    const std::string dotted = s.name + "." + key;
    const auto* v = n.as_string();
    if (!v) throw errors::wrong_type(at(n, dotted), dotted, "a string", a_type(n), example);
    if (v->get().empty()) throw ConfigError(at(n, dotted), dotted + " must not be empty", "write " + example);
    return v->get();
  }

  std::optional<std::int64_t> opt_int(const Section& s, const std::string& key, const std::string& example) const {
    const toml::node* n = s.table->get(key);
    if (!n) return std::nullopt;
    const std::string dotted = s.name + "." + key;
    const auto* v = n->as_integer();
    if (!v) throw errors::wrong_type(at(*n, dotted), dotted, "an integer", a_type(*n), example);
    return v->get();
  }

  std::string resolve(const std::string& p) const {
    fs::path q(p);
    if (q.is_relative()) q = dir_ / q;
    return q.lexically_normal().string();
  }

  std::string existing_file(const Section& s, const std::string& key, const std::string& given) const {
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

  void read_job(const toml::table& root, JobSpec& spec) {
    const Section s = section(root, "job");
    if (!s.table)
      throw errors::missing_table(at(0, "job"), "job", "[job] with name = \"my-study\" and seed = 20261129");
    check_keys(s, kJobKeys);
    spec.name = req_string(s, "name", "name = \"my-study\"");
    if (spec.name.find('/') != std::string::npos)
      throw ConfigError(at(*s.table->get("name"), "job.name"), "job.name must not contain '/'",
                        "write a plain name; set output = \"path/to/file.h5\" to choose where results go");
    spec.output = resolve(opt_string(s, "output", "output = \"results.h5\"").value_or(spec.name + ".h5"));
    spec.seed = read_seed(s);
    if (auto r = opt_int(s, "replicates", "replicates = 1000")) {
      const toml::node& n = *s.table->get("replicates");
      if (*r < 1)
        throw errors::out_of_range(at(n, "job.replicates"), "job.replicates", std::to_string(*r), "at least 1",
                                   "replicates = 1 or more");
      spec.replicates = static_cast<std::uint64_t>(*r);
      replicates_line_ = n.source().begin.line;
    }
  }

  std::uint64_t read_seed(const Section& s) const {
    const toml::node& n = *required(s, "seed", "seed = 20261129");
    const SourceLocation loc = at(n, "job.seed");
    if (const auto* i = n.as_integer()) {
      if (i->get() < 0) throw errors::out_of_range(loc, "job.seed", std::to_string(i->get()), kSeedRange, kSeedExample);
      return static_cast<std::uint64_t>(i->get());
    }
    const auto* str = n.as_string();
    if (!str) throw errors::wrong_type(loc, "job.seed", "an unsigned 64-bit integer", a_type(n), kSeedExample);
    const std::string& d = str->get();
    if (d.empty() || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw ConfigError(loc, "job.seed = " + quote(d) + " is not a decimal number",
                        "write the seed with the digits 0-9 only, e.g. seed = \"18446744073709551615\"");
    std::uint64_t v = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (char c : d) {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (v > (kMax - digit) / 10) throw errors::out_of_range(loc, "job.seed", quote(d), kSeedRange, kSeedExample);
      v = v * 10 + digit;
    }
    return v;
  }

  void read_task(const toml::table& root, TaskSection& task) const {
    const Section s = section(root, "task");
    if (!s.table)
      throw errors::missing_table(at(0, "task"), "task",
                                  "[task] with backend = \"r\" (plus script and function) or backend = \"native\" "
                                  "(plus kernel)");
    check_keys(s, kTaskKeys);
    task.backend = req_string(s, "backend", "backend = \"r\" or backend = \"native\"");
    if (task.backend != "r" && task.backend != "native") {
      const std::string near = errors::closest(task.backend, {"r", "native"});
      throw ConfigError(
          at(*s.table->get("backend"), "task.backend"),
          "task.backend must be \"r\" or \"native\", not " + quote(task.backend),
          near.empty() ? "write backend = \"r\" or backend = \"native\"" : "did you mean " + quote(near) + "?");
    }
    const bool r = task.backend == "r";
    for (const auto& e : in_file_order(*s.table))
      if (!contains(r ? kRKeys : kNativeKeys, e.key))
        throw errors::other_backend_key(at(e.line, "task." + e.key), e.key, r ? "native" : "r", task.backend);
    if (r) {
      task.script = existing_file(s, "script", req_string(s, "script", "script = \"simulate.R\""));
      task.function = req_string(s, "function", "function = \"simulate\"");
      task.setup = s.table->get("setup") ? req_string(s, "setup", "setup = \"setup\"") : "";
      if (const toml::node* p = s.table->get("packages")) task.packages = read_packages(*p);
    } else {
      task.kernel = req_string(s, "kernel", "kernel = \"ttest_power\"");
      if (auto plugin = opt_string(s, "plugin", "plugin = \"libmine.so\""))
        task.plugin = existing_file(s, "plugin", *plugin);
    }
  }

  std::vector<std::string> read_packages(const toml::node& n) const {
    const std::string example = "packages = [\"MASS\", \"data.table\"]";
    const auto* a = n.as_array();
    if (!a)
      throw errors::wrong_type(at(n, "task.packages"), "task.packages", "an array of strings", a_type(n), example);
    std::vector<std::string> out;
    for (const auto& el : *a) {
      const auto* v = el.as_string();
      if (!v || v->get().empty())
        throw ConfigError(at(el, "task.packages"),
                          "task.packages must hold package names (non-empty strings), not " + shown(el),
                          "write " + example);
      out.push_back(v->get());
    }
    return out;
  }

  void check_param_name(std::uint32_t line, const std::string& table, const std::string& name, bool param) const {
    const SourceLocation loc = at(line, table + "." + name);
    if (!is_identifier(name)) throw errors::bad_name(loc, name);
    if ((param && contains(kReserved, name)) || name == ".task") throw errors::reserved_name(loc, name, kReserved);
  }

  void read_args(const toml::table& root, JobSpec& spec) const {
    const Section s = section(root, "args");
    if (!s.table) return;
    for (const auto& e : in_file_order(*s.table)) {
      check_param_name(e.line, "args", e.key, false);
      auto v = scalar(*e.node);
      if (!v)
        throw errors::wrong_type(at(e.line, "args." + e.key), "args." + e.key,
                                 "a single value (integer, float, string or boolean)", a_type(*e.node),
                                 e.key + " = 0.05, or move " + e.key + " to [grid] to run one point per value");
      spec.args.push_back({e.key, std::move(*v), e.line});
    }
  }

  // Checks that a [grid] or [[points]] parameter is new and well named.
  Param new_param(const std::string& table, const Entry& e, const JobSpec& spec) const {
    check_param_name(e.line, table, e.key, true);
    for (const auto& a : spec.args)
      if (a.name == e.key)
        throw ConfigError(at(e.line, table + "." + e.key),
                          quote(e.key) + " is both a constant in [args] (line " + std::to_string(a.line) +
                              ") and a parameter in [" + table + "]",
                          "remove one of them; a parameter already gives every task its value");
    Param p;
    p.name = e.key;
    p.line = e.line;
    return p;
  }

  // Appends one value to p, checking it is a scalar of p's type.
  void add_value(Param& p, const toml::node& n, const std::string& dotted) const {
    auto v = scalar(n);
    if (!v)
      throw ConfigError(at(n, dotted),
                        dotted + " holds " + std::string(a_type(n)) +
                            "; parameter values must be integers, floats, strings or booleans",
                        "write plain values, e.g. " + p.name + " = [20, 50, 100]");
    const ValueType t = core::type_of(*v);
    if (p.values.empty()) p.type = t;
    if (t != p.type) {
      const bool int_float =
          (t == ValueType::Int && p.type == ValueType::Float) || (t == ValueType::Float && p.type == ValueType::Int);
      if (int_float)
        throw errors::mixed_int_float(at(n, dotted), dotted,
                                      core::to_string(t == ValueType::Int ? *v : p.values.front()));
      throw errors::mixed_types(at(n, dotted), dotted, core::type_name(p.type), core::type_name(t));
    }
    p.values.push_back(std::move(*v));
  }

  void read_grid(const Section& s, JobSpec& spec) {
    params_line_ = s.line;
    const auto entries = in_file_order(*s.table);
    if (entries.empty())
      throw ConfigError(at(s.line, "grid"), "[grid] has no parameters",
                        "add a parameter with its values, e.g. n = [20, 50, 100], or remove [grid] to run one point");
    for (const auto& e : entries) {
      const std::string dotted = "grid." + e.key;
      if (e.node->is_table())
        throw errors::wrong_type(at(e.line, dotted), dotted, "an array of values", "a table",
                                 e.key + " = [1, 2, 3]; a name with a dot needs quotes: \"a.b\" = [1, 2]");
      Param p = new_param("grid", e, spec);
      const auto* a = e.node->as_array();
      if (!a)
        throw errors::wrong_type(at(e.line, dotted), dotted, "an array of values", a_type(*e.node),
                                 e.key + " = [" + shown(*e.node) + "]");
      if (a->empty())
        throw ConfigError(at(e.line, dotted), dotted + " has no values",
                          "give at least one value, e.g. " + e.key + " = [20, 50]");
      for (const auto& el : *a) add_value(p, el, dotted);
      spec.params.push_back(std::move(p));
    }
  }

  void read_points(const toml::node& node, JobSpec& spec) {
    spec.cartesian = false;
    const toml::array& arr = *node.as_array();
    params_line_ = arr.source().begin.line;
    const toml::table& first = *arr.front().as_table();
    const auto keys = in_file_order(first);
    if (keys.empty())
      throw ConfigError(at(first, "points"), "point 1 has no parameters",
                        "give every [[points]] its parameter values, e.g. n = 20");
    Names names;
    for (const auto& e : keys) {
      spec.params.push_back(new_param("points", e, spec));
      names.push_back(e.key);
    }
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const toml::table& pt = *arr[i].as_table();
      const std::string which = "point " + std::to_string(i + 1);
      for (const auto& e : in_file_order(pt))
        if (!contains(names, e.key))
          throw ConfigError(at(e.line, "points." + e.key),
                            which + " has the key " + quote(e.key) + ", which point 1 does not have",
                            "give every point the same keys: " + errors::join(names));
      for (auto& p : spec.params) {
        const toml::node* n = pt.get(p.name);
        if (!n)
          throw ConfigError(at(pt, "points." + p.name), which + " has no " + quote(p.name) + ", which point 1 has",
                            "give every point the same keys: " + errors::join(names));
        add_value(p, *n, "points." + p.name);
      }
    }
  }

  double duration(const Section& s, const std::string& key, bool zero_ok, double fallback) const {
    const toml::node* n = s.table->get(key);
    if (!n) return fallback;
    const std::string dotted = s.name + "." + key;
    const SourceLocation loc = at(*n, dotted);
    const std::string example = key + " = \"" + (zero_ok ? "10m" : "5s") + "\"";
    const std::string range = zero_ok ? "0 or more seconds (0 = none)" : "more than 0 seconds";
    double v = 0;
    if (const auto* str = n->as_string()) {
      const auto d = parse_duration(str->get());
      if (!d) throw errors::bad_duration(loc, dotted, quote(str->get()));
      v = *d;
    } else if (n->is_integer() || n->is_floating_point()) {
      v = n->is_integer() ? static_cast<double>(n->as_integer()->get()) : n->as_floating_point()->get();
      if (!std::isfinite(v)) throw errors::bad_duration(loc, dotted, shown(*n));
    } else {
      throw errors::wrong_type(loc, dotted, "a duration (a string like \"10m\" or a number of seconds)", a_type(*n),
                               example);
    }
    if (v < 0 || (!zero_ok && v == 0)) throw errors::out_of_range(loc, dotted, shown(*n), range, example);
    return v;
  }

  void read_schedule(const toml::table& root, ScheduleSection& sched) const {
    const Section s = section(root, "schedule");
    if (!s.table) return;
    check_keys(s, kScheduleKeys);
    if (auto c = opt_int(s, "chunk", "chunk = 0")) {
      if (*c < 0)
        throw errors::out_of_range(at(*s.table->get("chunk"), "schedule.chunk"), "schedule.chunk", std::to_string(*c),
                                   "0 or more (0 = automatic)", "chunk = 0");
      sched.chunk = static_cast<std::uint64_t>(*c);
    }
    sched.timeout_s = duration(s, "timeout", true, sched.timeout_s);
    if (auto r = opt_int(s, "retries", "retries = 0")) {
      if (*r < 0 || *r > 100)
        throw errors::out_of_range(at(*s.table->get("retries"), "schedule.retries"), "schedule.retries",
                                   std::to_string(*r), "between 0 and 100", "retries = 2");
      sched.retries = static_cast<std::uint32_t>(*r);
    }
    sched.checkpoint_s = duration(s, "checkpoint", false, sched.checkpoint_s);
    if (const toml::node* n = s.table->get("memory")) {
      const SourceLocation loc = at(*n, "schedule.memory");
      const std::string example = "memory = \"4GB\"";
      const auto* str = n->as_string();
      if (!str) throw errors::wrong_type(loc, "schedule.memory", "a size (a string like \"4GB\" or \"500MB\")",
                                         a_type(*n), example);
      const auto bytes = parse_size(str->get());
      if (!bytes || *bytes < (std::uint64_t{64} << 20))
        throw errors::out_of_range(loc, "schedule.memory", quote(str->get()),
                                   "a size such as \"512MB\", \"4GB\" or \"1.5GiB\" (at least 64 MiB)", example);
      sched.memory_bytes = *bytes;
    }
  }

  // [data]: name = "file.csv", or name = { file = "data.h5", dataset = "/X" }.
  void read_data(const toml::table& root, JobSpec& spec) const {
    const Section s = section(root, "data");
    if (!s.table) return;
    for (const auto& e : in_file_order(*s.table)) {
      const std::string dotted = "data." + e.key;
      check_param_name(e.line, "data", e.key, false);
      DataSpec d;
      d.name = e.key;
      d.line = e.line;
      std::string given;
      if (const auto* str = e.node->as_string()) {
        given = str->get();
      } else if (const auto* t = e.node->as_table()) {
        for (const auto& [k, v] : *t) {
          const std::string key(k.str());
          if (key != "file" && key != "dataset")
            throw errors::unknown_key(at(v, dotted + "." + key), key, "data." + e.key, {"file", "dataset"});
        }
        const auto* f = t->get_as<std::string>("file");
        if (!f)
          throw ConfigError(at(*e.node, dotted), dotted + " needs file = \"...\"",
                            "write " + e.key + " = { file = \"data.h5\", dataset = \"/X\" } or " + e.key +
                                " = \"data.csv\"");
        given = f->get();
        if (const auto* ds = t->get_as<std::string>("dataset")) d.dataset = ds->get();
      } else {
        throw errors::wrong_type(at(*e.node, dotted), dotted, "a file name or { file = ..., dataset = ... }",
                                 a_type(*e.node), e.key + " = \"data.csv\"");
      }
      if (given.empty())
        throw ConfigError(at(*e.node, dotted), dotted + " is empty", "give the path of the data file");
      d.file = resolve(given);
      std::error_code ec;
      if (!fs::is_regular_file(d.file, ec))
        throw ConfigError(at(*e.node, dotted),
                          "the data file " + quote(given) + " does not exist (looked for " + d.file + ")",
                          "check the path; relative paths are relative to the grid.toml's folder");
      const bool h5 = fs::path(d.file).extension() == ".h5" || fs::path(d.file).extension() == ".hdf5";
      if (h5 && d.dataset.empty())
        throw ConfigError(at(*e.node, dotted), dotted + " is an HDF5 file; say which dataset",
                          "write " + e.key + " = { file = " + quote(given) + ", dataset = \"/X\" }");
      if (!h5 && !d.dataset.empty())
        throw ConfigError(at(*e.node, dotted), "dataset is only for HDF5 files (.h5, .hdf5)",
                          "remove dataset, or give an .h5 file");
      for (const auto& p : spec.params)
        if (p.name == d.name)
          throw ConfigError(at(*e.node, dotted), "\"" + d.name + "\" is both a grid parameter and a [data] input",
                            "rename one of them");
      for (const auto& a : spec.args)
        if (a.name == d.name)
          throw ConfigError(at(*e.node, dotted), "\"" + d.name + "\" is both an [args] constant and a [data] input",
                            "rename one of them");
      spec.data.push_back(std::move(d));
    }
  }

  // More than 2^63 tasks: TaskSpace refuses; say which line made it so.
  void check_size(const JobSpec& spec) const {
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

  std::string path_;
  fs::path dir_;
  std::uint32_t replicates_line_ = 0;
  std::uint32_t params_line_ = 0;
};

fs::path folder_of(const std::string& path) {
  if (path.empty()) return fs::current_path();
  return fs::absolute(fs::path(path)).lexically_normal().parent_path();
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
  struct Unit {
    std::string_view name;
    double seconds;
  };
  static constexpr Unit kUnits[] = {{"h", 3600}, {"ms", 0.001}, {"m", 60}, {"s", 1}};
  static constexpr int kRank[] = {0, 3, 1, 2};  // h > m > s > ms, largest first
  if (text.empty()) return std::nullopt;
  double total = 0;
  int last = -1;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return std::nullopt;
    if (i < text.size() && text[i] == '.') {
      const std::size_t frac = ++i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
      if (i == frac) return std::nullopt;
    }
    const double number = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    int u = 0;
    while (u < 4 && text.substr(i, kUnits[u].name.size()) != kUnits[u].name) ++u;
    if (u == 4 || kRank[u] <= last) return std::nullopt;
    last = kRank[u];
    i += kUnits[u].name.size();
    total += number * kUnits[u].seconds;
  }
  if (!std::isfinite(total)) return std::nullopt;
  return total;
}

JobSpec parse_job_spec(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw from_parse_error(e, text, path);
  }
  JobSpec spec = Reader(path, folder_of(path)).read(root);
  spec.source_text = text;
  spec.source_hash = "sha256:" + core::sha256_hex(text);
  return spec;
}

const std::vector<std::string>& reserved_names() { return kReserved; }

JobSpec read_job_spec(const std::string& path) {
  const SourceLocation loc{path, 0, ""};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConfigError(loc, "the grid file does not exist", "check the path; give the grid.toml of the job");
  if (std::filesystem::is_directory(path, ec))
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

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  try {
    std::size_t used = 0;
    v = std::stod(std::string(text.substr(0, i)), &used);
    if (used != i) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  std::string unit(text.substr(i));
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult = 0;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "TB") mult = 1e12;
  else if (unit == "KIB" || unit == "K") mult = 1024.0;
  else if (unit == "MIB" || unit == "M") mult = 1024.0 * 1024;
  else if (unit == "GIB" || unit == "G") mult = 1024.0 * 1024 * 1024;
  else if (unit == "TIB" || unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = v * mult;
  if (!std::isfinite(bytes) || bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace rsim::grid
