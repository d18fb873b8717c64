#pragma once
// Values crossing between R and rsim.  Into R: grid and [args] values as R
// objects.  Out of R: what a task's function returned, as result fields and
// table rows, by the rules of docs/r-tasks.md: named scalars and numeric
// vectors become fields, data frames become rows of /tables/<name>; the
// first task that returns fields fixes them, and field types join by the
// one rule of core/field_types.hpp (integers and doubles mix as double).
// Anything else fails the task, never the job, with a message saying what
// came back and what was expected.
#include <cstdint>
#include <string>
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
  void adopt_schema(const core::Schema& s) {
    if (schema_.empty()) schema_ = s;
  }
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
  bool check_field_set(core::TaskNotes& notes);
  bool write_fields(core::RowWriter& out, core::TaskNotes& notes);
  std::size_t field_index(const Staged& s, std::size_t guess) const;

  core::Schema schema_;
  std::vector<Staged> staged_;  // reused from task to task
};

}  // namespace rsim::run
