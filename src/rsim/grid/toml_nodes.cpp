#include "rsim/grid/toml_nodes.hpp"

#include <utility>

namespace rsim::grid::detail {

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

std::optional<core::Value> scalar(const toml::node& n) {
  if (const auto* v = n.as_integer()) return core::Value(std::in_place_type<std::int64_t>, v->get());
  if (const auto* v = n.as_floating_point()) return core::Value(std::in_place_type<double>, v->get());
  if (const auto* v = n.as_string()) return core::Value(std::in_place_type<std::string>, v->get());
  if (const auto* v = n.as_boolean()) return core::Value(std::in_place_type<bool>, v->get());
  return std::nullopt;
}

std::string shown(const toml::node& n) {
  if (auto v = scalar(n)) return core::to_string(*v);
  return std::string(a_type(n));
}

// toml++ tables are sorted by key; we need the order of the file.
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

}  // namespace rsim::grid::detail
