// The embedded-R runner: the task function called through one prebuilt call
// whose argument cells are updated per task, errors and warnings caught by
// rsim's calling handlers, each task's .Random.seed set to its L'Ecuyer-CMRG
// stream, [schedule] timeout enforced by a watchdog (r_task_timer.hpp), and
// a task's set.seed() call reported as a warning.  The R session
// (r_session.hpp) starts R and sets it up; the value conversion
// (r_values.hpp) turns what tasks return into fields and tables.
#include "rsim/run/r/r_runner.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <tuple>
#include <unordered_set>

#include "rsim/core/error.hpp"
#include "rsim/core/lecuyer.hpp"
#include "rsim/run/r/r_session.hpp"
#include "rsim/run/r/r_task_timer.hpp"
#include "rsim/run/r/r_values.hpp"

// R's own flag (declared in R_ext/GraphicsDevice.h, which drags in far more).
extern "C" int R_interrupts_pending;

namespace rsim::run {

namespace {
volatile sig_atomic_t g_interrupt = 0;
}

void interrupt_running_task() noexcept {
  g_interrupt = 1;
  R_interrupts_pending = 1;  // R stops the running task at its next interrupt check
  wake_r_thread();           // at once if it waits in Sys.sleep() and the signal came to another thread
}

namespace {

std::int32_t r_seed(const grid::JobSpec& spec) {
  if (spec.seed > static_cast<std::uint64_t>(INT32_MAX))
    throw core::ConfigError({spec.source_path, 0, "job.seed"},
                            "the r backend needs a seed R's set.seed() accepts (0 to 2147483647), got " +
                                std::to_string(spec.seed),
                            "choose a seed of at most 2147483647");
  return static_cast<std::int32_t>(spec.seed);
}

bool is_time_limit(const std::string& message) {
  return message.find("reached elapsed time limit") != std::string::npos ||
         message.find("reached CPU time limit") != std::string::npos;
}

// A task stopped within this long after its timeout was stopped on time
// (the watchdog looks at most every 0.2 s); later, it overran.
constexpr double kOverrunSlack = 1.0;

// The message of a task that ran past [schedule] timeout.  `stopped`: R
// acted on the interrupt; otherwise the task returned (or failed) by itself.
// A task that ended on time gets a message without times (/tasks/elapsed
// has them), the same in every run; an overrun says by how much.
std::string timeout_message(double elapsed, double limit, bool stopped) {
  char buf[512];
  const double over = elapsed - limit;
  if (stopped && over <= kOverrunSlack)
    std::snprintf(buf, sizeof buf, "reached elapsed time limit: stopped at the [schedule] timeout of %g s", limit);
  else if (over <= kOverrunSlack)
    std::snprintf(buf, sizeof buf,
                  "reached elapsed time limit: the task ended just after the [schedule] timeout of %g s, before it "
                  "was stopped (or it caught the interrupt); its result is discarded",
                  limit);
  else if (stopped)
    std::snprintf(buf, sizeof buf,
                  "reached elapsed time limit: stopped after %.1f s, %.1f s over the [schedule] timeout of %g s; "
                  "until then it ran code that does not check for interrupts (a long call into C or Fortran)",
                  elapsed, over, limit);
  else
    std::snprintf(buf, sizeof buf,
                  "reached elapsed time limit: the task ran %.1f s, %.1f s over the [schedule] timeout of %g s, in "
                  "code that does not check for interrupts (a long call into C or Fortran) or that caught the "
                  "interrupt; it could not be stopped, and its result is discarded",
                  elapsed, over, limit);
  return buf;
}

class RRunner : public Runner {
 public:
  RRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, const RunContext& ctx);
  // R tasks declare no fields: each returns its own, and the assembly
  // decides the file's by task id (io::plan_fields()).
  const core::Schema& schema() const override {
    static const core::Schema none;
    return none;
  }
  void adopt_schema(const core::Schema& s) override { values_.adopt_schema(s); }
  core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) override;
  std::string describe() const override { return describe_task(spec_); }
  std::vector<std::pair<std::string, std::string>> provenance() const override {
    return {{"r_version", r_version_}, {"r_packages", packages_}};
  }
  std::vector<std::pair<std::string, std::string>> files_read() const override { return files_read_; }
  std::vector<std::pair<std::string, std::string>> versions() const override;

