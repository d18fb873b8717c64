#pragma once
// Task ids <-> (point, replicate, parameter values), computed on demand:
// a grid of 10^9 tasks costs the memory of its parameter value lists only.
// Task t: point = t / replicates, replicate = t % replicates.  In a
// Cartesian grid the first parameter varies slowest.
//
// Blocks (per-point summaries, docs/summaries.md): block k of point p holds
// replicates [k*B, min((k+1)*B, replicates)); B = [output] block, or
// `replicates` when the job keeps tasks.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "rsim/grid/job_spec.hpp"

namespace rsim::grid {

class TaskSpace {
 public:
  explicit TaskSpace(const JobSpec& spec);  // throws ConfigError beyond 2^63 tasks

  std::uint64_t n_points() const { return n_points_; }
  std::uint64_t replicates() const { return replicates_; }
  std::uint64_t n_tasks() const { return n_points_ * replicates_; }
  std::size_t n_params() const { return params_.size(); }
  const Param& param(std::size_t j) const { return params_[j]; }
  const std::vector<Param>& params() const { return params_; }
  // Index of the parameter called `name`, or -1.
  int find(const std::string& name) const;

  std::uint64_t block_size() const { return block_; }
  std::uint64_t blocks_per_point() const { return (replicates_ + block_ - 1) / block_; }
  // Task ids [first, end) of block k of point p.
  std::uint64_t block_first(std::uint64_t p, std::uint64_t k) const { return p * replicates_ + k * block_; }
  std::uint64_t block_end(std::uint64_t p, std::uint64_t k) const {
    return p * replicates_ + std::min(replicates_, (k + 1) * block_);
  }
  std::uint64_t block_of(std::uint64_t task) const { return replicate_of(task) / block_; }
  // The first block boundary at or after `task` (n_tasks() at most).
  std::uint64_t align_up(std::uint64_t task) const {
    const std::uint64_t r = replicate_of(task);
    return r % block_ == 0 ? task : block_end(point_of(task), r / block_);
  }

  std::uint64_t point_of(std::uint64_t task) const { return task / replicates_; }
  std::uint64_t replicate_of(std::uint64_t task) const { return task % replicates_; }
  // Value of parameter j at point p (p < n_points()).
  const core::Value& value(std::uint64_t point, std::size_t j) const;
  // Index into param(j).values of that value.
  std::size_t value_index(std::uint64_t point, std::size_t j) const {
    return cartesian_ ? static_cast<std::size_t>((point / stride_[j]) % params_[j].values.size())
                      : static_cast<std::size_t>(point);
  }

 private:
  std::vector<Param> params_;
  std::vector<std::uint64_t> stride_;  // cartesian: index of param j = (p / stride_[j]) % size_j
  bool cartesian_ = true;
  std::uint64_t n_points_ = 0;
  std::uint64_t replicates_ = 1;
  std::uint64_t block_ = 1;
};

}  // namespace rsim::grid
