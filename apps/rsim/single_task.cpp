#include "single_task.hpp"

#include "quote.hpp"

#include <cstdio>
#include <string>

#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::app {

namespace {


// TOML has nan and inf; R's NA (a NaN) is written as "nan" too.
std::string number(double x) {
  if (x != x) return "nan";
  if (x == 1.0 / 0.0) return "inf";
  if (x == -1.0 / 0.0) return "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string field_value(const core::ResultBatch& b, std::size_t f) {
  const core::Field& field = b.schema()[f];
  return std::visit(
      [&](const auto& col) -> std::string {
        using T = typename std::decay_t<decltype(col)>::value_type;
        if constexpr (std::is_same_v<T, double>) {
          if (field.width == 1) return number(col[0]);
          std::string s = "[";
          for (std::size_t i = 0; i < field.width; ++i) s += (i ? ", " : "") + number(col[i]);
          return s + "]";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return col[0] == core::na_int ? std::string("nan") : std::to_string(col[0]);
        } else if constexpr (std::is_same_v<T, std::int8_t>) {
          return col[0] == core::na_bool ? std::string("nan") : col[0] ? std::string("true") : std::string("false");
        } else {
          return quote_str(col[0]);
        }
      },
      b.columns()[f]);
}

}  // namespace

core::ExitCode run_single_task(const Options& opt) {
  grid::JobSpec spec = grid::read_job_spec(opt.grid);
  const grid::TaskSpace space(spec);
  if (opt.task >= space.n_tasks())
    throw core::UsageError("task " + std::to_string(opt.task) + " is out of range: the job has " +
                               std::to_string(space.n_tasks()) + " tasks (ids 0 to " +
                               std::to_string(space.n_tasks() - 1) + ")",
                           "give --task a task id below " + std::to_string(space.n_tasks()));
  const std::vector<core::DataTable> data = io::load_data(spec);
  auto runner = run::make_runner(spec, space, {0, "", &data});
  core::ResultBatch batch(runner->schema());
  core::TaskNotes notes;
  core::RowWriter row = batch.begin_row(opt.task);
  const core::TaskStatus status = runner->run(opt.task, row, notes);
  batch.end_row(status, 0, 1, notes.warnings);

  std::printf("task = %llu\npoint = %llu\nreplicate = %llu\nstatus = %s\n",
              static_cast<unsigned long long>(opt.task), static_cast<unsigned long long>(space.point_of(opt.task)),
              static_cast<unsigned long long>(space.replicate_of(opt.task)), quote_str(core::status_name(status)).c_str());
  if (notes.warnings > 0)
    std::printf("warnings = %d\nwarning_messages = %s\n", notes.warnings, quote_str(notes.warning_messages).c_str());
  if (status != core::TaskStatus::ok) {
    std::printf("message = %s\ncalls = %s\n", quote_str(notes.message).c_str(), quote_str(notes.calls).c_str());
    return core::ExitCode::task_failures;
  }
  std::printf("[fields]\n");
  for (std::size_t f = 0; f < batch.schema().size(); ++f)
    std::printf("%s = %s\n", batch.schema()[f].name.c_str(), field_value(batch, f).c_str());
  return core::ExitCode::ok;
}

}  // namespace rsim::app
