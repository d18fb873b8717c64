#pragma once
// Checkpoint segments: each rank commits batches of finished tasks as
// immutable files in the job's checkpoint folder (write a temp file, fsync,
// rename, fsync the folder), so a crash loses at most the batch being
// filled.  The result file is assembled from the segments at the end.
//
// A segment is a small binary file: header (magic, format, grid hash, rank,
// run id, schema), the batch's columns, its error records, and a trailer
// with a checksum of everything before it, so a truncated or damaged
// segment is detected, never half-read.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rsim/core/result_batch.hpp"

namespace rsim::io {

// "<output>.ckpt": the checkpoint folder of a job writing `output`.
std::string checkpoint_dir_for(const std::string& output);

struct SegmentHeader {
  std::string identity;  // the job's identity as core::Identity::encode() wrote it
  std::uint32_t rank = 0;
  std::uint64_t run_id = 0;
  core::Schema schema;
  std::vector<core::FieldOrigin> origins;  // one per field (unknown, `none`, in segments of format 2)
  std::uint32_t format = 0;                // the segment format it was written in (read back)
};

class SegmentWriter {
 public:
  SegmentWriter(std::string dir, std::string identity, std::uint32_t rank, std::uint64_t run_id);
  // Durably commits `batch` (if non-empty) as the next segment of this rank.
  void commit(const core::ResultBatch& batch);
  std::uint64_t segments_written() const { return seq_; }

 private:
  std::string dir_;
  SegmentHeader header_;
  std::uint64_t seq_ = 0;
  std::string buf_;  // reused encoding buffer
};

struct Segment {
  std::string path;
  SegmentHeader header;
  core::ResultBatch batch;
};

// Reads and verifies one segment; throws core::IoError naming the file if it
// is truncated, damaged or not a segment.
Segment read_segment(const std::string& path);
// A verified segment's header, task ids and statuses, without decoding its
// fields: what planning a resume needs (io::SegmentIndex).
struct SegmentTasks {
  SegmentHeader header;
  std::vector<std::uint64_t> tasks;
  std::vector<core::TaskStatus> status;
};
SegmentTasks read_segment_tasks(const std::string& path);
// Reads only the header (no checksum check): cheap, for planning.
SegmentHeader read_segment_header(const std::string& path);
// The committed segments in `dir`, sorted by name; none if `dir` is absent.
std::vector<std::string> list_segments(const std::string& dir);

// Removes the temporary files of commits a killed run left half-written
// (they were never renamed into place, so they hold nothing committed).
void remove_stale_temp_files(const std::string& dir);

// Creates `dir` (and parents) if missing; IoError if it cannot.
void make_dirs(const std::string& dir);

}  // namespace rsim::io
