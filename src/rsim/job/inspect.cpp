#include "rsim/job/inspect.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rsim/core/lecuyer.hpp"
#include "rsim/core/version.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/job/json_values.hpp"

namespace rsim::job {

using nlohmann::ordered_json;

namespace {

ordered_json or_null(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

ordered_json task_section(const grid::TaskSection& t) {
  return {{"backend", t.backend},   {"script", or_null(t.script)}, {"function", or_null(t.function)},
          {"packages", t.packages}, {"setup", or_null(t.setup)},   {"kernel", or_null(t.kernel)},
          {"plugin", or_null(t.plugin)}};
}

ordered_json output_section(const grid::OutputSection& o) {
  ordered_json targets = ordered_json::object();
  for (const auto& t : o.targets) targets[t.field] = t.mcse;
  const bool summary = o.keep == grid::Keep::summary;
  return {{"keep", summary ? "summary" : "tasks"},
          {"block", summary ? ordered_json(o.block) : ordered_json(nullptr)},
          {"target_mcse", targets},
          {"min_replicates", o.targets.empty() ? ordered_json(nullptr) : ordered_json(o.min_replicates)}};
}

ordered_json schedule_section(const grid::ScheduleSection& s) {
  return {{"chunk", s.chunk},
          {"timeout_s", s.timeout_s},
          {"retries", s.retries},
          {"checkpoint_s", s.checkpoint_s},
          {"memory_bytes", s.memory_bytes}};
}

ordered_json params_of(const grid::TaskSpace& space) {
  ordered_json out = ordered_json::array();
  for (const auto& p : space.params()) {
    ordered_json values = ordered_json::array();
    for (const auto& v : p.values) values.push_back(value_json(v));
    out.push_back({{"name", p.name}, {"type", core::type_name(p.type)}, {"values", std::move(values)}});
  }
  return out;
}

ordered_json args_of(const grid::JobSpec& spec) {
  ordered_json out = ordered_json::array();
  for (const auto& a : spec.args)
    out.push_back({{"name", a.name}, {"type", core::type_name(core::type_of(a.value))}, {"value", value_json(a.value)}});
  return out;
}

ordered_json data_of(const grid::JobSpec& spec) {
  ordered_json out = ordered_json::array();
  for (const auto& d : spec.data) out.push_back({{"name", d.name}, {"file", d.file}, {"dataset", or_null(d.dataset)}});
  return out;
}

constexpr std::uint64_t kMaxRSeed = 2147483647;  // R's set.seed() takes an R integer

ordered_json seed_rules() {
  return {{"r", "task t starts from the L'Ecuyer-CMRG stream reached by applying parallel::nextRNGStream t + 1 "
                "times to the state set.seed(seed, kind = \"L'Ecuyer-CMRG\") leaves"},
          {"r_seed_max", kMaxRSeed},
          {"native", "Philox4x64-10 keyed by (seed, task id)"}};
}

// The grid.toml path a result file recorded, absolute (an old file may hold
// it relative to where rsim ran: then it is taken relative to the file's folder).
std::string recorded_grid_path(const std::string& result_file, const std::string& recorded) {
  const std::filesystem::path p(recorded);
  if (p.is_absolute()) return recorded;
  return (std::filesystem::absolute(result_file).parent_path() / p.filename()).string();
}

// A numeric column: finite values as numbers, missing ones null; NaN and
// infinities (which JSON cannot hold) also null, listed by row in `special`.
ordered_json numeric_column(const core::DataColumn& c) {
  ordered_json values = ordered_json::array(), nan = ordered_json::array(), inf = ordered_json::array(),
               ninf = ordered_json::array();
  for (std::size_t r = 0; r < c.values.size(); ++r) {
    const double x = c.values[r];
    values.push_back(std::isfinite(x) ? ordered_json(x) : ordered_json());
    if (std::isnan(x) && !core::is_na_float(x)) nan.push_back(r);
    else if (std::isinf(x)) (x > 0 ? inf : ninf).push_back(r);
  }
  return {{"name", c.name}, {"type", "double"}, {"values", std::move(values)},
          {"special", {{"NaN", std::move(nan)}, {"Inf", std::move(inf)}, {"-Inf", std::move(ninf)}}}};
}

// The [data] inputs as a rank loads them: name, file, sha256, rows, columns.
std::string data_json(const grid::JobSpec& spec) {
  ordered_json tables = ordered_json::array();
  for (const core::DataTable& t : io::load_data(spec)) {
    ordered_json cols = ordered_json::array();
    for (const auto& c : t.columns)
      cols.push_back(c.numeric ? numeric_column(c)
                               : ordered_json{{"name", c.name}, {"type", "character"}, {"values", c.strings}});
    tables.push_back({{"name", t.name}, {"file", t.file}, {"sha256", t.sha256}, {"rows", t.rows},
                      {"columns", std::move(cols)}});
  }
  return ordered_json{{"inspect_format", kInspectFormat}, {"data", std::move(tables)}}.dump(-1, ' ', false,
                                                                                         ordered_json::error_handler_t::replace);
}

}  // namespace

void check_task_id(const grid::TaskSpace& space, std::uint64_t task) {
  if (task < space.n_tasks()) return;
  throw core::UsageError("task " + std::to_string(task) + " is out of range: the job has " +
                             std::to_string(space.n_tasks()) + " tasks (ids 0 to " +
                             std::to_string(space.n_tasks() - 1) + ")",
                         "give --task a task id below " + std::to_string(space.n_tasks()));
}

std::string job_json(const grid::JobSpec& spec, const grid::TaskSpace& space) {
  ordered_json j;
  j["inspect_format"] = kInspectFormat;
  j["rsim_version"] = core::kVersion;
  j["result_format"] = core::kFormatVersion;
  j["job"] = {{"name", spec.name},
              {"output", spec.output},
              {"seed", spec.seed},
              {"seed_text", std::to_string(spec.seed)},
              {"replicates", spec.replicates}};
  j["task"] = task_section(spec.task);
  j["args"] = args_of(spec);
  j["grid"] = {{"kind", spec.cartesian ? "cartesian" : "points"}, {"params", params_of(space)}};
  j["n_points"] = space.n_points();
  j["n_tasks"] = space.n_tasks();
  j["schedule"] = schedule_section(spec.schedule);
  j["output"] = output_section(spec.results);
  j["data"] = data_of(spec);
  j["files"] = {{"output", spec.output},
                {"checkpoints", io::checkpoint_dir_for(spec.output)},
                {"logs", spec.output + ".logs"},
                {"status", spec.output + ".status.json"},
                {"lock", spec.output + ".lock"}};
  j["source"] = {{"path", std::filesystem::absolute(spec.source_path).lexically_normal().string()},
                 {"hash", spec.source_hash}};
  j["reserved_names"] = grid::reserved_names();
  j["seed_rules"] = seed_rules();
  return j.dump(2);
}

std::string task_json(const grid::JobSpec& spec, const grid::TaskSpace& space, std::uint64_t task) {
  check_task_id(space, task);
  const std::uint64_t point = space.point_of(task);
  ordered_json params = ordered_json::object();
  for (std::size_t j = 0; j < space.n_params(); ++j) params[space.param(j).name] = value_json(space.value(point, j));
  ordered_json t = {{"task", task}, {"point", point}, {"replicate", space.replicate_of(task)}, {"params", params}};
  if (spec.seed <= kMaxRSeed) {
    const auto seed = core::random_seed_vector(core::task_stream(static_cast<std::int32_t>(spec.seed), task));
    t["r_seed"] = seed;
  } else {
    t["r_seed"] = nullptr;
  }
  return t.dump(2);
}

core::ExitCode inspect(const std::string& path, const std::uint64_t* task, bool data) {
  std::error_code ec;
  const bool toml = std::filesystem::path(path).extension() == ".toml" || !std::filesystem::exists(path, ec);
  if (!toml) {
    const io::OutputInfo info = io::inspect_output(path);
    if (!info.is_rsim)
      throw core::UsageError(path + " is neither a grid.toml nor an rsim result file",
                             "give the job's grid.toml or its result file");
    if (task || data) {
      // The stored view has no per-task part: rebuild the job from its
      // recorded grid.toml text (paths resolve against the recorded folder).
      const grid::JobSpec spec = grid::parse_job_spec(info.grid_toml, recorded_grid_path(path, info.grid_path));
      const grid::TaskSpace space(spec);
      std::printf("%s\n", data ? data_json(spec).c_str() : task_json(spec, space, *task).c_str());
      return core::ExitCode::ok;
    }
    if (info.job_json.empty())
      throw core::IoError("the result file was written by an rsim without `rsim inspect` (no job_json attribute)",
                          path, "inspect the job's grid.toml instead, or give --task T");
    std::printf("%s\n", info.job_json.c_str());
    return core::ExitCode::ok;
  }
  const grid::JobSpec spec = grid::read_job_spec(path);
  const grid::TaskSpace space(spec);
  std::printf("%s\n", data ? data_json(spec).c_str() : task ? task_json(spec, space, *task).c_str()
                                                             : job_json(spec, space).c_str());
  return core::ExitCode::ok;
}

}  // namespace rsim::job
