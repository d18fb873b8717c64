#pragma once
// Internal to rsim/grid: toml++ nodes as the grid.toml reader needs them.
// Keys in the order of the file (toml++ sorts them), scalars as core::Value,
// nodes described for messages, and toml++'s parse errors as ConfigErrors
// that name the line and, where it can be told, the dotted key.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/core/value.hpp"
#include "rsim/grid/config_errors.hpp"

namespace rsim::grid::detail {

using errors::Names;

inline bool contains(const Names& names, const std::string& s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

inline std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

// "a table", "an integer", ...: the kind of a node, for messages.
const char* a_type(const toml::node& n);

// A TOML scalar as a Value; nullopt for arrays, tables, dates and times.
std::optional<core::Value> scalar(const toml::node& n);

// The text of a node's value as the user wrote it, roughly (for messages).
std::string shown(const toml::node& n);

// A key of a table with its node and line.
struct Entry {
  std::string key;
  const toml::node* node;
  std::uint32_t line;
};

// The keys of `t` in the order of the file.
std::vector<Entry> in_file_order(const toml::table& t);

// A parameter name R can use: a letter or '.', then letters, digits, '.', '_'.
bool is_identifier(const std::string& s);

// toml++'s parse error on `text` (read from `path`) as a ConfigError.
core::ConfigError from_parse_error(const toml::parse_error& e, const std::string& text, const std::string& path);

}  // namespace rsim::grid::detail
