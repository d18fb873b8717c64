#include "rsim/run/r/r_values.hpp"

#include <optional>
#include <variant>

#include "rsim/core/field_types.hpp"

namespace rsim::run {

namespace {

// The field type of an R vector's elements: double -> float, integer ->
// integer, factor -> string (its labels), logical -> boolean, character ->
// string; nothing for any other R type.
inline std::optional<core::ValueType> field_type_of(SEXP x) {
  switch (TYPEOF(x)) {
    case REALSXP: return core::ValueType::Float;
    case INTSXP: return Rf_isFactor(x) ? core::ValueType::String : core::ValueType::Int;
    case LGLSXP: return core::ValueType::Bool;
    case STRSXP: return core::ValueType::String;
    default: return std::nullopt;
  }
}

// R's integer NA is the int64 NA here.
inline std::int64_t from_r_int(int v) { return v == NA_INTEGER ? core::na_int : v; }

// Element k of a double or (non-factor) integer vector, as a double.
inline double r_number(SEXP x, R_xlen_t k) {
  return TYPEOF(x) == REALSXP ? REAL(x)[k] : core::widen_int(from_r_int(INTEGER(x)[k]));
}

// Element k of a character vector or factor (its label) in UTF-8; nullptr for NA.
const char* r_string(SEXP x, R_xlen_t k) {
  if (Rf_isFactor(x)) {
    const int code = INTEGER(x)[k];
    return code == NA_INTEGER ? nullptr : Rf_translateCharUTF8(STRING_ELT(Rf_getAttrib(x, R_LevelsSymbol), code - 1));
  }
  SEXP e = STRING_ELT(x, k);
  return e == NA_STRING ? nullptr : Rf_translateCharUTF8(e);
}

// How a field type reads in messages to R users.
const char* r_type_name(core::ValueType t) {  // of a table column: never a vector or bytes (table_schema())
  switch (t) {
    case core::ValueType::Int: return "integer";
    case core::ValueType::Float: return "double";
    case core::ValueType::String: return "character";
    case core::ValueType::Bool: return "logical";
    default: return "not a table column type";
  }
}

// --- R objects ------------------------------------------------------------------

// A value returned whole, as the single field "value" (serialized): an
// object with a class (a model fit, an S4 object, ...) other than a data
// frame, or a value that is neither a list nor an atomic vector (a function,
// an environment, a raw or complex vector, ...).
bool is_whole_object(SEXP x) {
  if (Rf_inherits(x, "data.frame")) return false;
  if (OBJECT(x) || IS_S4_OBJECT(x)) return TYPEOF(x) == VECSXP || !field_type_of(x) || XLENGTH(x) != 1;
  return TYPEOF(x) != VECSXP && !field_type_of(x);
}

void out_char(R_outpstream_t s, int c) { static_cast<std::string*>(s->data)->push_back(static_cast<char>(c)); }
void out_bytes(R_outpstream_t s, void* buf, int n) {
  static_cast<std::string*>(s->data)->append(static_cast<const char*>(buf), static_cast<std::size_t>(n));
}
struct SerializeCall {
  SEXP x;
  std::string* out;
};
void serialize_now(void* p) {
  auto* call = static_cast<SerializeCall*>(p);
  R_outpstream_st stream;
  R_InitOutPStream(&stream, call->out, R_pstream_xdr_format, 3, out_char, out_bytes, nullptr, R_NilValue);
  R_Serialize(call->x, &stream);
}

// R's serialize(x, NULL, version = 3) (XDR) into `out`; an R error while
// serializing is caught (false, `out` cleared), never a jump through C++.
bool serialize_r(SEXP x, std::string& out) {
  out.clear();
  SerializeCall call{x, &out};
  if (R_ToplevelExec(serialize_now, &call) == TRUE) return true;
  out.clear();
  return false;
}

// A character vector's elements in UTF-8 (NA as "").
std::vector<std::string> utf8(SEXP x) {
  std::vector<std::string> out;
  if (TYPEOF(x) != STRSXP) return out;
  for (R_xlen_t k = 0; k < XLENGTH(x); ++k)
    out.emplace_back(STRING_ELT(x, k) == NA_STRING ? "" : Rf_translateCharUTF8(STRING_ELT(x, k)));
  return out;
}

// The classes whose values rsim stores as numbers or text and rebuilds on
// reading: the attributes that rebuild them (docs/r-tasks.md#classes).
bool kept_class(SEXP x) {
  return Rf_inherits(x, "Date") || Rf_inherits(x, "POSIXct") || Rf_inherits(x, "difftime") || Rf_isFactor(x);
}
void class_meta(SEXP x, core::FieldMeta& meta) {
  meta.push_back({"r_class", utf8(Rf_getAttrib(x, R_ClassSymbol))});
  if (Rf_isFactor(x)) meta.push_back({"levels", utf8(Rf_getAttrib(x, R_LevelsSymbol))});
  if (Rf_inherits(x, "POSIXct")) {
    const auto tz = utf8(Rf_getAttrib(x, Rf_install("tzone")));
    meta.push_back({"tzone", tz.empty() ? std::vector<std::string>{""} : tz});
  }
  if (Rf_inherits(x, "difftime")) meta.push_back({"units", utf8(Rf_getAttrib(x, Rf_install("units")))});
}

// True if element k of atomic x is NA (R's NA, not NaN).
bool is_na_element(SEXP x, R_xlen_t k) {
  switch (TYPEOF(x)) {
    case REALSXP: return R_IsNA(REAL(x)[k]);
    case INTSXP: return INTEGER(x)[k] == NA_INTEGER;
    case LGLSXP: return LOGICAL(x)[k] == NA_LOGICAL;
    case STRSXP: return STRING_ELT(x, k) == NA_STRING;
    default: return false;
  }
}

// Element k of x into field f of the row (NA stays NA).
bool write_value(core::RowWriter& out, std::size_t f, const core::Field& want, SEXP x, R_xlen_t k) {
  if (want.type == core::ValueType::RObject) return serialize_r(x, out.bytes(f));
  if (want.width > 1) {
    double* dst = out.float_vector(f);
    for (std::uint32_t e = 0; e < want.width; ++e) dst[e] = r_number(x, e);
    return true;
  }
  switch (want.type) {
    case core::ValueType::Float: out.set_float(f, r_number(x, k)); break;
    case core::ValueType::Int: out.set_int(f, from_r_int(INTEGER(x)[k])); break;
    case core::ValueType::Bool:
      if (LOGICAL(x)[k] != NA_LOGICAL) out.set_bool(f, LOGICAL(x)[k] != 0);
      break;
    case core::ValueType::String:
      if (const char* s = r_string(x, k)) out.set_string(f, s);
      break;
    default: break;  // bytes fields come from native kernels only
  }
  return true;
}

// --- data frames ----------------------------------------------------------------

// The columns of data frame `df` (returned as table `name`) as fields.
bool table_schema(const std::string& name, SEXP df, core::Schema& schema, core::TaskNotes& notes) {
  SEXP cn = Rf_getAttrib(df, R_NamesSymbol);
  for (R_xlen_t c = 0; c < XLENGTH(df); ++c) {
    SEXP col = VECTOR_ELT(df, c);
    const std::string cname = Rf_translateCharUTF8(STRING_ELT(cn, c));
    const auto t = field_type_of(col);
    if (!t) {
      notes.message = "column \"" + cname + "\" of data frame \"" + name + "\" is a " + Rf_type2char(TYPEOF(col)) +
                      "; table columns must be numeric, integer, logical, character or factor";
      return false;
    }
    if (cname == "task" || cname.empty()) {
      notes.message = "data frame \"" + name + "\" has a column named \"" + cname +
                      "\"; rename it (rsim adds the task column itself)";
      return false;
    }
    schema.push_back({cname, *t, 1});
  }
  return true;
}

// Joins the columns a task returned with those of the table so far (an
// integer column meeting doubles becomes double).
bool join_columns(const std::string& name, core::TableBatch& tb, const core::Schema& got, core::TaskNotes& notes) {
  if (tb.schema.size() != got.size()) {
    notes.message = "data frame \"" + name + "\" has " + std::to_string(got.size()) + " columns here but " +
                    std::to_string(tb.schema.size()) + " in earlier tasks";
    return false;
  }
  for (std::size_t c = 0; c < got.size(); ++c) {
    const auto joined = core::widened_type(tb.schema[c], got[c]);
    if (!joined) {
      const core::Field& want = tb.schema[c];
      notes.message = "column " + std::to_string(c + 1) + " of data frame \"" + name + "\" is " + got[c].name + " (" +
                      r_type_name(got[c].type) + ") here but " + want.name + " (" + r_type_name(want.type) +
                      ") in earlier tasks";
      return false;
    }
    if (*joined != tb.schema[c].type) tb.widen_column(c, *joined);
  }
  return true;
}

// Appends the nrow elements of R vector `col` to a column (NA stays NA).
void append_column(core::ColumnData& dst, SEXP col, R_xlen_t nrow) {
  std::visit(
      [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        for (R_xlen_t i = 0; i < nrow; ++i) {
          if constexpr (std::is_same_v<T, double>) {
            v.push_back(r_number(col, i));
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            v.push_back(from_r_int(INTEGER(col)[i]));
          } else if constexpr (std::is_same_v<T, std::int8_t>) {
            const int b = LOGICAL(col)[i];
            v.push_back(b == NA_LOGICAL ? core::na_bool : static_cast<std::int8_t>(b != 0));
          } else if constexpr (std::is_same_v<T, std::string>) {
            const char* s = r_string(col, i);
            v.push_back(s ? std::string(s) : std::string(core::na_string));
          }  // table columns are never bytes (table_schema())
        }
      },
      dst);
}

// The kept classes of the columns of data frame `df` (docs/r-tasks.md#classes).
std::vector<core::FieldMeta> column_meta(SEXP df) {
  std::vector<core::FieldMeta> out(static_cast<std::size_t>(XLENGTH(df)));
  for (R_xlen_t c = 0; c < XLENGTH(df); ++c) {
    SEXP col = VECTOR_ELT(df, c);
    if (OBJECT(col) && kept_class(col)) class_meta(col, out[static_cast<std::size_t>(c)]);
  }
  return out;
}

// Appends the rows of data frame `df` to table `name` (/tables/<name>), with
// the task id as an extra column.  The first data frame of a table fixes its
// columns and types; integers widen into double columns, nothing else.
bool append_table(const std::string& name, SEXP df, std::uint64_t task, core::RowWriter& out,
                  core::TaskNotes& notes) {
  core::Schema schema;
  if (!table_schema(name, df, schema, notes)) return false;
  core::TableBatch& tb = out.table(name);
  if (tb.schema.empty() && tb.cols.empty()) {
    tb.schema = schema;
    for (const auto& f : schema) tb.cols.push_back(core::make_column(f.type));
  }
  if (!join_columns(name, tb, schema, notes)) return false;
  if (task < tb.meta_task) tb.note_meta(task, column_meta(df));
  const R_xlen_t nrow = XLENGTH(df) > 0 ? XLENGTH(VECTOR_ELT(df, 0)) : 0;
  tb.task.insert(tb.task.end(), static_cast<std::size_t>(nrow), task);
  for (std::size_t c = 0; c < schema.size(); ++c)
    append_column(tb.cols[c], VECTOR_ELT(df, static_cast<R_xlen_t>(c)), nrow);
  return true;
}

}  // namespace

// What the task says about field `st` beyond its values (element names, a
// kept class) into `meta`; false if nothing.
bool ResultConverter::field_meta(const Staged& st, core::FieldMeta& meta) {
  meta.clear();
  if (st.field.type == core::ValueType::RObject || ATTRIB(st.x) == R_NilValue) return false;
  if (st.field.width > 1 && Rf_getAttrib(st.x, R_NamesSymbol) != R_NilValue)
    meta.push_back({"element_names", utf8(Rf_getAttrib(st.x, R_NamesSymbol))});
  if (OBJECT(st.x) && kept_class(st.x)) class_meta(st.x, meta);
  return !meta.empty();
}

bool ResultConverter::is_na_scalar(const Staged& st) {
  return st.field.width == 1 && st.field.type != core::ValueType::RObject && is_na_element(st.x, st.index);
}

void ResultConverter::adopt_schema(const core::Schema& s) {
  if (!schema_.empty()) return;
  schema_ = s;
  for (std::size_t k = 0; k < schema_.size(); ++k) by_name_[schema_[k].name].push_back(k);
}

SEXP value_to_r(const core::Value& v) {
  switch (core::type_of(v)) {
    case core::ValueType::Int: {
      const std::int64_t x = std::get<std::int64_t>(v);
      if (x > INT32_MAX || x <= INT32_MIN) return Rf_ScalarReal(static_cast<double>(x));  // beyond R integers
      return Rf_ScalarInteger(static_cast<int>(x));
    }
    case core::ValueType::Float: return Rf_ScalarReal(std::get<double>(v));
    case core::ValueType::String: return Rf_mkString(std::get<std::string>(v).c_str());
    case core::ValueType::Bool: return Rf_ScalarLogical(std::get<bool>(v) ? 1 : 0);
    default: break;  // a Value never holds bytes
  }
  return R_NilValue;
}

// --- result fields -----------------------------------------------------------------

bool ResultConverter::convert(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  if (res == R_NilValue) return true;
  staged_.clear();
  if (Rf_inherits(res, "data.frame")) return append_table("rows", res, task, out, notes);
  if (is_whole_object(res)) {
    staged_.push_back({{"value", core::ValueType::RObject, 1}, res, 0});
  } else if (TYPEOF(res) == VECSXP) {
    if (!stage_list(res, task, out, notes)) return false;
  } else if (!stage_vector(res, *field_type_of(res), notes)) {
    return false;
  }
  if (staged_.empty()) return true;  // only tables (or an empty list)
  return check_unique(notes) && write_fields(out, notes);
}

// A named list: scalars and numeric vectors are fields, data frames tables.
inline bool ResultConverter::stage_list(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  SEXP names = Rf_getAttrib(res, R_NamesSymbol);
  if (names == R_NilValue && XLENGTH(res) > 0) {
    notes.message = "the task returned an unnamed list; return a named list such as list(estimate = 1.2, p = 0.03)";
    return false;
  }
  for (R_xlen_t i = 0; i < XLENGTH(res); ++i) {
    SEXP x = VECTOR_ELT(res, i);
    const std::string name = Rf_translateCharUTF8(STRING_ELT(names, i));
    if (name.empty()) {
      notes.message = "element " + std::to_string(i + 1) + " of the returned list has no name";
      return false;
    }
    const auto t = field_type_of(x);
    if (Rf_inherits(x, "data.frame")) {
      if (!append_table(name, x, task, out, notes)) return false;
    } else if (t && XLENGTH(x) == 1) {
      staged_.push_back({{name, *t, 1}, x, 0});
    } else if ((t == core::ValueType::Float || t == core::ValueType::Int) && XLENGTH(x) > 1 && !OBJECT(x)) {
      staged_.push_back({{name, core::ValueType::Float, static_cast<std::uint32_t>(XLENGTH(x))}, x, 0});
    } else {  // any other R value (a model fit, a list, NULL, a character vector, ...): serialized
      staged_.push_back({{name, core::ValueType::RObject, 1}, x, 0});
    }
  }
  return true;
}

// An atomic vector: unnamed, a single field "value"; named, one field per element.
inline bool ResultConverter::stage_vector(SEXP res, core::ValueType type, core::TaskNotes& notes) {
  SEXP names = Rf_getAttrib(res, R_NamesSymbol);
  if (names == R_NilValue) {
    if (XLENGTH(res) != 1) {
      notes.message = "the task returned an unnamed vector of length " + std::to_string(XLENGTH(res)) +
                      "; name its elements, e.g. c(mean = m, sd = s)";
      return false;
    }
    staged_.push_back({{"value", type, 1}, res, 0});
    return true;
  }
  for (R_xlen_t i = 0; i < XLENGTH(res); ++i) {
    std::string name = Rf_translateCharUTF8(STRING_ELT(names, i));
    if (name.empty()) {
      notes.message = "element " + std::to_string(i + 1) + " of the returned vector has no name";
      return false;
    }
    staged_.push_back({{std::move(name), type, 1}, res, i});
  }
  return true;
}

// Each name once per task (a set for wide tasks: 10,000 fields).
inline bool ResultConverter::check_unique(core::TaskNotes& notes) {
  const auto twice = [&](const std::string& name) {
    notes.message = "the task returned field \"" + name + "\" twice";
    return false;
  };
  if (staged_.size() > 16) {
    seen_.clear();
    for (const auto& st : staged_)
      if (!seen_.insert(st.field.name).second) return twice(st.field.name);
    return true;
  }
  for (std::size_t i = 1; i < staged_.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (staged_[k].field.name == staged_[i].field.name) return twice(staged_[i].field.name);
  return true;
}

// The column for staged field `st`: one of its name whose type joins (any
// of its name for an NA, which joins every type); `guess` first (tasks
// usually return fields in the same order).  schema_.size() if none.
inline std::size_t ResultConverter::column_for(const Staged& st, bool na, std::size_t guess) const {
  const auto fits = [&](std::size_t k) { return na || core::widened_type(schema_[k], st.field).has_value(); };
  if (guess < schema_.size() && schema_[guess].name == st.field.name && fits(guess)) return guess;
  const auto it = by_name_.find(st.field.name);
  if (it != by_name_.end())
    for (const std::size_t k : it->second)
      if (fits(k)) return k;
  return schema_.size();
}

inline std::size_t ResultConverter::add_column(const core::Field& f, core::RowWriter& out) {
  schema_.push_back(f);
  by_name_[f.name].push_back(schema_.size() - 1);
  return out.add_field(f);
}

// Writes the staged fields: a name not seen on this rank, or seen with a
// type this value cannot join, gets a column of its own (the assembly keeps
// the type of the lowest task with a value: core::FieldOrigin); NA joins any
// type.  Then notes, for each field, that this task returned it.
inline bool ResultConverter::write_fields(core::RowWriter& out, core::TaskNotes& notes) {
  out.extend_schema(schema_);
  columns_.resize(staged_.size());
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    const Staged& st = staged_[i];
    const bool na = is_na_scalar(st);
    std::size_t f = column_for(st, na, i);
    if (f == schema_.size()) f = add_column(st.field, out);
    columns_[i] = f;
    if (na) continue;  // the row holds NA already
    if (schema_[f].type != st.field.type && schema_[f].type != core::ValueType::Float) {
      schema_[f].type = core::ValueType::Float;  // integers and doubles mix as double
      out.widen_to_float(f);
    }
    if (!write_value(out, f, schema_[f], st.x, st.index)) {
      notes.message = "result field \"" + st.field.name + "\" could not be serialized (R's serialize() failed; see the rank's log)";
      return false;
    }
  }
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    const Staged& st = staged_[i];
    if (field_meta(st, meta_)) out.returned(columns_[i], static_cast<std::uint32_t>(i), &meta_);
    else out.returned(columns_[i], static_cast<std::uint32_t>(i));
  }
  return true;
}

}  // namespace rsim::run
