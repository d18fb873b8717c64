#include "rsim/job/summary_fold.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "rsim/core/error.hpp"

namespace rsim::job {

namespace {
constexpr std::uint32_t kErrorsPerPoint = 100;  // /errors keeps the first failed task of this many blocks a point
constexpr double kMargin = 1.05;                // a round aims 5% past the estimated need
}  // namespace

SummaryFold::SummaryFold(const grid::TaskSpace& space, const grid::OutputSection& output)
    : space_(space), out_(output), points_(space.n_points()), errors_of_point_(space.n_points(), 0) {}

void SummaryFold::add_all(const std::string& dir, const io::IdentityCheck& check) {
  io::for_each_block(dir, check, [this](const io::BlockSummary& b, const std::vector<io::SummaryField>& f) { add(b, f); });
}

void SummaryFold::add(const io::BlockSummary& b, const std::vector<io::SummaryField>& fields) {
  if (b.point >= points_.size() || b.block >= space_.blocks_per_point())
    throw core::IoError("a summary checkpoint holds block " + std::to_string(b.block) + " of point " +
                            std::to_string(b.point) + ", beyond the job's grid",
                        "", "move the checkpoint folder aside to start over");
  Point& p = points_[b.point];
  if (p.stopped) return;  // run beyond the point's stop: discarded
  if (b.block != p.blocks) {
    p.ahead.push_back(b.block);
    return;
  }
  fold(p, b.point, b, fields);
  decide(p, b.point);
}

std::size_t SummaryFold::field_index(const io::SummaryField& f) {
  const auto it = index_.find(f.name);
  if (it != index_.end()) {
    io::SummaryField& mine = fields_[it->second];
    if (f.first_task < mine.first_task || (f.first_task == mine.first_task && f.position < mine.position)) {
      mine.first_task = f.first_task;
      mine.position = f.position;
    }
    return it->second;
  }
  index_.emplace(f.name, fields_.size());
  fields_.push_back(f);
  moments_.emplace_back(points_.size());
  return fields_.size() - 1;
}

void SummaryFold::fold(Point& p, std::uint64_t point, const io::BlockSummary& b,
                       const std::vector<io::SummaryField>& fields) {
  for (std::size_t f = 0; f < b.fields.size(); ++f) moments_[field_index(fields[f])][point].merge(b.fields[f]);
  ++p.blocks;
  p.tasks += b.tasks;
  p.failed += b.failed;
  p.warnings += b.warnings;
  p.elapsed += b.elapsed;
  if (b.has_error && errors_of_point_[point] < kErrorsPerPoint) {
    errors_.push_back(b.error);
    ++errors_of_point_[point];
  }
}

std::uint64_t SummaryFold::replicates_done(const Point& p) const {
  return std::min(space_.replicates(), p.blocks * space_.block_size());
}

// At a block boundary: are the targets met (at or after min_replicates)?
void SummaryFold::decide(Point& p, std::uint64_t point) {
  if (!out_.targets.empty() && replicates_done(p) >= out_.min_replicates) {
    bool met = true;
    for (const auto& t : out_.targets) {
      const auto it = index_.find(t.field);
      const double se = it == index_.end() ? NAN : moments_[it->second][point].mcse();
      if (!(se <= t.mcse)) met = false;  // NaN (fewer than two values) is not met
    }
    if (met) p.stopped = p.reached = true;
  }
  if (p.blocks == space_.blocks_per_point()) p.stopped = true;
}

// Replicates wanted: the largest n * (mcse / target)^2 over the targets,
// with a margin; at least one more block, at most twice what is done, and
// min_replicates first.  Without targets: every block.
std::uint64_t SummaryFold::wanted_blocks(const Point& p, std::uint64_t point) const {
  const std::uint64_t all = space_.blocks_per_point(), bs = space_.block_size();
  if (p.stopped) return p.blocks;
  if (out_.targets.empty()) return all;
  const std::uint64_t done = replicates_done(p);
  std::uint64_t want = out_.min_replicates;
  if (done >= out_.min_replicates) {
    double need = 0;
    for (const auto& t : out_.targets) {
      const auto it = index_.find(t.field);
      const core::Moments* m = it == index_.end() ? nullptr : &moments_[it->second][point];
      const double se = m ? m->mcse() : NAN;
      need = std::max(need, std::isfinite(se) ? static_cast<double>(m->n) * (se / t.mcse) * (se / t.mcse) * kMargin
                                              : 2.0 * static_cast<double>(done));
    }
    const double capped = std::min(need, 2.0 * static_cast<double>(done));
    want = std::max(done + bs, static_cast<std::uint64_t>(std::ceil(capped)));
  }
  return std::min(all, (want + bs - 1) / bs);
}

io::TaskRanges SummaryFold::committed() const {
  io::TaskRanges out;
  for (std::uint64_t q = 0; q < points_.size(); ++q) {
    const Point& p = points_[q];
    if (p.blocks > 0) out.emplace_back(space_.block_first(q, 0), space_.block_end(q, p.blocks - 1));
    for (const std::uint64_t k : p.ahead) out.emplace_back(space_.block_first(q, k), space_.block_end(q, k));
  }
  return io::unite({}, out);
}

io::TaskRanges SummaryFold::next_round() const {
  io::TaskRanges out;
  for (std::uint64_t q = 0; q < points_.size(); ++q) {
    const Point& p = points_[q];
    const std::uint64_t want = wanted_blocks(p, q);
    for (std::uint64_t k = p.blocks; k < want; ++k)
      if (std::find(p.ahead.begin(), p.ahead.end(), k) == p.ahead.end())
        out.emplace_back(space_.block_first(q, k), space_.block_end(q, k));
  }
  return io::unite({}, out);
}

std::uint64_t SummaryFold::open_points() const {
  return static_cast<std::uint64_t>(std::count_if(points_.begin(), points_.end(), [](const Point& p) { return !p.stopped; }));
}

std::vector<std::string> SummaryFold::untargetable() const {
  std::vector<std::string> out;
  for (const auto& t : out_.targets)
    if (!index_.count(t.field)) out.push_back(t.field);
  return out;
}

io::SummaryTable SummaryFold::table() const {
  io::SummaryTable t;
  std::vector<std::size_t> order(fields_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
    const auto &x = fields_[a], &y = fields_[b];
    return x.first_task != y.first_task ? x.first_task < y.first_task : x.position < y.position;
  });
  for (const std::size_t f : order) {
    t.fields.push_back(fields_[f]);
    t.by_field.push_back(moments_[f]);
  }
  for (const Point& p : points_) {
    t.replicates.push_back(p.tasks);
    t.failed.push_back(p.failed);
    t.warnings.push_back(p.warnings);
    t.elapsed.push_back(p.elapsed);
    t.reached.push_back(static_cast<std::int8_t>(out_.targets.empty() ? core::na_bool : p.reached ? 1 : 0));
  }
  t.errors = errors_;
  std::sort(t.errors.begin(), t.errors.end(), [](const auto& a, const auto& b) { return a.task < b.task; });
  return t;
}

}  // namespace rsim::job