 private:
  SEXP load_code();
  void check_arguments(SEXP fun);
  void build_call();
  bool past_timeout(std::chrono::steady_clock::time_point t0, int err, core::TaskNotes& notes) const;
  std::string task_calls() const;
  void set_arguments(std::uint64_t task);
  SEXP task_context(std::uint64_t task, std::uint64_t point) const;
  core::TaskStatus failure(core::TaskNotes& notes) const;
  void collect_warnings(core::TaskNotes& notes) const;
  void reset_handlers_if_used(int err, const core::TaskNotes& notes);

  const grid::JobSpec& spec_;
  const grid::TaskSpace& space_;
  core::StreamCursor cursor_;
  RSession session_;
  ResultConverter values_;

  enum Kept : R_xlen_t { kParamValues, kCall, kKeptCount };
  KeptObjects kept_{kKeptCount};
  SEXP param_values_ = nullptr;  // list: per grid parameter, a list of its values as R objects
  SEXP call_ = nullptr;          // rt$wrap(fun(...)): the task's call with rsim's calling handlers
  std::vector<SEXP> cells_;      // argument cells of the grid parameters
  bool want_task_ = false;       // the function takes .task = list(task, point, replicate)
  SEXP task_cell_ = nullptr;
  std::unique_ptr<TaskTimer> timer_;  // with [schedule] timeout
  SEXP seed_sym_ = nullptr;
  std::string r_version_;  // R.version.string
  std::string packages_;   // attached packages with versions, "stats 4.2.2, ..."
  std::vector<std::pair<std::string, std::string>> files_read_;  // ("sourced"/"loaded", path) at set-up
};

RRunner::RRunner(const grid::JobSpec& spec, const grid::TaskSpace& space, const RunContext& ctx)
    : spec_(spec), space_(space), cursor_(r_seed(spec)) {
  seed_sym_ = Rf_install(".Random.seed");
  note_r_thread();
  session_.start_log(ctx.rank, ctx.log_dir);
  if (ctx.data) session_.define_data(*ctx.data);
  check_arguments(load_code());
  build_call();
  session_.watch_set_seed();
  session_.snapshot();
  if (spec.schedule.timeout_s > 0) timer_ = std::make_unique<TaskTimer>(spec.schedule.timeout_s);
  std::tie(r_version_, packages_) = session_.info();
}

// ("R", "4.2.2 ..."), then ("MASS", "7.3-58") for each attached package.
std::vector<std::pair<std::string, std::string>> RRunner::versions() const {
  std::vector<std::pair<std::string, std::string>> out = {{"R", r_version_}};
  std::size_t at = 0;
  while (at < packages_.size()) {
    std::size_t end = packages_.find(", ", at);
    if (end == std::string::npos) end = packages_.size();
    const std::string item = packages_.substr(at, end - at);
    const std::size_t sp = item.find(' ');
    if (sp != std::string::npos) out.emplace_back(item.substr(0, sp), item.substr(sp + 1));
    at = end + 2;
  }
  return out;
}

// Attaches the packages, sources the script, runs the setup function;
// returns the task function.
SEXP RRunner::load_code() {
  const auto& t = spec_.task;
  session_.attach_packages(t.packages);
  session_.watch_sources(true);
  session_.source_script(t.script);
  SEXP fun = session_.find_function(t.function);
  if (!fun)
    throw core::ConfigError({spec_.source_path, 0, "task.function"},
                            "the script " + t.script + " defines no function \"" + t.function + "\"",
                            "define " + t.function + " <- function(...) in the script, or fix [task] function");
  if (!t.setup.empty()) {
    SEXP setup = session_.find_function(t.setup);
    if (!setup)
      throw core::ConfigError({spec_.source_path, 0, "task.setup"},
                              "the script " + t.script + " defines no setup function \"" + t.setup + "\"",
                              "define it in the script, or remove setup from [task]");
    session_.run_setup(setup, t.setup);
  }
  session_.watch_sources(false);
  files_read_ = session_.files_read();
  return fun;
}

