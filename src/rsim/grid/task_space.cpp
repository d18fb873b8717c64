#include "rsim/grid/task_space.hpp"

#include <limits>

#include "rsim/core/error.hpp"

namespace rsim::grid {

namespace {
constexpr std::uint64_t kMaxTasks = std::uint64_t{1} << 63;

[[noreturn]] void too_many(const JobSpec& spec, const std::string& detail) {
  throw core::ConfigError({spec.source_path, 0, ""},
                          "the job has more than 2^63 tasks (" + detail + ")",
                          "use fewer grid values or replicates, or split the study into several jobs");
}
}  // namespace

TaskSpace::TaskSpace(const JobSpec& spec)
    : params_(spec.params), cartesian_(spec.cartesian), replicates_(spec.replicates) {
  if (replicates_ == 0)
    throw core::ConfigError({spec.source_path, 0, "job.replicates"}, "replicates must be at least 1",
                            "set replicates = 1 or more");
  block_ = spec.results.keep == Keep::summary && spec.results.block > 0 ? spec.results.block : replicates_;
  stride_.assign(params_.size(), 1);
  if (params_.empty()) {
    n_points_ = 1;
  } else if (cartesian_) {
    // First parameter varies slowest: stride_[last] = 1.
    std::uint64_t n = 1;
    for (std::size_t j = params_.size(); j-- > 0;) {
      stride_[j] = n;
      const std::uint64_t sz = params_[j].values.size();
      if (sz == 0)
        throw core::ConfigError({spec.source_path, params_[j].line, "grid." + params_[j].name},
                                "grid parameter has no values", "give at least one value");
      if (n > kMaxTasks / sz) too_many(spec, "the grid alone");
      n *= sz;
    }
    n_points_ = n;
  } else {
    n_points_ = params_.front().values.size();
  }
  if (n_points_ > kMaxTasks / replicates_)
    too_many(spec, std::to_string(n_points_) + " points x " + std::to_string(replicates_) + " replicates");
}

int TaskSpace::find(const std::string& name) const {
  for (std::size_t j = 0; j < params_.size(); ++j)
    if (params_[j].name == name) return static_cast<int>(j);
  return -1;
}

const core::Value& TaskSpace::value(std::uint64_t point, std::size_t j) const {
  return params_[j].values[value_index(point, j)];
}

}  // namespace rsim::grid
