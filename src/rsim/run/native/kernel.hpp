#pragma once
// The native kernel interface.  A kernel is set up once per rank with the
// job's parameters and [args] constants, then run once per task with that
// task's parameter values and its own random stream, writing typed fields.
//
//   class Twice : public Kernel {
//     ParamRef x_;
//     core::Schema setup(KernelSetup& s) override {
//       x_ = s.param("x", core::ValueType::Float);
//       return {{"y", core::ValueType::Float}};
//     }
//     void run(const TaskParams& p, core::Philox&, core::RowWriter& out) override {
//       out.set_float(0, 2 * p.get_float(x_));
//     }
//   };
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rsim/core/data_table.hpp"
#include "rsim/core/philox.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/core/value.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"

namespace rsim::run {

// Where a declared parameter's value comes from: a grid column, an [args]
// constant, or the kernel's default.
struct ParamRef {
  int grid_index = -1;              // >= 0: column of the TaskSpace
  const core::Value* constant = nullptr;  // otherwise: [args] value or default
  core::ValueType type = core::ValueType::Float;
  std::string name;
};

// The parameter values of one task.
class TaskParams {
 public:
  TaskParams(const grid::TaskSpace& space, std::uint64_t task)
      : space_(&space), task_(task), point_(space.point_of(task)) {}
  std::uint64_t task() const { return task_; }
  std::uint64_t point() const { return point_; }
  std::uint64_t replicate() const { return space_->replicate_of(task_); }

  std::int64_t get_int(const ParamRef& r) const { return std::get<std::int64_t>(value(r)); }
  // Integers widen to float.
  double get_float(const ParamRef& r) const {
    const core::Value& v = value(r);
    if (const double* d = std::get_if<double>(&v)) return *d;
    return static_cast<double>(std::get<std::int64_t>(v));
  }
  const std::string& get_string(const ParamRef& r) const { return std::get<std::string>(value(r)); }
  bool get_bool(const ParamRef& r) const { return std::get<bool>(value(r)); }

 private:
  const core::Value& value(const ParamRef& r) const {
    return r.grid_index >= 0 ? space_->value(point_, static_cast<std::size_t>(r.grid_index)) : *r.constant;
  }
  const grid::TaskSpace* space_;
  std::uint64_t task_;
  std::uint64_t point_;
};

// Given to Kernel::setup: declares the parameters a kernel takes and checks
// that the grid and [args] supply them with the right types.  It owns the
// default values that ParamRefs point to, so it must outlive the kernel's runs.
class KernelSetup {
 public:
  KernelSetup(const grid::JobSpec& spec, const grid::TaskSpace& space,
              const std::vector<core::DataTable>* data = nullptr);
  // The [data] input called `name`; throws core::ConfigError if the job has
  // none of that name (saying which inputs it has).
  const core::DataTable& data(const std::string& name) const;
  // Its numeric column `column`; ConfigError if missing or not numeric.
  const std::vector<double>& numeric_column(const std::string& name, const std::string& column) const;

  // Declares parameter `name`.  Found in the grid or [args] with a matching
  // type (an integer is accepted where a float is declared), else `def`;
  // throws ConfigError if missing without a default or of the wrong type.
  ParamRef param(const std::string& name, core::ValueType type,
                 std::optional<core::Value> def = std::nullopt);
  // Declares a string parameter restricted to `choices`; every value in the
  // grid is checked now, not at run time.
  ParamRef choice(const std::string& name, const std::vector<std::string>& choices,
                  std::optional<std::string> def = std::nullopt);
  // Checks a numeric parameter over every value it takes (grid and args):
  // `ok(value)` must hold, else ConfigError saying `requirement`.
  void require(const ParamRef& r, const std::function<bool(double)>& ok, const std::string& requirement);

  // Throws ConfigError naming every grid parameter or [args] key the kernel
  // did not declare (a typo otherwise runs the wrong study for hours).
  void check_all_used(const std::string& kernel_name) const;

  const grid::JobSpec& spec() const { return *spec_; }
  const grid::TaskSpace& space() const { return *space_; }

 private:
  const grid::JobSpec* spec_;
  const grid::TaskSpace* space_;
  const std::vector<core::DataTable>* data_;
  std::vector<std::string> declared_;
  std::vector<std::unique_ptr<core::Value>> defaults_;  // stable addresses
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Once per rank, before any task.  Returns the fields every task writes.
  virtual core::Schema setup(KernelSetup& s) = 0;
  // Once per task.  Throw std::exception to fail the task with its message.
  virtual void run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) = 0;
};

using KernelFactory = std::function<std::unique_ptr<Kernel>()>;

// Name -> factory.  The built-in kernels register themselves in builtin().
class KernelRegistry {
 public:
  static KernelRegistry& builtin();
  void add(const std::string& name, const std::string& summary, KernelFactory f);
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  // Throws core::ConfigError (key task.kernel, no file) for an unknown name.
  std::unique_ptr<Kernel> create(const std::string& name) const;
  // "name: summary" lines, sorted, for --help and error messages.
  std::vector<std::string> describe() const;

 private:
  struct Entry {
    std::string summary;
    KernelFactory factory;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace rsim::run
