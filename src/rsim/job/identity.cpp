#include "rsim/job/identity.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/core/version.hpp"
#include "rsim/job/json_values.hpp"

namespace fs = std::filesystem;

namespace rsim::job {

namespace {

using nlohmann::json;  // std::map underneath: keys sorted, so key order is ignored

json typed(const core::Value& v) {
  return {{"type", core::type_name(core::type_of(v))}, {"value", json(value_json(v))}};
}

json task_json(const grid::TaskSection& t) {
  return {{"backend", t.backend}, {"function", t.function}, {"packages", t.packages},
          {"setup", t.setup},     {"kernel", t.kernel}};
}

json params_json(const grid::JobSpec& spec) {
  json out = json::array();  // in file order: the first parameter varies slowest
  for (const auto& p : spec.params) {
    json values = json::array();
    for (const auto& v : p.values) values.push_back(json(value_json(v)));
    out.push_back({{"name", p.name}, {"type", core::type_name(p.type)}, {"values", std::move(values)}});
  }
  return out;
}

// A path as a message shows it: relative to the grid.toml's folder when inside it.
std::string shown_path(const grid::JobSpec& spec, const std::string& path) {
  std::error_code ec;
  const fs::path dir = fs::absolute(spec.source_path, ec).parent_path();
  const fs::path rel = fs::path(path).lexically_relative(dir);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

}  // namespace

std::string canonical_grid(const grid::JobSpec& spec) {
  json args = json::object();
  for (const auto& a : spec.args) args[a.name] = typed(a.value);
  json data = json::object();
  for (const auto& d : spec.data) data[d.name] = {{"dataset", d.dataset}};
  json j = {{"seed", spec.seed}, {"replicates", spec.replicates}, {"task", task_json(spec.task)},
            {"args", args},      {"grid", {{"kind", spec.cartesian ? "cartesian" : "points"}, {"params", params_json(spec)}}},
            {"data", data}};
  if (spec.results.keep == grid::Keep::summary) {  // tasks (the default) adds nothing: older identities stay valid
    json targets = json::object();
    for (const auto& t : spec.results.targets) targets[t.field] = t.mcse;
    j["output"] = {{"keep", "summary"}, {"block", spec.results.block}, {"target_mcse", targets},
                   {"min_replicates", spec.results.min_replicates}};
  }
  return j.dump();
}

namespace {

// Part names of files the backend read at set-up: "<how> file <path>".
const std::vector<std::string> kReadKinds = {"sourced", "loaded"};

// The path of a part "<how> file <path>", or "" for other parts.
std::string read_file_of(const std::string& part_name) {
  for (const auto& kind : kReadKinds) {
    const std::string prefix = kind + " file ";
    if (part_name.rfind(prefix, 0) == 0) return part_name.substr(prefix.size());
  }
  return "";
}

// The parts the grid.toml itself determines; `data_hash(i)` is "sha256:<hex>"
// of the i-th [data] file.
template <class DataHash>
std::vector<core::IdentityPart> spec_parts(const grid::JobSpec& spec, DataHash data_hash) {
  std::vector<core::IdentityPart> parts;
  parts.push_back({"the parsed grid", "sha256:" + core::sha256_hex(canonical_grid(spec))});
  if (!spec.task.script.empty())
    parts.push_back({"task script " + shown_path(spec, spec.task.script), core::sha256_of_file(spec.task.script)});
  for (std::size_t i = 0; i < spec.data.size(); ++i) parts.push_back({"[data] " + spec.data[i].name, data_hash(i)});
  if (!spec.task.plugin.empty())
    parts.push_back({"plugin " + shown_path(spec, spec.task.plugin), core::sha256_of_file(spec.task.plugin)});
  parts.push_back({"result format", std::to_string(core::kFormatVersion)});
  return parts;
}

// A shown path back to the file (relative ones are the grid.toml's folder's).
std::string resolve(const grid::JobSpec& spec, const std::string& shown) {
  const fs::path p = shown;
  if (p.is_absolute()) return p.string();
  std::error_code ec;
  return (fs::absolute(spec.source_path, ec).parent_path() / p).string();
}

}  // namespace

core::Identity job_identity(const grid::JobSpec& spec, const std::vector<core::DataTable>& data,
                            const run::Runner& runner) {
  std::vector<core::IdentityPart> parts =
      spec_parts(spec, [&data](std::size_t i) { return "sha256:" + data.at(i).sha256; });
  for (const auto& [how, f] : runner.files_read())
    parts.push_back({how + " file " + shown_path(spec, f), core::sha256_of_file(f)});
  for (const auto& [name, version] : runner.versions())
    parts.push_back({name == "R" ? "R" : "package " + name, version, false});
  return core::Identity(std::move(parts));
}

bool unchanged_before_set_up(const grid::JobSpec& spec, const std::string& stored) {
  const core::Identity was = core::Identity::decode(stored);
  if (was.empty()) return false;
  std::vector<core::IdentityPart> now;
  try {
    now = spec_parts(spec, [&spec](std::size_t i) { return core::sha256_of_file(spec.data[i].file); });
    for (const auto& p : was.parts())
      if (const std::string shown = read_file_of(p.name); p.refuse && !shown.empty()) {
        const std::string path = resolve(spec, shown);
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) return false;
        now.push_back({p.name, core::sha256_of_file(path)});
      }
  } catch (const core::Error&) {
    return false;  // an input that cannot be read: the full set-up reports it
  }
  // The versions are left out here: absent now, they refuse nothing.
  return !core::any_refused(core::compare(was, core::Identity(std::move(now))));
}

void check_identity(const grid::JobSpec& spec, const std::string& stored, const core::Identity& now,
                    const std::string& what) {
  const core::Identity was = core::Identity::decode(stored);
  if (was.empty())
    throw core::ConfigError({spec.source_path, 0, ""},
                            what + " was made by an earlier rsim that did not record what the results depend on",
                            "use --fresh to move the old results aside and run the job again, or set another output");
  const auto changes = core::compare(was, now);
  if (core::any_refused(changes)) {
    std::string msg;
    for (const auto& c : changes)
      if (c.refuse) msg += (msg.empty() ? "" : "; ") + core::describe(c);
    throw core::ConfigError({spec.source_path, 0, ""}, msg + " (" + what + ")",
                            "use --fresh to move the old results aside and start over, restore what changed, or "
                            "set another output");
  }
  static std::set<std::string> warned;  // once per name in a run, however many checkpoints
  for (const auto& c : changes)
    if (warned.insert(c.name).second)
      std::fprintf(stderr, "rsim: warning: %s; the results made with the old version are kept (--fresh recomputes)\n",
                   core::describe(c).c_str());
}

}  // namespace rsim::job
