#include "rsim/run/native/native_runner.hpp"

#include <exception>

namespace rsim::run {

NativeRunner::NativeRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, std::unique_ptr<Kernel> kernel,
                           std::string name, const std::vector<core::DataTable>* data)
    : spec_(spec), space_(space), kernel_(std::move(kernel)), name_(std::move(name)), setup_(spec_, space_, data) {
  schema_ = kernel_->setup(setup_);
  setup_.check_all_used(name_);
}

core::TaskStatus NativeRunner::run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  core::Philox rng(spec_.seed, task);
  try {
    kernel_->run(TaskParams(space_, task), rng, out);
    return core::TaskStatus::ok;
  } catch (const std::exception& e) {
    notes.message = e.what();
    notes.calls = "kernel " + name_;
    return core::TaskStatus::error;
  }
}

}  // namespace rsim::run
