#pragma once
// The BatchSink of a job that keeps per-point summaries: finished tasks
// are folded into the summary of their block (Welford, in replicate order)
// as they are committed, and only whole blocks are written (io::BlockWriter).
// A block the run stopped inside is not written: its tasks run again on
// resume.  Numeric fields of width 1 (integer, double, logical) are
// summarised; other fields are not kept.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsim/grid/task_space.hpp"
#include "rsim/io/block_store.hpp"
#include "rsim/job/task_loop.hpp"

namespace rsim::job {

class SummarySink final : public BatchSink {
 public:
  SummarySink(const grid::TaskSpace& space, io::BlockWriter& writer) : space_(space), writer_(writer) {}
  // Folds the batch's rows (in task order) and writes the blocks they completed.
  void commit(const core::ResultBatch& batch) override;
  // Blocks written so far.
  std::uint64_t blocks_written() const { return written_; }

 private:
  void add_row(const core::ResultBatch& b, std::size_t row, const core::ErrorRecord* error);
  void start_block(std::uint64_t task);
  std::vector<std::size_t> map_fields(const core::ResultBatch& b);

  const grid::TaskSpace& space_;
  io::BlockWriter& writer_;
  std::vector<io::SummaryField> fields_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::size_t> of_batch_;  // sink field of each batch field (npos: not numeric)
  std::optional<io::BlockSummary> open_;
  std::uint64_t next_task_ = 0, block_end_ = 0;  // of the open block
  std::vector<io::BlockSummary> done_;
  std::uint64_t written_ = 0;
};

}  // namespace rsim::job
