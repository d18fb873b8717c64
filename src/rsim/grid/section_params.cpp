// [args] constants and the parameters of [grid] (a Cartesian product) or
// [[points]] (a list of points): valid names, unreserved, each defined once,
// every parameter's values of one type.
#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {

using core::ConfigError;
using core::SourceLocation;
using core::ValueType;

void SectionReader::check_param_name(std::uint32_t line, const std::string& table, const std::string& name,
                                     bool param) const {
  const SourceLocation loc = at(line, table + "." + name);
  if (!is_identifier(name)) throw errors::bad_name(loc, name);
  if ((param && contains(kReserved, name)) || name == ".task") throw errors::reserved_name(loc, name, kReserved);
}

void SectionReader::read_args(const toml::table& root, JobSpec& spec) const {
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
Param SectionReader::new_param(const std::string& table, const Entry& e, const JobSpec& spec) const {
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
void SectionReader::add_value(Param& p, const toml::node& n, const std::string& dotted) const {
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

void SectionReader::read_grid(const Section& s, JobSpec& spec) {
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

// Point 1 names the parameters; every other point gives the same keys.
void SectionReader::read_points(const toml::node& node, JobSpec& spec) {
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
    check_point_keys(pt, which, names);
    for (auto& p : spec.params) {
      const toml::node* n = pt.get(p.name);
      if (!n)
        throw ConfigError(at(pt, "points." + p.name), which + " has no " + quote(p.name) + ", which point 1 has",
                          "give every point the same keys: " + errors::join(names));
      add_value(p, *n, "points." + p.name);
    }
  }
}

// A point may not have a key that point 1 does not have.
void SectionReader::check_point_keys(const toml::table& pt, const std::string& which, const Names& names) const {
  for (const auto& e : in_file_order(pt))
    if (!contains(names, e.key))
      throw ConfigError(at(e.line, "points." + e.key),
                        which + " has the key " + quote(e.key) + ", which point 1 does not have",
                        "give every point the same keys: " + errors::join(names));
}

}  // namespace rsim::grid::detail
