#pragma once
// One look at a job's checkpoint folder: for every committed segment, its
// header (job identity, rank, run, schema) and the tasks and statuses it
// holds, each segment read and verified once (checksum, identity).  Planning asks
// the index what is committed; the assembly is handed the same index and
// decodes each segment's columns once more, in the index's order.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rsim/core/schema.hpp"
#include "rsim/io/checkpoint.hpp"

namespace rsim::io {

struct SegmentEntry {
  std::string path;
  SegmentHeader header;
  std::vector<std::uint64_t> tasks;      // in the segment's row order
  std::vector<core::TaskStatus> status;  // per row (empty for segments added by add_new_headers())
};

using TaskRanges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // sorted, disjoint [begin, end)

class SegmentIndex {
 public:
  // Called with each segment's stored identity and path; throws if the
  // segment is not of this job (the job layer decides what differs).
  using IdentityCheck = std::function<void(const std::string& identity, const std::string& path)>;

  // Reads every segment of `dir` (none if it is absent), each checked by
  // `check`.  Throws what `check` throws, core::IoError for a damaged one.
  SegmentIndex(std::string dir, IdentityCheck check);

  // Reads the segments that appeared since (this run's own commits).
  void refresh();
  // Adds the segments that appeared since with their headers only (identity
  // checked, schema known, tasks not read): for the assembly, which
  // reads and verifies each segment anyway.
  void add_new_headers();

  // Sorted by file name: the order in which later rows replace earlier ones.
  const std::vector<SegmentEntry>& entries() const { return entries_; }
  const std::string& dir() const { return dir_; }

  // The tasks committed so far as merged ranges.  With `exclude_failed`,
  // tasks whose latest row failed (error or timeout) count as not committed.
  TaskRanges committed_ranges(bool exclude_failed = false) const;
  // How many tasks failed in their latest row: those of `failed_before`
  // (an earlier result file's) unless a segment ran them again, and the
  // segments' own.
  std::uint64_t failed_count(const TaskRanges& failed_before = {}) const;

  // The fields of the result file (plan_fields() of `kept` and every segment).
  core::Schema schema(const core::Schema& kept = {}) const;

 private:
  void read(const std::string& path);
  std::string dir_;
  IdentityCheck check_;
  std::vector<SegmentEntry> entries_;
  std::set<std::string> seen_;
};

// The fields of a result file, decided by task ids alone, so the same at any
// rank count and in any commit order (docs/r-tasks.md#the-field-rule):
// - the union of every segment's fields, after the `kept` ones (a native
//   kernel's declared fields, an earlier result file's), which keep their
//   order and types;
// - a name returned with types that join (integers and doubles; the same
//   width) is one field of the joined type; with types that do not, the
//   type of the lowest task that returned a value other than NA wins (the
//   other tasks fail at assembly, FieldWriter::use());
// - fields in the order of the lowest task that returned each, then of its
//   place in that task's list; vector fields keep that task's element names
//   (and R classes); a kept field keeps `kept_meta`, what the earlier result
//   file says of it (output_fields()), so a rerun whose tasks fail again
//   loses no class;
// - an integer field is stored in 32 bits unless a value needs 64
//   (core::fits_int32(), FieldOrigin::wide), or `kept_wide` says so of a
//   kept field (an earlier result file stores it in 64).
struct FieldPlan {
  core::Schema schema;
  std::vector<core::FieldOrigin> origins;  // per field, merged over the job
  std::vector<bool> kept;                  // per field: one of the `kept` ones
};
FieldPlan plan_fields(const core::Schema& kept, const std::vector<SegmentEntry>& segments,
                      const std::vector<core::FieldMeta>& kept_meta = {}, const std::vector<bool>& kept_wide = {});

// The union of two sets of ranges, merged.
TaskRanges unite(TaskRanges a, const TaskRanges& b);

// [0, n_tasks) minus `done`.
TaskRanges complement(std::uint64_t n_tasks, const TaskRanges& done);
// The tasks of `a` that are not in `b`.
TaskRanges subtract(const TaskRanges& a, const TaskRanges& b);
// How many tasks `r` holds.
std::uint64_t count(const TaskRanges& r);

}  // namespace rsim::io
