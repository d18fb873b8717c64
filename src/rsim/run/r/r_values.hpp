#pragma once
// Values crossing between R and rsim.  Into R: grid and [args] values as R
// objects.  Out of R: what a task's function returned, as result fields and
// table rows, by the rules of docs/r-tasks.md: named scalars and numeric
// vectors become fields, any other value R's serialization, data frames
// rows of /tables/<name>.  Each rank keeps the union of the fields its
// tasks returned; a name returned with types that do not join gets a column
// per type, and the assembly decides by task id (core::FieldOrigin).
// Anything else fails the task, never the job, with a message saying what
// came back and what was expected.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#ifndef R_NO_REMAP
#define R_NO_REMAP
#endif
#include <Rinternals.h>

#include "rsim/core/result_batch.hpp"
#include "rsim/core/value.hpp"

namespace rsim::run {

// A grid or [args] value as an R scalar; integers beyond R's range as doubles.
SEXP value_to_r(const core::Value& v);

class ResultConverter {
 public:
  // The fields of this rank's tasks; empty until a task returns fields.
  const core::Schema& schema() const { return schema_; }
  // Starts from the fields earlier runs committed (only while none are fixed).
  void adopt_schema(const core::Schema& s);
  // Writes the value a task returned into `out` (fields) and its tables.
  // False, with notes.message set, if it cannot become result fields.
  bool convert(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes);

 private:
  // A returned field before it is checked against the schema.
  struct Staged {
    core::Field field;
    SEXP x;
    R_xlen_t index;  // element of x (scalar fields of an atomic vector)
  };
  bool stage_list(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes);
  bool stage_vector(SEXP res, core::ValueType type, core::TaskNotes& notes);
  bool check_unique(core::TaskNotes& notes);
  bool write_fields(core::RowWriter& out, core::TaskNotes& notes);
  std::size_t column_for(const Staged& st, bool na, std::size_t guess) const;
  std::size_t add_column(const core::Field& f, core::RowWriter& out);
  static bool is_na_scalar(const Staged& st);
  static bool field_meta(const Staged& st, core::FieldMeta& meta);

  core::Schema schema_;  // this rank's columns; a name may have several, of types that do not join
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;  // name -> its columns
  // Reused from task to task:
  std::vector<Staged> staged_;
  std::vector<std::size_t> columns_;  // column of each staged field
  core::FieldMeta meta_;
  std::unordered_set<std::string> seen_;
};

}  // namespace rsim::run
