// The embedded-R backend: one R per rank (RInside, main thread), the task
// function called through a prebuilt call whose argument cells are updated
// per task, errors and warnings caught by calling handlers, each task's
// .Random.seed set to its L'Ecuyer-CMRG stream.
#include "rsim/run/r/r_runner.hpp"

#include <RInside.h>
#include <R_ext/Parse.h>
#include <Rinterface.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "rsim/core/error.hpp"
#include "rsim/core/lecuyer.hpp"

// R's own flag (declared in R_ext/GraphicsDevice.h, which drags in far more).
extern "C" int R_interrupts_pending;

namespace rsim::run {

namespace {
volatile sig_atomic_t g_interrupt = 0;
}

void interrupt_running_task() noexcept {
  g_interrupt = 1;
  R_interrupts_pending = 1;  // R stops the running task at its next interrupt check
}

namespace {

namespace fs = std::filesystem;

const char* const kRuntime =
#include "r_runtime.R.inc"
    ;

// --- R helpers (main thread only) ---------------------------------------------

RInside& embedded_r() {
  static RInside* r = nullptr;  // never destroyed: R cannot be restarted in a process
  if (!r) {
    r = new RInside(0, nullptr, false, false, false);
    // RInside switches R's C stack check off; without it runaway recursion in
    // a task segfaults the rank.  90% of the stack limit restores R's error.
    struct rlimit rl {};
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      R_CStackLimit = static_cast<uintptr_t>(0.9 * static_cast<double>(rl.rlim_cur));
  }
  return *r;
}

// R's last error message without its "Error in f() : " / "Error: " prefix.
// A C stack overflow's byte count (which varies from run to run) is
// dropped, so results stay identical across runs and rank counts.
std::string r_error_text() {
  std::string s = R_curErrorBuf();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.rfind("Error: ", 0) == 0) {
    s = s.substr(7);
  } else if (s.rfind("Error", 0) == 0) {
    const auto colon = s.find(" : ");
    if (colon != std::string::npos && colon < 200) s = s.substr(colon + 3);
  }
  if (s.rfind("C stack usage", 0) == 0 && s.find("too close to the limit") != std::string::npos)
    s = "C stack usage is too close to the limit (runaway recursion?)";
  return s;
}

// Evaluates `expr` in `env`; throws BackendError("<what>: <R's message>").
SEXP eval_checked(SEXP expr, SEXP env, const std::string& what, const std::string& fix) {
  int err = 0;
  SEXP res = R_tryEvalSilent(expr, env, &err);
  if (err) throw core::BackendError(what + ": " + r_error_text(), "embedded R", fix);
  return res;
}

SEXP parse_eval(const char* code, const std::string& what) {
  ParseStatus status;
  SEXP text = PROTECT(Rf_mkString(code));
  SEXP exprs = PROTECT(R_ParseVector(text, -1, &status, R_NilValue));
  if (status != PARSE_OK) {
    UNPROTECT(2);
    throw core::BackendError(what + ": cannot parse rsim's R runtime", "embedded R", "report this as a bug");
  }
  SEXP res = R_NilValue;
  for (R_xlen_t i = 0; i < XLENGTH(exprs); ++i) res = eval_checked(VECTOR_ELT(exprs, i), R_GlobalEnv, what, "");
  UNPROTECT(2);
  return res;
}

SEXP lang2(SEXP f, SEXP a) { return Rf_lang2(f, a); }

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
  }
  return R_NilValue;
}

const char* r_type_name(core::ValueType t, std::uint32_t width) {
  if (width > 1) return "numeric vector";
  switch (t) {
    case core::ValueType::Int: return "integer";
    case core::ValueType::Float: return "double";
    case core::ValueType::String: return "character";
    case core::ValueType::Bool: return "logical";
  }
  return "?";
}

// --- the runner -------------------------------------------------------------------

