// [schedule]: chunk, timeout, retries, checkpoint and memory, with their
// ranges; durations and sizes as parse_duration and parse_size read them.
#include <cmath>

#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {

using core::SourceLocation;

void SectionReader::read_schedule(const toml::table& root, ScheduleSection& sched) const {
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
  if (const toml::node* n = s.table->get("memory")) sched.memory_bytes = memory(*n);
}

// A duration as a string ("10m") or a number of seconds; `fallback` if absent.
double SectionReader::duration(const Section& s, const std::string& key, bool zero_ok, double fallback) const {
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

// schedule.memory: a size string of at least 64 MiB, in bytes.
std::uint64_t SectionReader::memory(const toml::node& n) const {
  const SourceLocation loc = at(n, "schedule.memory");
  const std::string example = "memory = \"4GB\"";
  const auto* str = n.as_string();
  if (!str)
    throw errors::wrong_type(loc, "schedule.memory", "a size (a string like \"4GB\" or \"500MB\")", a_type(n), example);
  const auto bytes = parse_size(str->get());
  if (!bytes || *bytes < (std::uint64_t{64} << 20))
    throw errors::out_of_range(loc, "schedule.memory", quote(str->get()),
                               "a size such as \"512MB\", \"4GB\" or \"1.5GiB\" (at least 64 MiB)", example);
  return *bytes;
}

}  // namespace rsim::grid::detail
