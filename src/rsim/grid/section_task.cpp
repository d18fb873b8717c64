// [task]: backend = "r" (script, function, packages, setup) or backend =
// "native" (kernel, plugin); a key of the other backend is an error.
#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {

using core::ConfigError;

void SectionReader::read_task(const toml::table& root, TaskSection& task) const {
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

std::vector<std::string> SectionReader::read_packages(const toml::node& n) const {
  const std::string example = "packages = [\"MASS\", \"data.table\"]";
  const auto* a = n.as_array();
  if (!a) throw errors::wrong_type(at(n, "task.packages"), "task.packages", "an array of strings", a_type(n), example);
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

}  // namespace rsim::grid::detail