class RRunner : public Runner {
 public:
  RRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, const RunContext& ctx);
  ~RRunner() override;
  const core::Schema& schema() const override { return schema_; }
  void adopt_schema(const core::Schema& s) override {
    if (schema_.empty()) schema_ = s;
  }
  core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) override;
  std::string describe() const override { return "R function " + spec_.task.function + " in " + spec_.task.script; }
  std::vector<std::pair<std::string, std::string>> provenance() const override {
    return {{"r_version", r_version_}, {"r_packages", packages_}};
  }

 private:
  void start_log(const RunContext& ctx);
  void load_code();
  void define_data(const std::vector<core::DataTable>& data);
  void check_arguments(SEXP fun);
  void build_call(SEXP fun);
  void snapshot_session();
  void restore_session();
  void collect_warnings(core::TaskNotes& notes);
  bool convert(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes);
  bool append_table(const std::string& name, SEXP df, std::uint64_t task, core::RowWriter& out,
                    core::TaskNotes& notes);
  SEXP rt(const char* name) const { return Rf_findVarInFrame(rt_, Rf_install(name)); }
  SEXP rt_call(const char* fn, SEXP arg) { return lang2(rt(fn), arg); }

  const grid::JobSpec& spec_;
  const grid::TaskSpace& space_;
  core::StreamCursor cursor_;
  core::Schema schema_;

  // R objects; nullptr until R runs (R_NilValue is only valid after R starts)
  SEXP keep_ = nullptr;  // preserved list of everything below
  SEXP rt_ = nullptr;    // rsim's R runtime environment
  SEXP outer_ = nullptr;  // rt$wrap(fun(...)): the call with rsim's calling handlers
  std::vector<SEXP> cells_;  // argument cells of the grid parameters
  bool want_task_ = false;  // the function takes .task = list(task, point, replicate)
  SEXP task_cell_ = nullptr;
  SEXP values_ = nullptr;  // list: per grid parameter, a list of its values as R objects
  SEXP saved_options_ = nullptr;
  SEXP options_sym_ = nullptr;
  std::vector<SEXP> options_ptrs_;  // (tag, value) of each .Options node after set-up
  std::vector<SEXP> option_pointers() const;
  SEXP set_limit_ = nullptr, clear_limit_ = nullptr;
  std::unordered_set<std::string> globals_;
  R_len_t n_globals_ = 0;
  std::string cwd_;
  SEXP seed_sym_ = nullptr;

  // a task's fields before they are checked against the schema
  struct Staged {
    std::string name;
    core::ValueType type;
    std::uint32_t width;
    SEXP x;
    R_xlen_t index;  // element of x (scalar fields of an atomic vector)
  };
  std::vector<Staged> staged_;
  std::string r_version_;  // R.version.string
  std::string packages_;   // attached packages with versions, "stats 4.2.2, ..."
};

RRunner::RRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, const RunContext& ctx)
    : spec_(spec), space_(space), cursor_([&] {
        if (spec.seed > static_cast<std::uint64_t>(INT32_MAX))
          throw core::ConfigError({spec.source_path, 0, "job.seed"},
                                  "the r backend needs a seed R's set.seed() accepts (0 to 2147483647), got " +
                                      std::to_string(spec.seed),
                                  "choose a seed of at most 2147483647");
        return static_cast<std::int32_t>(spec.seed);
      }()) {
  embedded_r();
  keep_ = Rf_allocVector(VECSXP, 8);
  R_PreserveObject(keep_);
  rt_ = parse_eval(kRuntime, "starting rsim's R runtime");
  SET_VECTOR_ELT(keep_, 0, rt_);
  seed_sym_ = Rf_install(".Random.seed");
  options_sym_ = Rf_install(".Options");
  start_log(ctx);
  if (ctx.data) define_data(*ctx.data);
  load_code();
}

RRunner::~RRunner() {
  if (keep_) R_ReleaseObject(keep_);
}

void RRunner::start_log(const RunContext& ctx) {
  if (ctx.log_dir.empty()) return;
  std::error_code ec;
  fs::create_directories(ctx.log_dir, ec);
  char name[32];
  std::snprintf(name, sizeof name, "rank-%05d.log", ctx.rank);
  const std::string path = (fs::path(ctx.log_dir) / name).string();
  SEXP call = PROTECT(rt_call("start_log", Rf_mkString(path.c_str())));
  eval_checked(call, R_GlobalEnv, "cannot open the task log " + path, "check that the output folder is writable");
  UNPROTECT(1);
}

