// RInside's headers (Rcpp) must come before any other R header.
#include <RInside.h>
#include <R_ext/Parse.h>
#include <Rinterface.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "rsim/core/error.hpp"
#include "rsim/run/r/r_session.hpp"

namespace rsim::run {

namespace {

namespace fs = std::filesystem;

const char* const kRuntimeCode =
#include "r_runtime.R.inc"
    ;

// Evaluates `expr` in the global environment; throws
// core::BackendError("<what>: <R's message>", fix) if R signals an error.
SEXP eval_checked(SEXP expr, const std::string& what, const std::string& fix) {
  int err = 0;
  SEXP res = R_tryEvalSilent(expr, R_GlobalEnv, &err);
  if (err) throw core::BackendError(what + ": " + r_error_text(), "embedded R", fix);
  return res;
}

void start_embedded_r() {
  static RInside* r = nullptr;  // never destroyed: R cannot be restarted in a process
  if (r) return;
  r = new RInside(0, nullptr, false, false, false);
  // RInside switches R's C stack check off; without it runaway recursion in
  // a task segfaults the rank.  90% of the stack limit restores R's error.
  struct rlimit rl {};
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    R_CStackLimit = static_cast<uintptr_t>(0.9 * static_cast<double>(rl.rlim_cur));
}

// Parses and evaluates R code in the global environment; the last value.
SEXP parse_eval(const char* code, const std::string& what) {
  ParseStatus status;
  SEXP text = PROTECT(Rf_mkString(code));
  SEXP exprs = PROTECT(R_ParseVector(text, -1, &status, R_NilValue));
  if (status != PARSE_OK) {
    UNPROTECT(2);
    throw core::BackendError(what + ": cannot parse rsim's R runtime", "embedded R", "report this as a bug");
  }
  SEXP res = R_NilValue;
  for (R_xlen_t i = 0; i < XLENGTH(exprs); ++i) res = eval_checked(VECTOR_ELT(exprs, i), what, "");
  UNPROTECT(2);
  return res;
}

// A data frame of the [data] input's columns, with compact row names.
SEXP data_frame(const core::DataTable& t) {
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
  UNPROTECT(3);
  return df;
}

}  // namespace

// --- kept objects and errors -------------------------------------------------

KeptObjects::KeptObjects(R_xlen_t slots) : list_(Rf_allocVector(VECSXP, slots)) { R_PreserveObject(list_); }
KeptObjects::~KeptObjects() { R_ReleaseObject(list_); }
SEXP KeptObjects::keep(R_xlen_t slot, SEXP x) {
  SET_VECTOR_ELT(list_, slot, x);
  return x;
}

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

// --- set-up ------------------------------------------------------------------

RSession::Started::Started() { start_embedded_r(); }

RSession::RSession() {
  rt_ = kept_.keep(kRuntime, parse_eval(kRuntimeCode, "starting rsim's R runtime"));
  options_sym_ = Rf_install(".Options");
}

void RSession::start_log(int rank, const std::string& log_dir) {
  if (log_dir.empty()) return;
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  char name[32];
  std::snprintf(name, sizeof name, "rank-%05d.log", rank);
  const std::string path = (fs::path(log_dir) / name).string();
  SEXP call = PROTECT(rt_call("start_log", Rf_mkString(path.c_str())));
  eval_checked(call, "cannot open the task log " + path, "check that the output folder is writable");
  UNPROTECT(1);
}

void RSession::define_data(const std::vector<core::DataTable>& data) {
  for (const auto& t : data) {
    SEXP df = PROTECT(data_frame(t));
    Rf_defineVar(Rf_install(t.name.c_str()), df, R_GlobalEnv);
    UNPROTECT(1);
  }
}

void RSession::attach_packages(const std::vector<std::string>& packages) {
  if (packages.empty()) return;
  SEXP pk = PROTECT(Rf_allocVector(STRSXP, static_cast<R_xlen_t>(packages.size())));
  for (std::size_t i = 0; i < packages.size(); ++i)
    SET_STRING_ELT(pk, static_cast<R_xlen_t>(i), Rf_mkCharCE(packages[i].c_str(), CE_UTF8));
  SEXP call = PROTECT(rt_call("attach_packages", pk));
  eval_checked(call, "cannot attach the packages of [task] packages",
               "install the package on every node, or remove it from packages");
  UNPROTECT(2);
}

void RSession::source_script(const std::string& script) {
  SEXP call = PROTECT(rt_call("source_script", Rf_mkString(script.c_str())));
  eval_checked(call, "cannot source the task script",
               "fix the script so that Rscript -e 'source(\"" + script + "\")' runs cleanly");
  UNPROTECT(1);
}

SEXP RSession::find_function(const std::string& name) const {
  SEXP f = Rf_findVarInFrame(R_GlobalEnv, Rf_install(name.c_str()));
  return f == R_UnboundValue || !Rf_isFunction(f) ? nullptr : f;
}

void RSession::run_setup(SEXP setup, const std::string& name) {
  SEXP call = PROTECT(Rf_lang1(setup));
  eval_checked(call, "the setup function " + name + "() failed", "fix the setup function");
  UNPROTECT(1);
}

void RSession::watch_sources(bool on) {
  SEXP call = PROTECT(Rf_lang1(rt(on ? "watch_sources" : "unwatch_sources")));
  eval_checked(call, "setting up rsim's record of sourced files", "report this as a bug in rsim");
  UNPROTECT(1);
}

void RSession::watch_set_seed() {
  SEXP call = PROTECT(Rf_lang1(rt("watch_set_seed")));
  eval_checked(call, "setting up rsim's note of set.seed() calls", "report this as a bug in rsim");
  UNPROTECT(1);
}

std::vector<std::pair<std::string, std::string>> RSession::files_read() const {
  std::vector<std::pair<std::string, std::string>> out;
  SEXP call = PROTECT(Rf_lang1(rt("read_files")));
  SEXP lines = eval_checked(call, "listing the files the script read", "report this as a bug in rsim");
  for (R_xlen_t i = 0; Rf_isString(lines) && i < XLENGTH(lines); ++i) {
    const std::string line = Rf_translateCharUTF8(STRING_ELT(lines, i));
    const std::size_t tab = line.find('\t');
    if (tab != std::string::npos) out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  UNPROTECT(1);
  return out;
}

std::pair<std::string, std::string> RSession::info() const {
  std::pair<std::string, std::string> out;
  SEXP call = PROTECT(Rf_lang1(rt("session_info")));
  SEXP txt = eval_checked(call, "reading R's version", "");
  if (Rf_isString(txt) && XLENGTH(txt) == 2) {
    out.first = Rf_translateCharUTF8(STRING_ELT(txt, 0));
    out.second = Rf_translateCharUTF8(STRING_ELT(txt, 1));
  }
  UNPROTECT(1);
  return out;
}

// --- between tasks -------------------------------------------------------------

void RSession::snapshot() {
  SEXP seed = PROTECT(Rf_allocVector(INTSXP, 7));
  std::memset(INTEGER(seed), 0, 7 * sizeof(int));
  Rf_defineVar(Rf_install(".Random.seed"), seed, R_GlobalEnv);  // so .Random.seed counts as a global that stays
  UNPROTECT(1);
  SEXP names = PROTECT(R_lsInternal3(R_GlobalEnv, TRUE, FALSE));
  for (R_xlen_t i = 0; i < XLENGTH(names); ++i) globals_.insert(CHAR(STRING_ELT(names, i)));
  n_globals_ = static_cast<R_len_t>(XLENGTH(names));
  UNPROTECT(1);
  saved_options_ = kept_.keep(kSavedOptions, Rf_duplicate(Rf_findVar(options_sym_, R_BaseEnv)));
  options_ptrs_ = option_pointers();
  char buf[4096];
  if (::getcwd(buf, sizeof buf)) cwd_ = buf;
  SEXP call = PROTECT(Rf_lang1(rt("watch_setwd")));
  eval_checked(call, "setting up rsim's note of setwd() calls", "report this as a bug in rsim");
  UNPROTECT(1);
  cwd_changed_sym_ = Rf_install("cwd_changed");
}

void RSession::restore() {
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
  if (options_changed()) {
    SEXP call = PROTECT(rt_call("restore_options", saved_options_));
    int err = 0;
    R_tryEvalSilent(call, R_GlobalEnv, &err);
    UNPROTECT(1);
    options_ptrs_ = option_pointers();
  }
  if (!cwd_.empty() && Rf_asLogical(Rf_findVarInFrame(rt_, cwd_changed_sym_)) == TRUE) {
    if (::chdir(cwd_.c_str()) != 0) { /* the folder vanished: nothing better to do */ }
    Rf_defineVar(cwd_changed_sym_, Rf_ScalarLogical(FALSE), rt_);
  }
}

bool RSession::options_changed() const {
  std::size_t i = 0;
  for (SEXP o = Rf_findVar(options_sym_, R_BaseEnv); o != R_NilValue && TYPEOF(o) == LISTSXP; o = CDR(o), i += 2)
    if (i + 1 >= options_ptrs_.size() || TAG(o) != options_ptrs_[i] || CAR(o) != options_ptrs_[i + 1]) return true;
  return i != options_ptrs_.size();
}

std::vector<SEXP> RSession::option_pointers() const {
  std::vector<SEXP> p;
  p.reserve(options_ptrs_.size() + 4);
  for (SEXP o = Rf_findVar(options_sym_, R_BaseEnv); o != R_NilValue && TYPEOF(o) == LISTSXP; o = CDR(o)) {
    p.push_back(TAG(o));
    p.push_back(CAR(o));
  }
  return p;
}

}  // namespace rsim::run
