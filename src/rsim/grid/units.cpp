// Durations ("1h30m") and sizes ("4GB") as grid.toml's [schedule] writes them.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "rsim/grid/grid_reader.hpp"

namespace rsim::grid {
namespace {

struct Unit {
  std::string_view name;
  double scale;
};

// Duration units in the order they are tried ("ms" before "m"), and their
// rank: h > m > s > ms, largest first.
constexpr Unit kTimeUnits[] = {{"h", 3600}, {"ms", 0.001}, {"m", 60}, {"s", 1}};
constexpr int kTimeRank[] = {0, 3, 1, 2};

// Size units, upper case; a missing unit is bytes.
constexpr double kKi = 1024.0, kMi = kKi * 1024, kGi = kMi * 1024, kTi = kGi * 1024;
constexpr Unit kSizeUnits[] = {{"", 1},      {"B", 1},     {"KB", 1e3},  {"MB", 1e6},  {"GB", 1e9},
                               {"TB", 1e12}, {"KIB", kKi}, {"K", kKi},   {"MIB", kMi}, {"M", kMi},
                               {"GIB", kGi}, {"G", kGi},   {"TIB", kTi}, {"T", kTi}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads digits, optionally '.' and more digits, at text[i]; false when a
// part has no digits.
bool skip_number(std::string_view text, std::size_t& i) {
  const std::size_t start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == start) return false;
  if (i < text.size() && text[i] == '.') {
    const std::size_t frac = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == frac) return false;
  }
  return true;
}

// The size unit written after the number ("GiB", " mb"); 0 if unknown.
double size_unit(std::string_view text) {
  std::string unit(text);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const Unit& u : kSizeUnits)
    if (unit == u.name) return u.scale;
  return 0;
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  int last = -1;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    if (!skip_number(text, i)) return std::nullopt;
    const double number = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    int u = 0;
    while (u < 4 && text.substr(i, kTimeUnits[u].name.size()) != kTimeUnits[u].name) ++u;
    if (u == 4 || kTimeRank[u] <= last) return std::nullopt;
    last = kTimeRank[u];
    i += kTimeUnits[u].name.size();
    total += number * kTimeUnits[u].scale;
  }
  if (!std::isfinite(total)) return std::nullopt;
  return total;
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
  const double mult = size_unit(text.substr(i));
  if (mult == 0) return std::nullopt;
  const double bytes = v * mult;
  if (!std::isfinite(bytes) || bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace rsim::grid