// Each [data] input becomes a data frame of that name in the global
// environment, before the script is sourced: setup and tasks see it.
void RRunner::define_data(const std::vector<core::DataTable>& data) {
  for (const auto& t : data) {
    const auto ncol = static_cast<R_xlen_t>(t.columns.size());
    const auto nrow = static_cast<R_xlen_t>(t.rows);
    SEXP df = PROTECT(Rf_allocVector(VECSXP, ncol));
    SEXP names = PROTECT(Rf_allocVector(STRSXP, ncol));
    for (R_xlen_t c = 0; c < ncol; ++c) {
      const core::DataColumn& col = t.columns[static_cast<std::size_t>(c)];
      SET_STRING_ELT(names, c, Rf_mkCharCE(col.name.c_str(), CE_UTF8));
      if (col.numeric) {
        SEXP v = Rf_allocVector(REALSXP, nrow);
        SET_VECTOR_ELT(df, c, v);
        std::copy(col.values.begin(), col.values.end(), REAL(v));
      } else {
        SEXP v = Rf_allocVector(STRSXP, nrow);
        SET_VECTOR_ELT(df, c, v);
        for (R_xlen_t r = 0; r < nrow; ++r)
          SET_STRING_ELT(v, r, Rf_mkCharCE(col.strings[static_cast<std::size_t>(r)].c_str(), CE_UTF8));
      }
    }
    Rf_setAttrib(df, R_NamesSymbol, names);
    SEXP rn = PROTECT(Rf_allocVector(INTSXP, 2));  // compact row names c(NA, -nrow)
    INTEGER(rn)[0] = NA_INTEGER;
    INTEGER(rn)[1] = -static_cast<int>(nrow);
    Rf_setAttrib(df, R_RowNamesSymbol, rn);
    Rf_setAttrib(df, R_ClassSymbol, Rf_mkString("data.frame"));
    Rf_defineVar(Rf_install(t.name.c_str()), df, R_GlobalEnv);
    UNPROTECT(3);
  }
}

void RRunner::load_code() {
  const auto& t = spec_.task;
  if (!t.packages.empty()) {
    SEXP pk = PROTECT(Rf_allocVector(STRSXP, static_cast<R_xlen_t>(t.packages.size())));
    for (std::size_t i = 0; i < t.packages.size(); ++i)
      SET_STRING_ELT(pk, static_cast<R_xlen_t>(i), Rf_mkCharCE(t.packages[i].c_str(), CE_UTF8));
    SEXP call = PROTECT(rt_call("attach_packages", pk));
    eval_checked(call, R_GlobalEnv, "cannot attach the packages of [task] packages",
                 "install the package on every node, or remove it from packages");
    UNPROTECT(2);
  }
  {
    SEXP call = PROTECT(rt_call("source_script", Rf_mkString(t.script.c_str())));
    eval_checked(call, R_GlobalEnv, "cannot source the task script",
                 "fix the script so that Rscript -e 'source(\"" + t.script + "\")' runs cleanly");
    UNPROTECT(1);
  }
  SEXP fun = Rf_findVarInFrame(R_GlobalEnv, Rf_install(t.function.c_str()));
  if (fun == R_UnboundValue || !Rf_isFunction(fun))
    throw core::ConfigError({spec_.source_path, 0, "task.function"},
                            "the script " + t.script + " defines no function \"" + t.function + "\"",
                            "define " + t.function + " <- function(...) in the script, or fix [task] function");
  if (!t.setup.empty()) {
    SEXP setup = Rf_findVarInFrame(R_GlobalEnv, Rf_install(t.setup.c_str()));
    if (setup == R_UnboundValue || !Rf_isFunction(setup))
      throw core::ConfigError({spec_.source_path, 0, "task.setup"},
                              "the script " + t.script + " defines no setup function \"" + t.setup + "\"",
                              "define it in the script, or remove setup from [task]");
    SEXP call = PROTECT(Rf_lang1(setup));
    eval_checked(call, R_GlobalEnv, "the setup function " + t.setup + "() failed", "fix the setup function");
    UNPROTECT(1);
  }
  check_arguments(fun);
  build_call(fun);
  snapshot_session();
  SEXP info = PROTECT(Rf_lang1(rt("session_info")));
  SEXP txt = eval_checked(info, R_GlobalEnv, "reading R's version", "");
  if (Rf_isString(txt) && XLENGTH(txt) == 2) {
    r_version_ = Rf_translateCharUTF8(STRING_ELT(txt, 0));
    packages_ = Rf_translateCharUTF8(STRING_ELT(txt, 1));
  }
  UNPROTECT(1);
}