// Every grid parameter and [args] constant must be an argument of the task
// function (or it takes ...), and every argument without a default given.
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

// The call fun(<grid params>, <args>, .task =) wrapped in rsim's handlers;
// every grid value is made an R object once, here.
void RRunner::build_call() {
  const std::size_t np = space_.n_params();
  param_values_ = kept_.keep(kParamValues, Rf_allocVector(VECSXP, static_cast<R_xlen_t>(np)));
  for (std::size_t j = 0; j < np; ++j) {
    const auto& vals = space_.param(j).values;
    SEXP l = Rf_allocVector(VECSXP, static_cast<R_xlen_t>(vals.size()));
    SET_VECTOR_ELT(param_values_, static_cast<R_xlen_t>(j), l);
    for (std::size_t k = 0; k < vals.size(); ++k) SET_VECTOR_ELT(l, static_cast<R_xlen_t>(k), value_to_r(vals[k]));
  }
  const R_xlen_t nargs = static_cast<R_xlen_t>(np + spec_.args.size() + (want_task_ ? 1 : 0));
  SEXP inner = PROTECT(Rf_allocVector(LANGSXP, nargs + 1));
  // Called by name, so call stacks read simulate(...), not the function's source.
  SETCAR(inner, Rf_install(spec_.task.function.c_str()));
  SEXP cell = CDR(inner);
  for (std::size_t j = 0; j < np; ++j, cell = CDR(cell)) {
    SET_TAG(cell, Rf_install(space_.param(j).name.c_str()));
    SETCAR(cell, VECTOR_ELT(VECTOR_ELT(param_values_, static_cast<R_xlen_t>(j)), 0));
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
  call_ = kept_.keep(kCall, Rf_lang2(session_.rt("wrap"), inner));
  UNPROTECT(1);
}

// .task = list(task, point, replicate)
SEXP RRunner::task_context(std::uint64_t task, std::uint64_t point) const {
  SEXP ctx = PROTECT(Rf_allocVector(VECSXP, 3));
  SET_VECTOR_ELT(ctx, 0, Rf_ScalarReal(static_cast<double>(task)));
  SET_VECTOR_ELT(ctx, 1, Rf_ScalarReal(static_cast<double>(point)));
  SET_VECTOR_ELT(ctx, 2, Rf_ScalarReal(static_cast<double>(space_.replicate_of(task))));
  SEXP nm = PROTECT(Rf_allocVector(STRSXP, 3));
  SET_STRING_ELT(nm, 0, Rf_mkChar("task"));
  SET_STRING_ELT(nm, 1, Rf_mkChar("point"));
  SET_STRING_ELT(nm, 2, Rf_mkChar("replicate"));
  Rf_setAttrib(ctx, R_NamesSymbol, nm);
  UNPROTECT(2);
  return ctx;
}

// The task's .Random.seed and its values in the call's argument cells.
void RRunner::set_arguments(std::uint64_t task) {
  const auto sv = core::random_seed_vector(cursor_.stream(task));
  SEXP seed = PROTECT(Rf_allocVector(INTSXP, 7));
  std::memcpy(INTEGER(seed), sv.data(), sizeof(int) * 7);
  Rf_defineVar(seed_sym_, seed, R_GlobalEnv);
  UNPROTECT(1);

  const std::uint64_t point = space_.point_of(task);
  for (std::size_t j = 0; j < cells_.size(); ++j)
    SETCAR(cells_[j], VECTOR_ELT(VECTOR_ELT(param_values_, static_cast<R_xlen_t>(j)),
                                 static_cast<R_xlen_t>(space_.value_index(point, j))));
  if (task_cell_) SETCAR(task_cell_, task_context(task, point));
}

core::TaskStatus RRunner::run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) {
  set_arguments(task);
  int err = 0;
  std::chrono::steady_clock::time_point t0;
  if (timer_) {
    t0 = std::chrono::steady_clock::now();
    timer_->arm();
  }
  SEXP res = PROTECT(R_tryEvalSilent(call_, R_GlobalEnv, &err));
  const bool timed_out = timer_ && past_timeout(t0, err, notes);
  collect_warnings(notes);

  core::TaskStatus status = core::TaskStatus::ok;
  if (g_interrupt) {  // stopped by a signal, even if the task caught the interrupt and returned
    notes.abandoned = true;
    status = core::TaskStatus::error;
  } else if (timed_out) {
    status = core::TaskStatus::timeout;
  } else if (err) {
    status = failure(notes);
  } else if (!values_.convert(res, task, out, notes)) {
    status = core::TaskStatus::error;
  }
  UNPROTECT(1);
  reset_handlers_if_used(err, notes);
  session_.restore();
  return status;
}

