// [job]: name, output, seed (the full unsigned 64-bit range) and replicates.
#include <limits>

#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {
namespace {

const char* const kSeedRange = "between 0 and 18446744073709551615";
const char* const kSeedExample =
    "seed = 20261129 (above 9223372036854775807 write a string of digits, "
    "seed = \"18446744073709551615\")";

}  // namespace

using core::ConfigError;
using core::SourceLocation;

void SectionReader::read_job(const toml::table& root, JobSpec& spec) {
  const Section s = section(root, "job");
  if (!s.table) throw errors::missing_table(at(0, "job"), "job", "[job] with name = \"my-study\" and seed = 20261129");
  check_keys(s, kJobKeys);
  spec.name = req_string(s, "name", "name = \"my-study\"");
  for (const char c : spec.name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw ConfigError(at(*s.table->get("name"), "job.name"),
                        "job.name must not contain control characters (line breaks, tabs, \\u0000)",
                        "write a plain name such as \"power-study\"");
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

// An integer literal (at most 2^63 - 1, TOML's limit) or a string of digits.
std::uint64_t SectionReader::read_seed(const Section& s) const {
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

}  // namespace rsim::grid::detail