void RRunner::check_arguments(SEXP fun) {
  if (TYPEOF(fun) != CLOSXP) return;  // a primitive: let R check at the first task
  bool dots = false;
  std::unordered_set<std::string> formals;
  std::vector<std::string> required;
  for (SEXP f = FORMALS(fun); f != R_NilValue; f = CDR(f)) {
    const std::string name = CHAR(PRINTNAME(TAG(f)));
    if (name == "...") dots = true;
    else formals.insert(name);
    if (CAR(f) == R_MissingArg && name != "..." && name != ".task") required.push_back(name);
  }
  const std::string sig = spec_.task.function + "()";
  auto check = [&](const std::string& name, const std::string& key, std::uint32_t line) {
    if (!dots && !formals.count(name))
      throw core::ConfigError({spec_.source_path, line, key},
                              "the task function " + sig + " has no argument \"" + name + "\"",
                              "add " + name + " (or ...) to the arguments of " + spec_.task.function +
                                  ", or remove it from the grid.toml");
  };
  std::unordered_set<std::string> given;
  for (const auto& p : space_.params()) {
    check(p.name, "grid." + p.name, p.line);
    given.insert(p.name);
  }
  for (const auto& a : spec_.args) {
    check(a.name, "args." + a.name, a.line);
    given.insert(a.name);
  }
  for (const auto& r : required)
    if (!given.count(r))
      throw core::ConfigError({spec_.source_path, 0, "grid"},
                              "the task function " + sig + " needs argument \"" + r +
                                  "\", which neither [grid] nor [args] gives",
                              "add " + r + " to [grid] or [args], or give it a default in the script");
  want_task_ = formals.count(".task") > 0;
}

void RRunner::build_call(SEXP fun) {
  const std::size_t np = space_.n_params();
  values_ = Rf_allocVector(VECSXP, static_cast<R_xlen_t>(np));
  SET_VECTOR_ELT(keep_, 1, values_);
  for (std::size_t j = 0; j < np; ++j) {
    const auto& vals = space_.param(j).values;
    SEXP l = Rf_allocVector(VECSXP, static_cast<R_xlen_t>(vals.size()));
    SET_VECTOR_ELT(values_, static_cast<R_xlen_t>(j), l);
    for (std::size_t k = 0; k < vals.size(); ++k) SET_VECTOR_ELT(l, static_cast<R_xlen_t>(k), value_to_r(vals[k]));
  }
  const R_xlen_t nargs = static_cast<R_xlen_t>(np + spec_.args.size() + (want_task_ ? 1 : 0));
  SEXP inner = PROTECT(Rf_allocVector(LANGSXP, nargs + 1));
  (void)fun;  // called by name, so call stacks read simulate(...), not the function's source
  SETCAR(inner, Rf_install(spec_.task.function.c_str()));
  SEXP cell = CDR(inner);
  for (std::size_t j = 0; j < np; ++j, cell = CDR(cell)) {
    SET_TAG(cell, Rf_install(space_.param(j).name.c_str()));
    SETCAR(cell, VECTOR_ELT(VECTOR_ELT(values_, static_cast<R_xlen_t>(j)), 0));
    cells_.push_back(cell);
  }
  for (const auto& a : spec_.args) {
    SET_TAG(cell, Rf_install(a.name.c_str()));
    SETCAR(cell, value_to_r(a.value));
    cell = CDR(cell);
  }
  if (want_task_) {
    SET_TAG(cell, Rf_install(".task"));
    task_cell_ = cell;
  }
  outer_ = Rf_lang2(rt("wrap"), inner);  // the task's call with rsim's calling handlers
  SET_VECTOR_ELT(keep_, 2, outer_);
  UNPROTECT(1);

  if (spec_.schedule.timeout_s > 0) {
    SEXP stl = Rf_findFun(Rf_install("setTimeLimit"), R_BaseEnv);
    set_limit_ = Rf_lang3(stl, Rf_ScalarReal(spec_.schedule.timeout_s), Rf_ScalarLogical(1));
    SET_VECTOR_ELT(keep_, 3, set_limit_);
    SET_TAG(CDR(set_limit_), Rf_install("elapsed"));
    SET_TAG(CDDR(set_limit_), Rf_install("transient"));
    clear_limit_ = Rf_lang1(stl);
    SET_VECTOR_ELT(keep_, 4, clear_limit_);
  }
}

// What a task must not change for the next one: the global environment's
// names, options(), the working directory.
void RRunner::snapshot_session() {
  SEXP seed = PROTECT(Rf_allocVector(INTSXP, 7));
  std::memset(INTEGER(seed), 0, 7 * sizeof(int));
  Rf_defineVar(seed_sym_, seed, R_GlobalEnv);  // so .Random.seed counts as a global that stays
  UNPROTECT(1);
  SEXP names = PROTECT(R_lsInternal3(R_GlobalEnv, TRUE, FALSE));
  for (R_xlen_t i = 0; i < XLENGTH(names); ++i) globals_.insert(CHAR(STRING_ELT(names, i)));
  n_globals_ = static_cast<R_len_t>(XLENGTH(names));
  UNPROTECT(1);
  saved_options_ = Rf_duplicate(Rf_findVar(Rf_install(".Options"), R_BaseEnv));
  SET_VECTOR_ELT(keep_, 5, saved_options_);
  options_ptrs_ = option_pointers();
  char buf[4096];
  if (::getcwd(buf, sizeof buf)) cwd_ = buf;
}

