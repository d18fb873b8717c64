#pragma once
// The parts of the result file, one writer each (layout: docs/format.md):
// /grid, /tasks (status and metadata per task), /results (one dataset per
// field), /tables, /errors and /warnings, and the root attributes.  The
// assembly feeds them blocks of finished rows in commit order; a later row
// of a task replaces an earlier one.
#include <cstdint>
#include <map>
#include <unordered_map>
#include <string>
#include <vector>

#include "rsim/core/result_batch.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/factor.hpp"
#include "rsim/io/h5_write.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/io/result_file.hpp"

namespace rsim::io {

// /grid/<param>: the parameter values of every point.
void write_grid(hid_t file, const grid::TaskSpace& space, const std::string& where);

// /tasks/*: every task starts "not run" with NA metadata; rows overwrite it.
class TaskWriter {
 public:
  TaskWriter(hid_t file, hsize_t n_tasks, const std::string& where);
  // Rows [i, i + cnt) of `b` are tasks [off, off + cnt); `status` and
  // `ranks` are per row of `b`.
  void write(const core::ResultBatch& b, const std::vector<core::TaskStatus>& status,
             const std::vector<std::int32_t>& ranks, std::size_t i, hsize_t off, hsize_t cnt);
  // Writes the rows still held in whole-chunk buffers (before count()).
  void finish();
  // The statuses as the file holds them (overlapping rows count once).
  AssemblySummary count() const;

 private:
  hsize_t n_;
  std::string where_;
  h5::Id group_;
  Dataset status_, elapsed_, rank_, attempts_, warnings_, rss_;
  std::vector<float> elapsed32_;  // /tasks/elapsed is float32 (docs/format.md#tasks)
};

// /results/<field>: one dataset per field of the job's schema, NA-filled.
class FieldWriter {
 public:
  // The file's fields (plan_fields()): a dataset each, vector fields with
  // their element names (attribute `element_names`).
  FieldWriter(hid_t file, FieldPlan plan, hsize_t n_tasks, const std::string& where);
  // A field of a batch whose type cannot join the file's (plan_fields()
  // chose another): the tasks with a value there fail with `message`.
  struct Conflict {
    std::size_t column;
    std::string message;
  };
  // Maps the fields of the next batches to the file's; returns those that
  // conflict (write() skips them).
  std::vector<Conflict> use(const core::Schema& batch_schema);
  void write(const core::ResultBatch& b, std::size_t i, hsize_t off, hsize_t cnt);
  // Writes the fields held until every row is known (factors).
  void finish();

 private:
  std::string decided_by(std::size_t f) const;
  // File field `f` is an integer field stored in 32 bits (core::fits_int32()).
  bool narrow(std::size_t f) const;
  std::string where_;
  core::Schema schema_;
  std::vector<core::FieldOrigin> origins_;
  std::vector<bool> kept_;
  std::vector<bool> skip_;  // per batch field: a conflict, not written
  h5::Id group_;
  std::vector<Dataset> datasets_;                      // none (id < 0) for a factor, written by finish()
  std::unordered_map<std::size_t, FactorColumn> factors_;  // file field -> its factor column
  std::vector<std::size_t> out_of_;  // file field of each batch field
  std::unordered_map<std::string, std::size_t> index_;  // field name -> its place in schema_
};

// /tables/<name>/: rows of every table, written sorted by task id.  A task
// whose row appears again later (a rerun, a task in two checkpoints) keeps
// only the table rows of its latest row.
class TableWriter {
 public:
  // The next block of rows holds these tasks: their earlier table rows go.
  void forget(const std::vector<std::uint64_t>& tasks);
  // Table rows of the current block.  Throws core::IoError naming `source`
  // if its columns cannot join.
  void add(const std::string& name, const core::TableBatch& t, const std::string& source);
  void write(hid_t file, const std::string& where) const;

 private:
  std::vector<std::size_t> rows_to_write(const std::string& name, const core::TableBatch& t) const;
  std::map<std::string, core::TableBatch> tables_;
  std::map<std::string, std::vector<std::uint32_t>> source_of_row_;  // the block each row came from
  std::unordered_map<std::uint64_t, std::uint32_t> latest_;          // task -> its latest block (tasks with table rows)
  std::uint32_t source_ = 0;
};

// /errors and /warnings: one record per task, the latest row's.
class RecordWriter {
 public:
  // A later row of these tasks replaces their earlier records.
  void forget(const std::vector<std::uint64_t>& tasks);
  void error(const core::ErrorRecord& e) { errors_[e.task] = e; }
  void warning(const core::ErrorRecord& w) { warnings_[w.task] = w; }
  void write(hid_t file, const std::string& where) const;

 private:
  std::map<std::uint64_t, core::ErrorRecord> errors_, warnings_;
};

// A new result file at `tmp` (a stale file there removed first).
h5::Id create_result_file(const std::string& tmp);
// Flushes and closes `file` (written at `tmp`), fsyncs it and renames it to
// `output`; a half-written temp file is removed, never left as the result.
void publish_result_file(h5::Id file, const std::string& tmp, const std::string& output);

// The root attributes: format, job, grid, counts, provenance.
void write_attributes(hid_t file, const grid::JobSpec& spec, const grid::TaskSpace& space, const Provenance& prov,
                      const AssemblySummary& sum, const std::string& where);

}  // namespace rsim::io