// After a task run under [schedule] timeout: true if it ran longer (the
// watchdog interrupted it, or it returned late from code that cannot be
// interrupted), with the message saying by how much and where it stopped.
bool RRunner::past_timeout(std::chrono::steady_clock::time_point t0, int err, core::TaskNotes& notes) const {
  const bool fired = timer_->disarm(g_interrupt != 0);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (g_interrupt || (!fired && elapsed <= timer_->timeout_s())) return false;
  const bool stopped = err && Rf_asLogical(session_.rt("interrupted")) == TRUE;
  notes.message = timeout_message(elapsed, timer_->timeout_s(), stopped);
  if (stopped) notes.calls = task_calls();
  return true;
}

// The task's calls where its error or interrupt stopped it, innermost last.
std::string RRunner::task_calls() const {
  SEXP calls = PROTECT(session_.rt_call("format_calls", session_.rt("err_calls")));
  int e2 = 0;
  SEXP txt = R_tryEvalSilent(calls, R_GlobalEnv, &e2);
  std::string out;
  if (!e2 && Rf_isString(txt) && XLENGTH(txt) > 0) out = Rf_translateCharUTF8(STRING_ELT(txt, 0));
  UNPROTECT(1);
  return out;
}

// A task that raised an error: abandoned (stopped by a signal, not the
// task's failure), timed out, or failed with R's message and call stack.
core::TaskStatus RRunner::failure(core::TaskNotes& notes) const {
  if (g_interrupt || Rf_asLogical(session_.rt("interrupted")) == TRUE) {
    notes.abandoned = true;
    return core::TaskStatus::error;
  }
  SEXP msg = session_.rt("err_msg");
  notes.message = msg != R_NilValue && Rf_isString(msg) && XLENGTH(msg) > 0 ? Rf_translateCharUTF8(STRING_ELT(msg, 0))
                                                                             : r_error_text();
  notes.calls = task_calls();
  return is_time_limit(notes.message) ? core::TaskStatus::timeout : core::TaskStatus::error;
}

void RRunner::collect_warnings(core::TaskNotes& notes) const {
  const int n = Rf_asInteger(session_.rt("nwarn"));
  if (n <= 0) return;
  notes.warnings = n;
  SEXP w = session_.rt("warn");
  for (R_xlen_t i = 0; i < XLENGTH(w); ++i) {
    if (i) notes.warning_messages += '\n';
    notes.warning_messages += Rf_translateCharUTF8(STRING_ELT(w, i));
  }
}

// Clears what rsim's handlers recorded, if the task left anything.
void RRunner::reset_handlers_if_used(int err, const core::TaskNotes& notes) {
  if (!err && notes.warnings == 0 && session_.rt("err_msg") == R_NilValue &&
      Rf_asLogical(session_.rt("interrupted")) != TRUE)
    return;
  SEXP call = PROTECT(Rf_lang1(session_.rt("reset")));
  int e2 = 0;
  R_tryEvalSilent(call, R_GlobalEnv, &e2);
  UNPROTECT(1);
}

}  // namespace

std::unique_ptr<Runner> make_r_runner(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                      const RunContext& ctx) {
  return std::make_unique<RRunner>(spec, space, ctx);
}

}  // namespace rsim::run
