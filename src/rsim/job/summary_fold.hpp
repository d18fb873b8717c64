#pragma once
// Per-point summaries from the blocks the ranks committed
// (docs/summaries.md): blocks are folded per point in block order with
// Chan's merge, so the result is the same at any rank count.  With
// precision targets a point stops at the first block boundary (at or after
// min_replicates) where every target field's Monte Carlo SE is at most its
// target, or at [job] replicates; blocks run beyond that are discarded.
// The fold also plans the next round: the blocks each open point needs.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/block_store.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/io/summary_file.hpp"

namespace rsim::job {

class SummaryFold {
 public:
  SummaryFold(const grid::TaskSpace& space, const grid::OutputSection& output);
  // The next block in (point, block) order (io::for_each_block()).
  void add(const io::BlockSummary& b, const std::vector<io::SummaryField>& fields);
  // Every block of the checkpoint folder `dir`; `check` refuses a file of another job.
  void add_all(const std::string& dir, const io::IdentityCheck& check);

  // Task ranges of the blocks committed (folded or not), merged.
  io::TaskRanges committed() const;
  // The blocks to run next, as task ranges: per open point, the blocks up
  // to the replicates its targets are estimated to need (all of them
  // without targets), less those committed.
  io::TaskRanges next_round() const;
  // Points neither stopped nor complete (blocks missing or still to run).
  std::uint64_t open_points() const;
  // The fields that have targets but that no folded block holds.
  std::vector<std::string> untargetable() const;
  // The table the result file holds (fields ordered by where tasks first returned them).
  io::SummaryTable table() const;

 private:
  struct Point {
    std::uint64_t blocks = 0;  // blocks 0 .. blocks-1 folded
    std::uint64_t tasks = 0, failed = 0, warnings = 0;
    double elapsed = 0;
    bool stopped = false;  // targets met, or every block folded
    bool reached = false;  // stopped by its targets
    std::vector<std::uint64_t> ahead;  // committed blocks past a missing one
  };
  void fold(Point& p, std::uint64_t point, const io::BlockSummary& b, const std::vector<io::SummaryField>& fields);
  void decide(Point& p, std::uint64_t point);
  std::uint64_t replicates_done(const Point& p) const;
  std::uint64_t wanted_blocks(const Point& p, std::uint64_t point) const;
  std::size_t field_index(const io::SummaryField& f);

  const grid::TaskSpace& space_;
  const grid::OutputSection& out_;
  std::vector<Point> points_;
  std::vector<io::SummaryField> fields_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::vector<core::Moments>> moments_;  // [field][point]
  std::vector<core::ErrorRecord> errors_;
  std::vector<std::uint32_t> errors_of_point_;
};

}  // namespace rsim::job