void RRunner::restore_session() {
  if (Rf_length(R_GlobalEnv) != n_globals_) {
    SEXP names = PROTECT(R_lsInternal3(R_GlobalEnv, TRUE, FALSE));
    for (R_xlen_t i = 0; i < XLENGTH(names); ++i) {
      const char* n = CHAR(STRING_ELT(names, i));
      if (!globals_.count(n)) R_removeVarFromFrame(Rf_install(n), R_GlobalEnv);
    }
    UNPROTECT(1);
  }
  // options(x = v) replaces the value in .Options' node, so comparing the
  // nodes' value pointers with a snapshot detects any change in ~100 ns
  // (identical() on the whole list cost ~30 us per task).
  if (option_pointers() != options_ptrs_) {
    SEXP call = PROTECT(rt_call("restore_options", saved_options_));
    int err = 0;
    R_tryEvalSilent(call, R_GlobalEnv, &err);
    UNPROTECT(1);
    options_ptrs_ = option_pointers();
  }
  if (!cwd_.empty()) {
    char buf[4096];
    if (!::getcwd(buf, sizeof buf) || cwd_ != buf) {
      if (::chdir(cwd_.c_str()) != 0) { /* the folder vanished: nothing better to do */ }
    }
  }
}

std::vector<SEXP> RRunner::option_pointers() const {
  std::vector<SEXP> p;
  p.reserve(options_ptrs_.size() + 4);
  for (SEXP o = Rf_findVar(options_sym_, R_BaseEnv); o != R_NilValue && TYPEOF(o) == LISTSXP; o = CDR(o)) {
    p.push_back(TAG(o));
    p.push_back(CAR(o));
  }
  return p;
}

void RRunner::collect_warnings(core::TaskNotes& notes) {
  const int n = Rf_asInteger(rt("nwarn"));
  if (n <= 0) return;
  notes.warnings = n;
  SEXP w = rt("warn");
  for (R_xlen_t i = 0; i < XLENGTH(w); ++i) {
    if (i) notes.warning_messages += '\n';
    notes.warning_messages += Rf_translateCharUTF8(STRING_ELT(w, i));
  }
}

core::TaskStatus RRunner::run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  const core::LecuyerState st = cursor_.stream(task);
  const auto sv = core::random_seed_vector(st);
  SEXP seed = PROTECT(Rf_allocVector(INTSXP, 7));
  std::memcpy(INTEGER(seed), sv.data(), sizeof(int) * 7);
  Rf_defineVar(seed_sym_, seed, R_GlobalEnv);
  UNPROTECT(1);

  const std::uint64_t point = space_.point_of(task);
  for (std::size_t j = 0; j < cells_.size(); ++j)
    SETCAR(cells_[j], VECTOR_ELT(VECTOR_ELT(values_, static_cast<R_xlen_t>(j)),
                                 static_cast<R_xlen_t>(space_.value_index(point, j))));
  if (task_cell_) {
    SEXP ctx = PROTECT(Rf_allocVector(VECSXP, 3));
    SET_VECTOR_ELT(ctx, 0, Rf_ScalarReal(static_cast<double>(task)));
    SET_VECTOR_ELT(ctx, 1, Rf_ScalarReal(static_cast<double>(point)));
    SET_VECTOR_ELT(ctx, 2, Rf_ScalarReal(static_cast<double>(space_.replicate_of(task))));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, 3));
    SET_STRING_ELT(nm, 0, Rf_mkChar("task"));
    SET_STRING_ELT(nm, 1, Rf_mkChar("point"));
    SET_STRING_ELT(nm, 2, Rf_mkChar("replicate"));
    Rf_setAttrib(ctx, R_NamesSymbol, nm);
    SETCAR(task_cell_, ctx);
    UNPROTECT(2);
  }

  int err = 0;
  if (set_limit_) R_tryEvalSilent(set_limit_, R_GlobalEnv, &err);
  err = 0;
  SEXP res = PROTECT(R_tryEvalSilent(outer_, R_GlobalEnv, &err));
  if (clear_limit_) {
    int e2 = 0;
    R_tryEvalSilent(clear_limit_, R_GlobalEnv, &e2);
  }
  collect_warnings(notes);

  core::TaskStatus status = core::TaskStatus::ok;
  if (err && (g_interrupt || Rf_asLogical(rt("interrupted")) == TRUE)) {
    notes.abandoned = true;  // stopped by a signal: not the task's failure
    status = core::TaskStatus::error;
  } else if (err) {
    SEXP msg = rt("err_msg");
    notes.message = msg != R_NilValue && Rf_isString(msg) && XLENGTH(msg) > 0
                        ? Rf_translateCharUTF8(STRING_ELT(msg, 0))
                        : r_error_text();
    SEXP calls = PROTECT(rt_call("format_calls", rt("err_calls")));
    int e2 = 0;
    SEXP txt = R_tryEvalSilent(calls, R_GlobalEnv, &e2);
    if (!e2 && Rf_isString(txt) && XLENGTH(txt) > 0) notes.calls = Rf_translateCharUTF8(STRING_ELT(txt, 0));
    UNPROTECT(1);
    status = notes.message.find("reached elapsed time limit") != std::string::npos ||
                     notes.message.find("reached CPU time limit") != std::string::npos
                 ? core::TaskStatus::timeout
                 : core::TaskStatus::error;
  } else if (!convert(res, task, out, notes)) {
    status = core::TaskStatus::error;
  }
  UNPROTECT(1);
  if (err || notes.warnings > 0 || rt("err_msg") != R_NilValue || Rf_asLogical(rt("interrupted")) == TRUE) {
    SEXP call = PROTECT(Rf_lang1(rt("reset")));
    int e2 = 0;
    R_tryEvalSilent(call, R_GlobalEnv, &e2);
    UNPROTECT(1);
  }
  restore_session();
  return status;
}

