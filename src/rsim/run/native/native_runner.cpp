#include "rsim/run/native/native_runner.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include "rsim/core/error.hpp"
#include "rsim/grid/grid_reader.hpp"

namespace rsim::run {

namespace {

// The fields a kernel declares must make a result file: named, of width
// 1 or more, each name once and none of rsim's own columns.
void check_fields(const core::Schema& schema, const std::string& kernel, const grid::JobSpec& spec) {
  const core::SourceLocation where{spec.source_path, 0, "task.kernel"};
  const std::string fix = "fix the fields the kernel's setup() returns";
  std::set<std::string> seen;
  const auto& reserved = grid::reserved_names();
  for (const auto& f : schema) {
    const std::string field = "the kernel " + kernel + " declares a field ";
    if (f.name.empty()) throw core::ConfigError(where, field + "without a name", fix);
    if (f.width == 0)
      throw core::ConfigError(where, field + "\"" + f.name + "\" of width 0", fix + " (width 1 for a scalar)");
    if (!seen.insert(f.name).second) throw core::ConfigError(where, field + "\"" + f.name + "\" twice", fix);
    if (std::find(reserved.begin(), reserved.end(), f.name) != reserved.end())
      throw core::ConfigError(where, field + "\"" + f.name + "\", a name rsim writes for every task", fix);
  }
}

}  // namespace

NativeRunner::NativeRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, std::unique_ptr<Kernel> kernel,
                           std::string name, const std::vector<core::DataTable>* data)
    : spec_(spec), space_(space), kernel_(std::move(kernel)), name_(std::move(name)), setup_(spec_, space_, data) {
  try {
    schema_ = kernel_->setup(setup_);
  } catch (const std::exception&) {
    throw;
  } catch (...) {
    throw core::BackendError("the setup of kernel " + name_ + " threw something that is not a std::exception",
                             spec_.task.plugin.empty() ? "kernel " + name_ : spec_.task.plugin,
                             "throw std::runtime_error (or another std::exception) from a kernel");
  }
  check_fields(schema_, name_, spec_);
  setup_.check_all_used(name_);
}

core::TaskStatus NativeRunner::run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  core::Philox rng(spec_.seed, task);
  try {
    kernel_->run(TaskParams(space_, task), rng, out);
    return core::TaskStatus::ok;
  } catch (const std::exception& e) {
    notes.message = e.what();
  } catch (...) {  // a plugin may throw anything: the task fails, the rank lives
    notes.message = "the kernel threw something that is not a std::exception (throw std::runtime_error instead)";
  }
  notes.calls = "kernel " + name_;
  return core::TaskStatus::error;
}

}  // namespace rsim::run
