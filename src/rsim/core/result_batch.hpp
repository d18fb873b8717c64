#pragma once
// A batch of finished tasks held column by column, ready to be committed.
// Appending a row costs no allocation once the batch has grown to its
// working size (string fields excepted).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rsim/core/field_types.hpp"
#include "rsim/core/schema.hpp"

namespace rsim::core {

struct ErrorRecord {
  std::uint64_t task = 0;
  std::string message;
  std::string calls;  // call stack / traceback, newline separated; may be empty
};

// What a backend reports about one task besides its fields.
struct TaskNotes {
  std::string message;   // error or timeout message
  std::string calls;     // call stack at the error
  std::int32_t warnings = 0;      // warnings the task raised
  std::string warning_messages;   // the first few, newline separated
  bool abandoned = false;         // interrupted by a stop request: not a result, runs again on resume
  void clear() {
    abandoned = false;
    message.clear();
    calls.clear();
    warnings = 0;
    warning_messages.clear();
  }
};

class ResultBatch;

// Rows of a data frame that tasks returned: typed columns plus the task id
// of each row.  Stored as /tables/<name>/ in the result file.
struct TableBatch {
  Schema schema;
  // Per column, what the lowest task that returned the table said of it
  // beyond its type (an R class: r_class, levels, tzone, units), as for
  // result fields (FieldOrigin); meta_task is that task.
  std::vector<FieldMeta> meta;
  std::uint64_t meta_task = FieldOrigin::none;
  std::vector<std::uint64_t> task;
  std::vector<ColumnData> cols;
  std::size_t rows() const { return task.size(); }
  void clear();
  // Task `task` described the columns so: kept if it is the lowest so far.
  void note_meta(std::uint64_t task, std::vector<FieldMeta> m);
  // Appends the rows of `other` (same schema), and its meta if its task is lower.
  void append(const TableBatch& other);
  // Appends the rows of `other` whose columns the field-type rule joins with
  // these (core::widened: integer and double columns become double, here or
  // in the rows appended).  False, with nothing changed, if they conflict.
  bool append_widening(const TableBatch& other);
  // Converts column `c` to type `to`, which must accept its type.
  void widen_column(std::size_t c, ValueType to);
};

// Writes the fields of the row being filled.  Field indices follow the schema.
class RowWriter {
 public:
  void set_float(std::size_t field, double v);
  void set_int(std::size_t field, std::int64_t v);
  void set_bool(std::size_t field, bool v);
  void set_string(std::size_t field, std::string_view v);
  // A Bytes or RObject field; empty bytes mean missing.
  void set_bytes(std::size_t field, std::string_view v);
  // The bytes of a Bytes or RObject field, to fill in place (empty so far).
  std::string& bytes(std::size_t field);
  // A fixed-length vector field: width() doubles to fill in place.
  double* float_vector(std::size_t field);
  std::size_t width(std::size_t field) const;
  // Turns integer field `field` into a float field, in the batch's schema and
  // data (NA stays NA); a no-op for fields of other types.
  void widen_to_float(std::size_t field);
  // The table `name` of the batch, created empty (no schema) if new; rows
  // the task appends are dropped again if the task fails.
  TableBatch& table(const std::string& name);
  // Extends the batch's fields to `schema`, which must start with them: the
  // rows already in the batch get NA in the new columns.
  void extend_schema(const Schema& schema);
  // Adds field `f` (NA in every row so far); returns its index.
  std::size_t add_field(const Field& f);
  // This row's task returned field `field` as its `position`-th field, with
  // `meta` (element names, R class): kept in the field's origin if the task
  // is the lowest so far (core::FieldOrigin).
  void returned(std::size_t field, std::uint32_t position, const FieldMeta* meta = nullptr);

 private:
  friend class ResultBatch;
  RowWriter(ResultBatch& b, std::size_t row) : batch_(&b), row_(row) {}
  ResultBatch* batch_;
  std::size_t row_;
};

class ResultBatch {
 public:
  explicit ResultBatch(Schema schema = {});
  const Schema& schema() const { return schema_; }
  // Per field, where it first appears among this batch's tasks (first_task
  // stays `none` for fields no task noted, e.g. a native kernel's).
  const std::vector<FieldOrigin>& origins() const { return origins_; }
  // Replaces the origins (one per field), e.g. as read from a checkpoint.
  void set_origins(std::vector<FieldOrigin> origins);
  // Replaces the schema; only allowed while the batch is empty.
  void reset_schema(Schema schema);

  // Starts the row of task `task`, every field set to NA.
  RowWriter begin_row(std::uint64_t task);
  // Completes the row begun last.
  void end_row(TaskStatus status, double elapsed_s, std::int32_t attempts, std::int32_t warnings = 0,
               std::int64_t max_rss = -1);
  // Drops the row begun last (e.g. a task abandoned on interrupt).
  void cancel_row();
  void add_error(ErrorRecord e) { errors_.push_back(std::move(e)); }
  // Warning messages of a task (task, messages newline separated).
  void add_warning(ErrorRecord w) { warning_msgs_.push_back(std::move(w)); }

  std::size_t size() const { return task_.size(); }
  bool empty() const { return task_.empty(); }
  void clear();

  const std::vector<std::uint64_t>& tasks() const { return task_; }
  const std::vector<TaskStatus>& status() const { return status_; }
  const std::vector<double>& elapsed() const { return elapsed_; }
  const std::vector<std::int32_t>& attempts() const { return attempts_; }
  const std::vector<std::int32_t>& warnings() const { return warnings_; }
  const std::vector<std::int64_t>& max_rss() const { return max_rss_; }  // bytes, -1 unknown
  const std::vector<ErrorRecord>& warning_messages() const { return warning_msgs_; }
  const std::vector<std::pair<std::string, TableBatch>>& tables() const { return tables_; }
  std::vector<std::pair<std::string, TableBatch>>& mutable_tables() { return tables_; }
  const std::vector<ColumnData>& columns() const { return cols_; }
  const std::vector<ErrorRecord>& errors() const { return errors_; }
  std::vector<ColumnData>& mutable_columns() { return cols_; }
  // Appends a finished row wholesale (used when reading batches back).
  void append_meta(std::uint64_t task, TaskStatus s, double elapsed_s, std::int32_t attempts,
                   std::int32_t warnings, std::int64_t max_rss);
  // The bookkeeping of every row at once, into an empty batch (one vector
  // each, of the same length): a checkpoint read back without a copy per row.
  struct Meta {
    std::vector<std::uint64_t> task;
    std::vector<TaskStatus> status;
    std::vector<double> elapsed;
    std::vector<std::int32_t> attempts, warnings;
    std::vector<std::int64_t> max_rss;
  };
  void set_meta(Meta m);

 private:
  friend class RowWriter;
  Schema schema_;
  std::vector<std::uint64_t> task_;
  std::vector<TaskStatus> status_;
  std::vector<double> elapsed_;
  std::vector<std::int32_t> attempts_;
  std::vector<std::int32_t> warnings_;
  std::vector<std::int64_t> max_rss_;
  std::vector<ColumnData> cols_;
  std::vector<FieldOrigin> origins_;
  std::vector<ErrorRecord> errors_;
  std::vector<ErrorRecord> warning_msgs_;
  std::vector<std::pair<std::string, TableBatch>> tables_;
  bool open_row_ = false;
};

}  // namespace rsim::core