// Returns false (with notes.message) if the value cannot become result fields.
bool RRunner::convert(SEXP res, std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  if (res == R_NilValue) return true;
  staged_.clear();
  auto scalar_type = [](SEXP x) -> int {
    switch (TYPEOF(x)) {
      case REALSXP: return static_cast<int>(core::ValueType::Float);
      case INTSXP: return Rf_isFactor(x) ? static_cast<int>(core::ValueType::String)
                                         : static_cast<int>(core::ValueType::Int);
      case LGLSXP: return static_cast<int>(core::ValueType::Bool);
      case STRSXP: return static_cast<int>(core::ValueType::String);
      default: return -1;
    }
  };
  SEXP names = Rf_getAttrib(res, R_NamesSymbol);
  if (Rf_inherits(res, "data.frame")) return append_table("rows", res, task, out, notes);
  if (TYPEOF(res) == VECSXP) {
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
      const int t = scalar_type(x);
      if (Rf_inherits(x, "data.frame")) {
        if (!append_table(name, x, task, out, notes)) return false;
      } else if (t >= 0 && XLENGTH(x) == 1) {
        staged_.push_back({name, static_cast<core::ValueType>(t), 1, x, 0});
      } else if (x == R_NilValue) {
        notes.message = "result field \"" + name + "\" is NULL; return NA for a missing value";
        return false;
      } else if ((TYPEOF(x) == REALSXP || (TYPEOF(x) == INTSXP && !Rf_isFactor(x))) && XLENGTH(x) > 1) {
        staged_.push_back({name, core::ValueType::Float, static_cast<std::uint32_t>(XLENGTH(x)), x, 0});
      } else {
        notes.message = "result field \"" + name + "\" is a " + Rf_type2char(TYPEOF(x)) +
                        (Rf_isVector(x) ? " of length " + std::to_string(Rf_xlength(x)) : std::string()) +
                        "; fields must be scalars, numeric vectors or data frames";
        return false;
      }
    }
  } else if (scalar_type(res) >= 0) {
    const auto t = static_cast<core::ValueType>(scalar_type(res));
    if (names == R_NilValue) {
      if (XLENGTH(res) != 1) {
        notes.message = "the task returned an unnamed vector of length " + std::to_string(XLENGTH(res)) +
                        "; name its elements, e.g. c(mean = m, sd = s)";
        return false;
      }
      staged_.push_back({"value", t, 1, res, 0});
    } else {
      for (R_xlen_t i = 0; i < XLENGTH(res); ++i) {
        std::string name = Rf_translateCharUTF8(STRING_ELT(names, i));
        if (name.empty()) {
          notes.message = "element " + std::to_string(i + 1) + " of the returned vector has no name";
          return false;
        }
        staged_.push_back({std::move(name), t, 1, res, i});
      }
    }
  } else {
    notes.message = std::string("the task returned a ") + Rf_type2char(TYPEOF(res)) +
                    "; return a named list of scalars, e.g. list(estimate = 1.2, p = 0.03)";
    return false;
  }

  if (staged_.empty()) return true;  // only tables (or an empty list)
  for (std::size_t i = 1; i < staged_.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (staged_[k].name == staged_[i].name) {
        notes.message = "the task returned field \"" + staged_[i].name + "\" twice";
        return false;
      }
  // The first task that returns fields fixes the schema.
  if (schema_.empty()) {
    for (const auto& s : staged_) {
      for (const auto& f : schema_)
        if (f.name == s.name) {
          notes.message = "the task returned field \"" + s.name + "\" twice";
          schema_.clear();
          return false;
        }
      schema_.push_back({s.name, s.type, s.width});
    }
  }
  if (staged_.size() != schema_.size()) {
    std::string missing;
    for (const auto& f : schema_) {
      bool found = false;
      for (const auto& s : staged_) found = found || s.name == f.name;
      if (!found) missing += (missing.empty() ? "" : ", ") + f.name;
    }
    notes.message = "the task returned " + std::to_string(staged_.size()) + " fields where earlier tasks returned " +
                    std::to_string(schema_.size()) + (missing.empty() ? "" : " (missing: " + missing + ")");
    return false;
  }
  out.adopt_schema(schema_);
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    const Staged& s = staged_[i];
    std::size_t f = i;
    if (schema_[f].name != s.name) {
      f = schema_.size();
      for (std::size_t k = 0; k < schema_.size(); ++k)
        if (schema_[k].name == s.name) f = k;
      if (f == schema_.size()) {
        notes.message = "result field \"" + s.name + "\" is new: earlier tasks did not return it";
        return false;
      }
    }
    if (schema_[f].type == core::ValueType::Int && s.type == core::ValueType::Float && s.width == 1) {
      // Integers and doubles mix: the field becomes double (also in this batch),
      // so results do not depend on which task a rank happened to run first.
      schema_[f].type = core::ValueType::Float;
      out.widen_to_float(f);
    }
    const core::Field& want = schema_[f];
    const bool widen = want.type == core::ValueType::Float && s.type == core::ValueType::Int;
    if ((want.type != s.type && !widen) || want.width != s.width) {
      notes.message = "result field \"" + s.name + "\" is " + r_type_name(s.type, s.width) +
                      (s.width > 1 ? " of length " + std::to_string(s.width) : std::string()) + " here but " +
                      r_type_name(want.type, want.width) +
                      (want.width > 1 ? " of length " + std::to_string(want.width) : std::string()) +
                      " in earlier tasks";
      return false;
    }
    SEXP x = s.x;
    const R_xlen_t k = s.index;
    if (want.width > 1) {
      double* dst = out.float_vector(f);
      for (std::uint32_t e = 0; e < want.width; ++e) {
        if (TYPEOF(x) == REALSXP) dst[e] = REAL(x)[e];
        else dst[e] = INTEGER(x)[e] == NA_INTEGER ? core::na_float() : static_cast<double>(INTEGER(x)[e]);
      }
      continue;
    }
    switch (want.type) {
      case core::ValueType::Float:
        if (TYPEOF(x) == REALSXP) out.set_float(f, REAL(x)[k]);
        else out.set_float(f, INTEGER(x)[k] == NA_INTEGER ? core::na_float() : static_cast<double>(INTEGER(x)[k]));
        break;
      case core::ValueType::Int:
        out.set_int(f, INTEGER(x)[k] == NA_INTEGER ? core::na_int : INTEGER(x)[k]);
        break;
      case core::ValueType::Bool:
        if (LOGICAL(x)[k] == NA_LOGICAL) break;  // stays NA
        out.set_bool(f, LOGICAL(x)[k] != 0);
        break;
      case core::ValueType::String:
        if (Rf_isFactor(x)) {
          const int code = INTEGER(x)[k];
          SEXP lev = Rf_getAttrib(x, R_LevelsSymbol);
          if (code != NA_INTEGER) out.set_string(f, Rf_translateCharUTF8(STRING_ELT(lev, code - 1)));
        } else if (STRING_ELT(x, k) != NA_STRING) {
          out.set_string(f, Rf_translateCharUTF8(STRING_ELT(x, k)));
        }
        break;
    }
  }
  return true;
}

