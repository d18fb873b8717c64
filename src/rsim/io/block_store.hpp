#pragma once
// Checkpoints of a job that keeps per-point summaries ([output] keep =
// "summary", docs/summaries.md): each rank commits the blocks it finished
// as immutable files in the checkpoint folder, written durably like task
// segments.  A block file holds, per block, its task counts and per
// numeric field the Moments of its values in replicate order; the first
// failed task of each block with its message; a checksum.
//
// Files are named blk-<run>-r<rank>-k<round>-<seq>.rsb: one stream per run,
// rank and round, whose blocks come in increasing (point, block) order (a
// rank takes chunks in task order).  for_each_block() merges the streams
// so that every block is seen once, in (point, block) order, holding one
// file per stream in memory: memory does not grow with the number of tasks.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rsim/core/moments.hpp"
#include "rsim/core/result_batch.hpp"

namespace rsim::io {

// A numeric result field as block files name it: where it first appears
// among the tasks (core::FieldOrigin: the field order of the summary).
struct SummaryField {
  std::string name;
  std::uint64_t first_task = UINT64_MAX;
  std::uint32_t position = 0;
};

struct BlockSummary {
  std::uint64_t point = 0, block = 0;
  std::uint64_t tasks = 0, failed = 0, warnings = 0;
  double elapsed = 0;                 // seconds, summed over its tasks
  std::vector<core::Moments> fields;  // per field of its file (missing values are not in n)
  bool has_error = false;
  core::ErrorRecord error;            // the first failed task of the block, if any
};

struct BlockFile {
  std::string path;
  std::string identity;
  std::uint32_t rank = 0, round = 0;
  std::uint64_t run_id = 0;
  std::vector<SummaryField> fields;
  std::vector<BlockSummary> blocks;  // in increasing (point, block) order
};

class BlockWriter {
 public:
  BlockWriter(std::string dir, std::string identity, std::uint32_t rank, std::uint64_t run_id, std::uint32_t round);
  // Durably commits `blocks` (if any) as the next file of this stream.
  void commit(const std::vector<SummaryField>& fields, const std::vector<BlockSummary>& blocks);

 private:
  std::string dir_, identity_;
  std::uint32_t rank_, round_;
  std::uint64_t run_id_, seq_ = 0;
  std::string buf_;
};

// Reads and verifies one block file; core::IoError naming it if damaged.
BlockFile read_block_file(const std::string& path);
// The block files in `dir`, sorted by name; none if `dir` is absent.
std::vector<std::string> list_block_files(const std::string& dir);

// Every block of the files in `dir`, once, in (point, block) order, with the
// fields of its file.  `check(identity, path)` is called once per file
// before its blocks (it throws to refuse the file).
using BlockFn = std::function<void(const BlockSummary&, const std::vector<SummaryField>&)>;
using IdentityCheck = std::function<void(const std::string& identity, const std::string& path)>;
void for_each_block(const std::string& dir, const IdentityCheck& check, const BlockFn& fn);

}  // namespace rsim::io
