#include "rsim/job/single_task.hpp"

#include <cstdio>
#include <string>
#include <nlohmann/json.hpp>

#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/job/inspect.hpp"
#include "rsim/job/json_values.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::job {

using nlohmann::ordered_json;

namespace {

// Bytes as lower-case hex digits (the JSON of a byte field).
std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// Element k of field f of the batch's only row, as JSON (NA as null).
ordered_json element(const core::ColumnData& col, std::size_t k) {
  return std::visit(
      [&](const auto& c) -> ordered_json {
        using T = typename std::decay_t<decltype(c)>::value_type;
        if constexpr (std::is_same_v<T, double>) return double_json(c[k]);
        else if constexpr (std::is_same_v<T, std::int64_t>) return c[k] == core::na_int ? ordered_json() : ordered_json(c[k]);
        else if constexpr (std::is_same_v<T, std::int8_t>) return c[k] == core::na_bool ? ordered_json() : ordered_json(c[k] != 0);
        else if constexpr (std::is_same_v<T, core::Blob>) return c[k].bytes.empty() ? ordered_json() : ordered_json(hex(c[k].bytes));
        else if constexpr (std::is_same_v<T, std::string>) return c[k] == core::na_string ? ordered_json() : ordered_json(c[k]);
        else return c[k];
      },
      col);
}

ordered_json fields_json(const core::ResultBatch& b) {
  ordered_json out = ordered_json::array();
  for (std::size_t f = 0; f < b.schema().size(); ++f) {
    const core::Field& field = b.schema()[f];
    ordered_json value;
    if (field.width == 1) {
      value = element(b.columns()[f], 0);
    } else {
      value = ordered_json::array();
      for (std::size_t k = 0; k < field.width; ++k) value.push_back(element(b.columns()[f], k));
    }
    out.push_back({{"name", field.name}, {"type", core::type_name(field.type)}, {"width", field.width},
                   {"value", std::move(value)}});
  }
  return out;
}

}  // namespace

core::ExitCode run_single_task(const std::string& grid_path, std::uint64_t task) {
  grid::JobSpec spec = grid::read_job_spec(grid_path);
  const grid::TaskSpace space(spec);
  check_task_id(space, task);
  const std::vector<core::DataTable> data = io::load_data(spec);
  auto runner = run::make_runner(spec, space, {0, "", &data});
  core::ResultBatch batch(runner->schema());
  core::TaskNotes notes;
  core::RowWriter row = batch.begin_row(task);
  const core::TaskStatus status = runner->run(task, row, notes);
  batch.end_row(status, 0, 1, notes.warnings);

  ordered_json j = {{"task", task},
                    {"point", space.point_of(task)},
                    {"replicate", space.replicate_of(task)},
                    {"status", core::status_name(status)},
                    {"warnings", notes.warnings},
                    {"warning_messages", notes.warning_messages}};
  if (status != core::TaskStatus::ok) {
    j["message"] = notes.message;
    j["calls"] = notes.calls;
  } else {
    j["fields"] = fields_json(batch);
  }
  // What the task itself printed went to stdout before this line: the JSON
  // is the last line, so readers take the output's last line.
  std::printf("%s\n", j.dump().c_str());
  return status == core::TaskStatus::ok ? core::ExitCode::ok : core::ExitCode::task_failures;
}

}  // namespace rsim::job
