// [output]: keep = "tasks" | "summary", the block size of summaries, and
// precision targets (target_mcse, min_replicates).  docs/summaries.md.
#include <cmath>

#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {

using core::ConfigError;
using core::SourceLocation;

namespace {
constexpr std::uint64_t kBlocksPerPoint = 1000;  // the default block: about this many per point
}

void SectionReader::read_output(const toml::table& root, JobSpec& spec) const {
  const Section s = section(root, "output");
  OutputSection& out = spec.results;
  if (!s.table) return;
  out.line = s.line;
  check_keys(s, kOutputKeys);
  if (auto k = opt_string(s, "keep", "keep = \"summary\"")) {
    if (*k == "summary") {
      out.keep = Keep::summary;
    } else if (*k != "tasks") {
      throw ConfigError(at(*s.table->get("keep"), "output.keep"),
                        "output.keep = " + quote(*k) + " is not one of \"tasks\" or \"summary\"",
                        "write keep = \"tasks\" (a row per task, the default) or keep = \"summary\" (a row per "
                        "grid point: n, mean, variance, min, max of each numeric field)");
    }
  }
  const bool summary = out.keep == Keep::summary;
  for (const char* key : {"block", "target_mcse", "min_replicates"})
    if (!summary && s.table->get(key))
      throw ConfigError(at(*s.table->get(key), std::string("output.") + key),
                        std::string("output.") + key + " applies to per-point summaries only",
                        "add keep = \"summary\" to [output], or remove " + std::string(key));
  if (!summary) return;
  read_targets(s, out);
  out.block = output_count(s, "block", spec.replicates, "block = 100")
                  .value_or((spec.replicates + kBlocksPerPoint - 1) / kBlocksPerPoint);
  const auto min = output_count(s, "min_replicates", spec.replicates, "min_replicates = 200");
  if (min && out.targets.empty())
    throw ConfigError(at(*s.table->get("min_replicates"), "output.min_replicates"),
                      "output.min_replicates applies to precision targets only",
                      "add target_mcse = { field = 0.005 } to [output], or remove min_replicates");
  out.min_replicates = min.value_or(std::min(spec.replicates, std::max<std::uint64_t>(2, 2 * out.block)));
}

// output.<key>: an integer between 1 and the replicates of a point.
std::optional<std::uint64_t> SectionReader::output_count(const Section& s, const std::string& key,
                                                         std::uint64_t replicates, const std::string& example) const {
  const auto v = opt_int(s, key, example);
  if (!v) return std::nullopt;
  if (*v < 1 || static_cast<std::uint64_t>(*v) > replicates)
    throw errors::out_of_range(at(*s.table->get(key), "output." + key), "output." + key, std::to_string(*v),
                               "between 1 and [job] replicates (" + std::to_string(replicates) +
                                   ", the most replicates a point gets)",
                               example);
  return static_cast<std::uint64_t>(*v);
}

// output.target_mcse = { field = mcse, ... }: positive, finite numbers.
void SectionReader::read_targets(const Section& s, OutputSection& out) const {
  const toml::node* n = s.table->get("target_mcse");
  if (!n) return;
  const std::string example = "target_mcse = { reject = 0.005 }";
  const auto* t = n->as_table();
  if (!t) throw errors::wrong_type(at(*n, "output.target_mcse"), "output.target_mcse", "a table", a_type(*n), example);
  if (t->empty())
    throw ConfigError(at(*n, "output.target_mcse"), "output.target_mcse names no field",
                      "write " + example + ", or remove target_mcse to run every replicate");
  for (const auto& e : in_file_order(*t)) {
    const std::string dotted = "output.target_mcse." + e.key;
    const toml::node& v = *e.node;
    if (!v.is_integer() && !v.is_floating_point())
      throw errors::wrong_type(at(v, dotted), dotted, "a number (the Monte Carlo SE to reach)", a_type(v), example);
    const double x = v.is_integer() ? static_cast<double>(v.as_integer()->get()) : v.as_floating_point()->get();
    if (!(x > 0) || !std::isfinite(x))
      throw errors::out_of_range(at(v, dotted), dotted, shown(v), "a number above 0", example);
    out.targets.push_back({e.key, x, e.line});
  }
}

}  // namespace rsim::grid::detail
