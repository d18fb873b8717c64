#pragma once
// Runs a native kernel: each task gets its own Philox stream keyed by
// (seed, task id); a kernel exception fails that task only.
#include <memory>

#include "rsim/run/native/kernel.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::run {

class NativeRunner : public Runner {
 public:
  NativeRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, std::unique_ptr<Kernel> kernel,
               std::string name, const std::vector<core::DataTable>* data = nullptr);
  const core::Schema& schema() const override { return schema_; }
  core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) override;
  std::string describe() const override { return "native kernel " + name_; }  // as describe_task()

 private:
  const grid::JobSpec& spec_;
  const grid::TaskSpace& space_;
  std::unique_ptr<Kernel> kernel_;
  std::string name_;
  KernelSetup setup_;  // owns the defaults the kernel's ParamRefs point to
  core::Schema schema_;
};

}  // namespace rsim::run
