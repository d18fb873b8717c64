#pragma once
// The wording of every grid.toml error, in one place.  Each function returns
// (does not throw) a core::ConfigError: what went wrong in one sentence, and
// a fix that says what to write instead.
//
//   throw errors::unknown_key({"grid.toml", 7, "job.sede"}, "sede", "job", {"name", "seed"});
//   // grid.toml:7 (job.sede): unknown key "sede" in [job]; known keys: name, seed
//   //   fix: did you mean "seed"?
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rsim/core/error.hpp"

namespace rsim::grid::errors {

using core::ConfigError;
using core::SourceLocation;
using Names = std::vector<std::string>;

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two neighbouring characters each count one edit.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The known name closest to `name` if it is within 2 edits, else "".
inline std::string closest(std::string_view name, const Names& known) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& k : known) {
    const std::size_t dist = edit_distance(name, k);
    if (dist < best_d) best = k, best_d = dist;
  }
  return best;
}

inline std::string join(const Names& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

inline ConfigError unknown_key(const SourceLocation& loc, const std::string& key, const std::string& table,
                               const Names& known) {
  const std::string near = closest(key, known);
  return ConfigError(
      loc, "unknown key \"" + key + "\" in [" + table + "]; known keys: " + join(known),
      near.empty() ? "remove \"" + key + "\" or use one of the known keys" : "did you mean \"" + near + "\"?");
}

inline ConfigError unknown_table(const SourceLocation& loc, const std::string& table, const Names& known) {
  const std::string near = closest(table, known);
  return ConfigError(
      loc, "unknown table [" + table + "]; known tables: " + join(known),
      near.empty() ? "remove [" + table + "] or use one of the known tables" : "did you mean [" + near + "]?");
}

// A value outside any table, e.g. `seed = 1` above [job].
inline ConfigError key_outside_table(const SourceLocation& loc, const std::string& key, const std::string& owner) {
  return ConfigError(
      loc, "key \"" + key + "\" is outside any table",
      owner.empty() ? "move it under the table it belongs to, e.g. [args]" : "move it under [" + owner + "]");
}

// `dotted` is the full key ("job.seed"); `got` a type name ("float").
inline ConfigError wrong_type(const SourceLocation& loc, const std::string& dotted, const std::string& expected,
                              const std::string& got, const std::string& example) {
  return ConfigError(loc, dotted + " must be " + expected + ", not " + got, "write " + example);
}

inline ConfigError missing_key(const SourceLocation& loc, const std::string& table, const std::string& key,
                               const std::string& example) {
  return ConfigError(loc, "[" + table + "] has no \"" + key + "\" key, which is required",
                     "add " + example + " under [" + table + "]");
}

inline ConfigError missing_table(const SourceLocation& loc, const std::string& table, const std::string& example) {
  return ConfigError(loc, "the required table [" + table + "] is missing", "add " + example);
}

inline ConfigError other_backend_key(const SourceLocation& loc, const std::string& key, const std::string& owner,
                                     const std::string& backend) {
  return ConfigError(loc, key + " is a key of the " + owner + " backend, but backend = \"" + backend + "\"",
                     "remove " + key + ", or set backend = \"" + owner + "\"");
}

inline ConfigError file_not_found(const SourceLocation& loc, const std::string& what, const std::string& given,
                                  const std::string& resolved) {
  return ConfigError(loc, what + " \"" + given + "\" does not exist (looked for " + resolved + ")",
                     "check the name; a relative path is resolved against the folder of the grid file");
}

// `first_int` is the text of an integer that sits among floats, e.g. "1".
inline ConfigError mixed_int_float(const SourceLocation& loc, const std::string& dotted, const std::string& first_int) {
  return ConfigError(loc, dotted + " has mixed integer and float values",
                     "write " + first_int + ".0 instead of " + first_int);
}

inline ConfigError mixed_types(const SourceLocation& loc, const std::string& dotted, const std::string& type_a,
                               const std::string& type_b) {
  return ConfigError(loc, dotted + " mixes " + type_a + " and " + type_b + " values",
                     "give every value of a parameter the same type");
}

inline ConfigError bad_name(const SourceLocation& loc, const std::string& name) {
  return ConfigError(loc, "\"" + name + "\" is not a valid parameter name",
                     "start with a letter or '.' and use only letters, digits, '.' and '_' "
                     "(names become R argument and HDF5 dataset names)");
}

inline ConfigError reserved_name(const SourceLocation& loc, const std::string& name, const Names& reserved) {
  std::string list;
  for (const auto& r : reserved) list += (list.empty() ? "" : ", ") + r;
  return ConfigError(loc, "\"" + name + "\" is a reserved name (a column rsim writes for every task)",
                     "rename the parameter, e.g. \"" + name + "_\"; reserved: " + list);
}

inline ConfigError bad_duration(const SourceLocation& loc, const std::string& dotted, const std::string& given) {
  return ConfigError(loc, dotted + " = " + given + " is not a duration",
                     "write a duration like \"30s\", \"10m\", \"1h30m\" or \"500ms\", or a number of seconds");
}

inline ConfigError out_of_range(const SourceLocation& loc, const std::string& dotted, const std::string& given,
                                const std::string& range, const std::string& example) {
  return ConfigError(loc, dotted + " = " + given + " is out of range; it must be " + range, "write " + example);
}

inline ConfigError duplicate_key(const SourceLocation& loc, const std::string& key, const std::string& table) {
  return ConfigError(loc, "duplicate key \"" + key + "\" in " + (table.empty() ? "the file" : "[" + table + "]"),
                     "remove one of the two definitions; a key may appear once per table");
}

inline ConfigError duplicate_table(const SourceLocation& loc, const std::string& table) {
  return ConfigError(loc, "table [" + table + "] is defined twice", "merge the two [" + table + "] sections into one");
}

inline ConfigError syntax_error(const SourceLocation& loc, const std::string& description) {
  return ConfigError(loc, "TOML syntax error: " + description,
                     "correct the line: strings need quotes, arrays use [ ], one key = value per line "
                     "(see https://toml.io)");
}

}  // namespace rsim::grid::errors