// Appends the rows of data frame `df` to table `name` (/tables/<name>), with
// the task id as an extra column.  The first data frame of a table fixes its
// columns and types; integers widen into double columns, nothing else.
bool RRunner::append_table(const std::string& name, SEXP df, std::uint64_t task, core::RowWriter& out,
                           core::TaskNotes& notes) {
  const R_xlen_t ncol = XLENGTH(df);
  SEXP cn = Rf_getAttrib(df, R_NamesSymbol);
  core::Schema schema;
  for (R_xlen_t c = 0; c < ncol; ++c) {
    SEXP col = VECTOR_ELT(df, c);
    const std::string cname = Rf_translateCharUTF8(STRING_ELT(cn, c));
    core::ValueType t;
    switch (TYPEOF(col)) {
      case REALSXP: t = core::ValueType::Float; break;
      case INTSXP: t = Rf_isFactor(col) ? core::ValueType::String : core::ValueType::Int; break;
      case LGLSXP: t = core::ValueType::Bool; break;
      case STRSXP: t = core::ValueType::String; break;
      default:
        notes.message = "column \"" + cname + "\" of data frame \"" + name + "\" is a " + Rf_type2char(TYPEOF(col)) +
                        "; table columns must be numeric, integer, logical, character or factor";
        return false;
    }
    if (cname == "task" || cname.empty()) {
      notes.message = "data frame \"" + name + "\" has a column named \"" + cname +
                      "\"; rename it (rsim adds the task column itself)";
      return false;
    }
    schema.push_back({cname, t, 1});
  }
  core::TableBatch& tb = out.table(name);
  if (tb.schema.empty() && tb.cols.empty()) {
    tb.schema = schema;
    for (const auto& f : schema) tb.cols.push_back(core::make_column(f.type));
  }
  if (tb.schema.size() != schema.size()) {
    notes.message = "data frame \"" + name + "\" has " + std::to_string(schema.size()) + " columns here but " +
                    std::to_string(tb.schema.size()) + " in earlier tasks";
    return false;
  }
  for (std::size_t c = 0; c < schema.size(); ++c) {
    if (tb.schema[c].name == schema[c].name && tb.schema[c].type == core::ValueType::Int &&
        schema[c].type == core::ValueType::Float) {  // integers and doubles mix: the column becomes double
      auto& ints = std::get<std::vector<std::int64_t>>(tb.cols[c]);
      std::vector<double> d(ints.size());
      for (std::size_t i = 0; i < ints.size(); ++i)
        d[i] = ints[i] == core::na_int ? core::na_float() : static_cast<double>(ints[i]);
      tb.cols[c] = std::move(d);
      tb.schema[c].type = core::ValueType::Float;
    }
    const auto& want = tb.schema[c];
    const auto& got = schema[c];
    const bool widen = want.type == core::ValueType::Float && got.type == core::ValueType::Int;
    if (want.name != got.name || (want.type != got.type && !widen)) {
      notes.message = "column " + std::to_string(c + 1) + " of data frame \"" + name + "\" is " + got.name + " (" +
                      r_type_name(got.type, 1) + ") here but " + want.name + " (" + r_type_name(want.type, 1) +
                      ") in earlier tasks";
      return false;
    }
  }
  const R_xlen_t nrow = ncol > 0 ? XLENGTH(VECTOR_ELT(df, 0)) : 0;
  tb.task.insert(tb.task.end(), static_cast<std::size_t>(nrow), task);
  for (std::size_t c = 0; c < schema.size(); ++c) {
    SEXP col = VECTOR_ELT(df, static_cast<R_xlen_t>(c));
    std::visit(
        [&](auto& dst) {
          using T = typename std::decay_t<decltype(dst)>::value_type;
          for (R_xlen_t i = 0; i < nrow; ++i) {
            if constexpr (std::is_same_v<T, double>) {
              dst.push_back(TYPEOF(col) == REALSXP ? REAL(col)[i]
                            : INTEGER(col)[i] == NA_INTEGER ? core::na_float()
                                                            : static_cast<double>(INTEGER(col)[i]));
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              dst.push_back(INTEGER(col)[i] == NA_INTEGER ? core::na_int : INTEGER(col)[i]);
            } else if constexpr (std::is_same_v<T, std::int8_t>) {
              dst.push_back(LOGICAL(col)[i] == NA_LOGICAL ? core::na_bool : static_cast<std::int8_t>(LOGICAL(col)[i] != 0));
            } else if (Rf_isFactor(col)) {
              const int code = INTEGER(col)[i];
              dst.push_back(code == NA_INTEGER ? std::string()
                                               : std::string(Rf_translateCharUTF8(
                                                     STRING_ELT(Rf_getAttrib(col, R_LevelsSymbol), code - 1))));
            } else {
              SEXP e = STRING_ELT(col, i);
              dst.push_back(e == NA_STRING ? std::string() : std::string(Rf_translateCharUTF8(e)));
            }
          }
        },
        tb.cols[c]);
  }
  return true;
}

}  // namespace

std::unique_ptr<Runner> make_r_runner(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                      const RunContext& ctx) {
  return std::make_unique<RRunner>(spec, space, ctx);
}

}  // namespace rsim::run
