// toml++'s parse errors as ConfigErrors: toml++ gives a line and an English
// description; the table and key around that line are found in the text.
#include <cctype>
#include <string_view>

#include "rsim/grid/toml_nodes.hpp"

namespace rsim::grid::detail {
namespace {

using core::ConfigError;

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

}  // namespace

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

}  // namespace rsim::grid::detail
