#' Write a grid.toml (and the R script of a task function)
#'
#' Describes a simulation study as an rsim job: what runs for each task
#' (an R function, a function in an R script, or a built-in native kernel),
#' over which grid of conditions, how many replicates per condition, and
#' the seed.  A list of vectors becomes a Cartesian `[grid]` (the first
#' element varies slowest); a data frame becomes one `[[points]]` entry per
#' row.  Given a function, its source (via [deparse()]) is written to an R
#' script next to grid.toml: a function that uses objects other than its
#' arguments and packages must get them through `args`, or through
#' `globals` of [rsim_run()]; [run_grid()] finds them itself.  Every
#' setting grid.toml has is an argument: `[data]` inputs, a kernel
#' `plugin`, the `[schedule]` keys `chunk`, `checkpoint`, `timeout`,
#' `retries` and `memory`, and the `[output]` keys `keep`, `block`,
#' `target_mcse` and `min_replicates` (per-point summaries and precision
#' targets, read back with [read_summary()]).
#'
#' Values are written with their R type: integer, double, character (and
#' factor), logical.  A double vector of whole numbers (`c(10, 20)`) is
#' written as TOML integers, because R users rarely write `10L`; wrap it in
#' [I()] to keep it as floats.  `NA` is not allowed in a grid.
#'
#' When the rsim program is found ([rsim_binary()]), it reads the new
#' grid.toml (`rsim inspect`) before `write_grid()` returns: a grid rsim
#' would refuse, such as a parameter with a name rsim reserves for its own
#' columns (`rank`, `max_rss`, `.task`, ...), is an error with rsim's
#' message, and the grid.toml and script are left as they were before the
#' call.  Without the program the files are written unchecked.
#'
#' @param file path of the grid.toml to write; its folder must exist.
#' @param fun_or_script the task: an R function; or the path of an R script
#'   defining it (then give `function_name`); or [native_kernel()] for a
#'   built-in C++ kernel.
#' @param grid `NULL` for a single point, a named list of vectors for a
#'   Cartesian grid, or a data frame with one row per grid point.
#' @param replicates tasks per grid point (at least 1).
#' @param seed the job's seed: a whole number from 0 to 2^63 - 1, or a
#'   string of digits up to 2^64 - 1.  R tasks need a seed up to
#'   2147483647 ([set.seed()]'s range).
#' @param args a named list of constants passed to every task (single
#'   values).
#' @param packages R packages the task needs, attached on every rank before
#'   any task runs.
#' @param name the job name; default the file name of `file` without
#'   extension.  The results go to `<name>.h5` next to grid.toml unless
#'   `output` is given.
#' @param output the result file, relative to grid.toml's folder; default
#'   `<name>.h5`.
#' @param function_name the task function's name in the script; required
#'   with a script path, default the name of the function argument
#'   otherwise.
#' @param setup the name of a set-up function the script defines, or a
#'   function (written to the script as `rsim_setup`); run once per rank
#'   before any task.
#' @param data inputs loaded once per rank and given to every task as data
#'   frames of these names (`[data]`): a named list of CSV file paths, or
#'   `list(file = "x.h5", dataset = "/X")` for a dataset of an HDF5 file.
#'   The files must exist; they are written relative to grid.toml's folder.
#' @param plugin the path of a kernel plugin (a shared library) whose
#'   kernel [native_kernel()] names; native kernels only.
#' @param chunk tasks per hand-out; 0 (rsim's default) is automatic.
#' @param checkpoint how often each rank commits its finished tasks:
#'   seconds, or a duration such as `"30s"` (rsim's default `"5s"`).
#' @param timeout per-task time limit for R tasks: seconds, or a duration
#'   such as `"10m"`; default none.
#' @param retries how often a failed task is run again at once, 0 to 100.
#' @param memory per-rank memory limit for the tasks: a size such as
#'   `"4GB"` or `"512MB"` (at least 64 MiB), or a number of bytes.
#' @param keep `"tasks"` (rsim's default: a row per task) or `"summary"`
#'   (per grid point the n, mean, variance, MC SE, min and max of every
#'   numeric field; `docs/summaries.md`).
#' @param block replicates per block of a summary (default about 1000
#'   blocks a point).
#' @param target_mcse precision targets of a summary: a named list or
#'   vector of Monte Carlo SEs, e.g. `list(reject = 0.005)`; each point then
#'   gets replicates until every named field reaches its target, at most
#'   `replicates`.
#' @param min_replicates replicates every point runs before a target may
#'   stop it (default two blocks).
#' @param ... nothing else: an unknown setting is an error that lists the
#'   known ones.
#' @return The path of grid.toml, invisibly.
#' @export
#' @examples
#' dir <- tempfile("study")
#' dir.create(dir)
#' simulate <- function(n, delta, sd = 1) {
#'   x <- rnorm(n, 0, sd)
#'   y <- rnorm(n, delta, sd)
#'   list(p_value = t.test(y, x)$p.value)
#' }
#' g <- write_grid(file.path(dir, "grid.toml"), simulate,
#'   grid = list(n = c(10, 20, 50), delta = c(0, 0.5)),
#'   replicates = 100, seed = 1, args = list(sd = 1), name = "ttest"
#' )
#' cat(readLines(g), sep = "\n")
#' cat(readLines(file.path(dir, "grid.R")), sep = "\n")
#'
#' # explicit points, and a built-in kernel
#' pts <- data.frame(n = c(10L, 50L), delta = c(0.5, 0.2))
#' g2 <- write_grid(file.path(dir, "native.toml"), native_kernel("ttest_power"),
#'   grid = pts, replicates = 1000, seed = 7
#' )
#' cat(readLines(g2), sep = "\n")
#'
#' # a data file every task sees, and the schedule
#' write.csv(data.frame(w = c(0.2, 0.8)), file.path(dir, "weights.csv"), row.names = FALSE)
#' g3 <- write_grid(file.path(dir, "weighted.toml"), function(n) list(m = sum(weights$w) * n),
#'   grid = list(n = c(10, 20)), seed = 3, data = list(weights = file.path(dir, "weights.csv")),
#'   timeout = "10m", retries = 1, memory = "2GB", checkpoint = "30s"
#' )
#' cat(readLines(g3), sep = "\n")
write_grid <- function(file, fun_or_script, grid = NULL, replicates = 1, seed, args = list(),
                       packages = NULL, name = NULL, output = NULL, function_name = NULL, setup = NULL,
                       data = NULL, plugin = NULL, chunk = NULL, checkpoint = NULL, timeout = NULL,
                       retries = NULL, memory = NULL, keep = NULL, block = NULL, target_mcse = NULL,
                       min_replicates = NULL, ...) {
  fun_label <- deparse(substitute(fun_or_script), nlines = 1L)[1]
  check_no_dots(list(...))
  if (!is.character(file) || length(file) != 1L || is.na(file) || !nzchar(file)) {
    cli::cli_abort("{.arg file} must be the path of the grid.toml to write (a single string).")
  }
  dir <- dirname(file)
  if (!dir.exists(dir)) cli::cli_abort("The folder {.file {dir}} of {.arg file} does not exist; create it first.")
  if (missing(fun_or_script)) cli::cli_abort("{.arg fun_or_script} is missing: give the task function, an R script, or {.fn native_kernel}.")
  if (missing(seed)) cli::cli_abort("{.arg seed} is missing: every rsim job needs a seed, e.g. {.code seed = 20261129}.")
  if (is.null(name)) name <- tools::file_path_sans_ext(basename(file))
  check_name_string(name)
  replicates <- check_count(replicates, "replicates")
  backend <- if (inherits(fun_or_script, "rsim_native_kernel")) "native" else "r"
  seed_txt <- check_seed(seed, backend)
  gridtxt <- grid_toml_lines(grid)
  args <- check_args(args, attr(gridtxt, "params"))
  if (!is.null(packages) && (!is.character(packages) || anyNA(packages) || any(!nzchar(packages)))) {
    cli::cli_abort("{.arg packages} must be a character vector of package names, e.g. {.code c(\"MASS\")}.")
  }
  task <- task_lines(file, fun_or_script, fun_label, name, function_name, setup, packages, plugin)
  job <- c("[job]", sprintf("name = %s", toml_quote(name)), if (!is.null(output)) {
    if (!is.character(output) || length(output) != 1L || is.na(output) || !nzchar(output)) {
      cli::cli_abort("{.arg output} must be a file name, e.g. {.code output = \"study.h5\"}.")
    }
    sprintf("output = %s", toml_quote(output))
  }, sprintf("seed = %s", seed_txt), sprintf("replicates = %s", format(replicates, scientific = FALSE)))
  argtxt <- if (length(args)) {
    c("", "[args]", sprintf("%s = %s", toml_key(names(args)), unlist(args, use.names = FALSE)))
  }
  sched <- schedule_lines(list(chunk = chunk, checkpoint = checkpoint, timeout = timeout, retries = retries, memory = memory))
  datatxt <- data_lines(data, dir)
  outtxt <- output_lines(keep, block, target_mcse, min_replicates)
  lines <- c(
    sprintf("# rsim job %s, written by rsim::write_grid() on %s.", name, format(Sys.Date())),
    "", job, "", task$lines, argtxt, if (length(gridtxt)) c("", gridtxt), if (length(datatxt)) c("", datatxt),
    if (length(sched)) c("", sched), if (length(outtxt)) c("", outtxt)
  )
  write_checked(file, lines, task$script_file, task$script_lines)
  invisible(normalizePath(file))
}

write_grid_settings <- c("output", "function_name", "setup", "data", "plugin", "chunk", "checkpoint", "timeout",
                         "retries", "memory", "keep", "block", "target_mcse", "min_replicates")

check_no_dots <- function(opts, call = parent.frame()) {
  if (!length(opts)) return(invisible())
  if (is.null(names(opts)) || any(!nzchar(names(opts)))) {
    cli::cli_abort("Every setting needs a name; {.fn write_grid} knows {.arg {write_grid_settings}}.", call = call)
  }
  cli::cli_abort(c("Unknown setting{?s} {.arg {names(opts)}}.",
    i = "{.fn write_grid} knows {.arg {write_grid_settings}} besides {.arg grid}, {.arg replicates}, {.arg seed}, {.arg args}, {.arg packages} and {.arg name}."
  ), call = call)
}

# The [task] table, and the R script to write next to grid.toml (for a
# function): list(lines, script_file, script_lines).
task_lines <- function(file, task, label, name, function_name, setup, packages, plugin, call = parent.frame()) {
  out <- list(lines = c("[task]", sprintf("backend = %s", toml_quote(if (inherits(task, "rsim_native_kernel")) "native" else "r"))))
  if (inherits(task, "rsim_native_kernel")) {
    if (length(packages)) cli::cli_abort("{.arg packages} applies to R tasks only, not to native kernels.", call = call)
    if (!is.null(setup) || !is.null(function_name)) {
      cli::cli_abort("{.arg setup} and {.arg function_name} apply to R tasks only, not to native kernels.", call = call)
    }
    plug <- if (!is.null(plugin)) sprintf("plugin = %s", toml_quote(existing_file(plugin, "plugin", dirname(file), call)))
    out$lines <- c(out$lines, plug, sprintf("kernel = %s", toml_quote(task$kernel)))
    return(out)
  }
  if (!is.null(plugin)) cli::cli_abort("{.arg plugin} applies to native kernels only: give {.code native_kernel(\"name\")} and the plugin's path.", call = call)
  if (is.function(task)) {
    fname <- function_name %||% (if (is_r_name(label)) label else "simulate")
    check_r_name(fname, "function_name")
    out$script_file <- paste0(tools::file_path_sans_ext(file), ".R")
    out$script_lines <- c(
      sprintf("# Task function of the rsim job %s (written by rsim::write_grid()).", name),
      sprintf("# rsim sources this file once per rank and calls %s() once per task.", fname),
      paste(fname, "<-", paste(deparse_function(task), collapse = "\n"))
    )
    script <- basename(out$script_file)
  } else if (is.character(task) && length(task) == 1L && !is.na(task)) {
    if (!file.exists(task) || dir.exists(task)) {
      cli::cli_abort(c("The R script {.file {task}} does not exist.",
        i = "Give a function, the path of an R script, or {.code native_kernel(\"name\")} for a built-in kernel."
      ), call = call)
    }
    fname <- function_name
    if (is.null(fname)) {
      cli::cli_abort("With an R script, give {.arg function_name}: the function in {.file {task}} that runs one task.", call = call)
    }
    check_r_name(fname, "function_name")
    script <- relative_to(task, dirname(file))
  } else {
    cli::cli_abort("{.arg fun_or_script} must be a function, the path of an R script, or {.code native_kernel(\"name\")}, not {.obj_type_friendly {task}}.", call = call)
  }
  out$lines <- c(out$lines, sprintf("script = %s", toml_quote(script)), sprintf("function = %s", toml_quote(fname)))
  if (length(packages)) out$lines <- c(out$lines, sprintf("packages = [%s]", paste(toml_quote(packages), collapse = ", ")))
  if (is.null(setup)) return(out)
  if (is.function(setup)) {
    if (is.null(out$script_lines)) cli::cli_abort("A {.arg setup} function needs a task function too (it is written to the same script); with a script, give the setup function's name.", call = call)
    out$script_lines <- c(out$script_lines, paste("rsim_setup <-", paste(deparse_function(setup), collapse = "\n")))
    out$lines <- c(out$lines, "setup = \"rsim_setup\"")
  } else {
    check_r_name(setup, "setup")
    out$lines <- c(out$lines, sprintf("setup = %s", toml_quote(setup)))
  }
  out
}

# An existing file as grid.toml names it: relative to grid.toml's folder
# when below it.
existing_file <- function(path, what, dir, call = parent.frame()) {
  if (!is.character(path) || length(path) != 1L || is.na(path) || !file.exists(path) || dir.exists(path)) {
    cli::cli_abort("{.arg {what}} must be the path of an existing file{if (is.character(path) && length(path) == 1L) paste0(', not ', encodeString(path, quote = '\"'))}.", call = call)
  }
  relative_to(path, dir)
}

# The [data] table: `data` is a named list of file paths (CSV) or
# list(file = , dataset = ) for a dataset of an HDF5 file.
data_lines <- function(data, dir, call = parent.frame()) {
  if (is.null(data) || !length(data)) return(character())
  if (!is.list(data) && !is.character(data)) {
    cli::cli_abort("{.arg data} must be a named list of file paths, e.g. {.code list(train = \"train.csv\")}.", call = call)
  }
  check_param_names(names(data), "data")
  one <- function(k) {
    d <- data[[k]]
    if (is.list(d) && !is.null(d$file) && all(names(d) %in% c("file", "dataset")) && is.character(d$dataset) && length(d$dataset) == 1L) {
      return(sprintf("%s = { file = %s, dataset = %s }", toml_key(k), toml_quote(existing_file(d$file, sprintf("data$%s$file", k), dir, call)),
                     toml_quote(d$dataset)))
    }
    if (!is.character(d)) {
      cli::cli_abort("{.code data${k}} must be a file path, or {.code list(file = , dataset = )} for a dataset of an HDF5 file.", call = call)
    }
    sprintf("%s = %s", toml_key(k), toml_quote(existing_file(d, sprintf("data$%s", k), dir, call)))
  }
  c("[data]", vapply(names(data), one, "", USE.NAMES = FALSE))
}

# Writes grid.toml (and the task script), then, when the rsim program is
# found, lets it read the grid: a grid rsim refuses is an error with rsim's
# message, and both files are put back as they were before.
write_checked <- function(file, lines, script_file = NULL, script_lines = NULL, call = parent.frame()) {
  paths <- c(file, script_file)
  before <- lapply(paths, function(p) if (file.exists(p)) readBin(p, "raw", file.size(p)))
  if (!is.null(script_file)) writeLines(enc2utf8(script_lines), script_file, useBytes = TRUE)
  writeLines(enc2utf8(lines), file, useBytes = TRUE)
  if (!nzchar(rsim_binary(required = FALSE))) return(invisible())
  tryCatch(inspect_job(file, call = call), rsim_binary_error = function(e) {
    for (i in seq_along(paths)) {
      if (is.null(before[[i]])) unlink(paths[i]) else writeBin(before[[i]], paths[i])
    }
    lines <- strsplit(e$stderr, "\n", fixed = TRUE)[[1]]
    kept <- if (is.null(before[[1]])) "is not written" else "is left as it was"
    cli::cli_abort(c("rsim refuses the grid.toml {.fn write_grid} wrote, so {.file {file}} {kept}.",
      i = "Change what rsim names below and call {.fn write_grid} again."
    ), body = stats::setNames(lines, rep(" ", length(lines))), class = "rsim_binary_error",
    stderr = e$stderr, status = e$status, call = call)
  })
  invisible()
}

#' A built-in native kernel as the task of [write_grid()]
#'
#' @param kernel the kernel's name, as `rsim --list-kernels` lists them
#'   (`ttest_power`, `mean_ci_coverage`, `uniform`, `busy_wait`).
#' @return An object of class `rsim_native_kernel`.
#' @export
#' @examples
#' native_kernel("ttest_power")
native_kernel <- function(kernel) {
  if (!is.character(kernel) || length(kernel) != 1L || !grepl("^[A-Za-z_][A-Za-z0-9_]*$", kernel)) {
    cli::cli_abort("{.arg kernel} must be the name of a built-in kernel, e.g. {.val ttest_power}.")
  }
  structure(list(kernel = kernel), class = "rsim_native_kernel")
}

#' @export
print.rsim_native_kernel <- function(x, ...) {
  cat(sprintf("<rsim native kernel %s>\n", x$kernel))
  invisible(x)
}

deparse_function <- function(f) {
  deparse(f, width.cutoff = 80L, control = c("keepNA", "keepInteger", "niceNames", "showAttributes", "useSource"))
}

is_r_name <- function(x) grepl("^([A-Za-z]|[.][A-Za-z._])[A-Za-z0-9._]*$", x) && make.names(x) == x

check_r_name <- function(x, what) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !is_r_name(x)) {
    cli::cli_abort("{.arg {what}} must be a syntactic R name such as {.val simulate}, not {.val {x}}.")
  }
}

check_name_string <- function(name) {
  # checked before anything is written: the name goes into comments of
  # grid.toml and of the R script every rank sources
  if (!is.character(name) || length(name) != 1L || is.na(name) || !nzchar(name) || grepl("/", name, fixed = TRUE) ||
      grepl("[[:cntrl:]]", name)) {
    cli::cli_abort("{.arg name} must be a non-empty job name without {.val /} or control characters (line breaks, tabs), e.g. {.val power-study}.")
  }
}

check_count <- function(x, what) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < 1 || x != round(x) || x > 2^53) {
    cli::cli_abort("{.arg {what}} must be a whole number of at least 1, not {.val {format(x)}}.")
  }
  x
}

check_seed <- function(seed, backend) {
  if (is.character(seed) && length(seed) == 1L && grepl("^[0-9]+$", seed)) {
    s <- sub("^0+(?=[0-9])", "", seed, perl = TRUE)
    if (nchar(s) > 20L || (nchar(s) == 20L && s > "18446744073709551615")) {
      cli::cli_abort("{.arg seed} {.val {seed}} is larger than 18446744073709551615 (2^64 - 1).")
    }
    v <- as.numeric(s)
    if (backend == "r" && v > .Machine$integer.max) cli::cli_abort(seed_r_msg(seed))
    return(if (v <= .Machine$integer.max) s else toml_quote(s))
  }
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || seed < 0 || seed != round(seed)) {
    cli::cli_abort("{.arg seed} must be a whole number of at least 0 (or a string of digits), not {.val {format(seed)}}.")
  }
  if (seed > 2^53) {
    cli::cli_abort("{.arg seed} {format(seed, scientific = FALSE)} is beyond the integers a double holds exactly; give it as a string of digits, e.g. {.code seed = \"18446744073709551615\"}.")
  }
  if (backend == "r" && seed > .Machine$integer.max) cli::cli_abort(seed_r_msg(format(seed, scientific = FALSE)))
  format(seed, scientific = FALSE)
}

seed_r_msg <- function(seed) {
  sprintf("seed %s is too large for an R task: R's set.seed() takes 0 to 2147483647.", seed)
}

# TOML literals for a grid or args vector: whole-number doubles become
# integers unless wrapped in I().
grid_literals <- function(x, what) {
  asis <- inherits(x, "AsIs")
  if (is.factor(x)) x <- as.character(x)
  if (asis) x <- unclass(x)
  if (!is.atomic(x) || is.null(x) || !(is.logical(x) || is.numeric(x) || is.character(x)) ||
      inherits(x, c("Date", "POSIXt", "difftime"))) {
    cli::cli_abort("{what} must be a vector of numbers, strings or logicals, not {.obj_type_friendly {x}}.")
  }
  if (!length(x)) cli::cli_abort("{what} has no values.")
  if (anyNA(x)) cli::cli_abort("{what} has missing values ({.val NA}); a grid cannot hold NA.")
  if (is.double(x) && !asis && all(is.finite(x)) && all(x == round(x)) && all(abs(x) < 2^53)) {
    return(format(x, scientific = FALSE, trim = TRUE))
  }
  if (is.double(x) && any(!is.finite(x))) cli::cli_abort("{what} has non-finite values; rsim grids need finite numbers.")
  toml_values(x)
}

check_param_names <- function(nm, what) {
  if (is.null(nm) || any(!nzchar(nm)) || anyNA(nm)) cli::cli_abort("Every element of {.arg {what}} needs a name.")
  bad <- nm[!grepl("^[A-Za-z.][A-Za-z0-9._]*$", nm)]
  if (length(bad)) {
    cli::cli_abort(c("{.arg {what}}: {.val {bad}} {?is not a valid name/are not valid names}.",
      i = "Names start with a letter or {.val .} and hold only letters, digits, {.val .} and {.val _}."
    ))
  }
  dup <- unique(nm[duplicated(nm)])
  if (length(dup)) cli::cli_abort("{.arg {what}}: {.val {dup}} {?is/are} given twice.")
}

grid_toml_lines <- function(grid) {
  if (is.null(grid)) return(structure(character(), params = character()))
  if (is.data.frame(grid)) {
    if (!ncol(grid)) return(structure(character(), params = character()))
    nm <- names(grid)
    check_param_names(nm, "grid")
    if (!nrow(grid)) cli::cli_abort("{.arg grid} has no rows: give at least one grid point.")
    vals <- lapply(nm, function(p) grid_literals(grid[[p]], sprintf("Column `%s` of `grid`", p)))
    keys <- toml_key(nm)
    body <- do.call(paste, c(lapply(seq_along(nm), function(j) sprintf("%s = %s", keys[j], vals[[j]])), sep = "\n"))
    lines <- paste0("[[points]]\n", body, "\n")
    return(structure(unlist(strsplit(paste(lines, collapse = "\n"), "\n")), params = nm))
  }
  if (!is.list(grid)) {
    cli::cli_abort("{.arg grid} must be a named list of vectors (a Cartesian grid), a data frame (one row per point), or NULL, not {.obj_type_friendly {grid}}.")
  }
  if (!length(grid)) return(structure(character(), params = character()))
  nm <- names(grid)
  check_param_names(nm, "grid")
  vals <- vapply(nm, function(p) {
    v <- grid_literals(grid[[p]], sprintf("`grid$%s`", p))
    paste0("[", paste(v, collapse = ", "), "]")
  }, "")
  structure(c("[grid]", sprintf("%s = %s", toml_key(nm), vals)), params = nm)
}

check_args <- function(args, params) {
  if (is.null(args) || !length(args)) return(list())
  if (!is.list(args)) {
    if (is.atomic(args) && !is.null(names(args))) args <- as.list(args) else
      cli::cli_abort("{.arg args} must be a named list of single values, e.g. {.code list(alpha = 0.05)}.")
  }
  check_param_names(names(args), "args")
  clash <- intersect(names(args), params)
  if (length(clash)) cli::cli_abort("{.val {clash}} {?is/are} both in {.arg args} and in {.arg grid}; keep one.")
  for (a in names(args)) {
    v <- args[[a]]
    if (length(v) != 1L) cli::cli_abort("`args${a}` must be a single value (length 1), not length {length(v)}; to vary it, move it to {.arg grid}.")
  }
  lapply(stats::setNames(names(args), names(args)), function(a) grid_literals(args[[a]], sprintf("`args$%s`", a)))
}

schedule_lines <- function(opts) {
  out <- character()
  if (!is.null(opts$chunk)) {
    ch <- opts$chunk
    if (!is.numeric(ch) || length(ch) != 1L || is.na(ch) || ch < 0 || ch != round(ch)) {
      cli::cli_abort("{.arg chunk} must be a whole number of at least 0 (0 = automatic).")
    }
    out <- c(out, sprintf("chunk = %s", format(ch, scientific = FALSE)))
  }
  for (k in c("checkpoint", "timeout")) {
    v <- opts[[k]]
    if (is.null(v)) next
    if (is.numeric(v) && length(v) == 1L && !is.na(v) && v >= 0) {
      out <- c(out, sprintf("%s = %s", k, toml_values(as.double(v))))
    } else if (is.character(v) && length(v) == 1L && grepl("^([0-9]+(\\.[0-9]+)?(h|ms|m|s))+$", v)) {
      out <- c(out, sprintf("%s = %s", k, toml_quote(v)))
    } else {
      cli::cli_abort("{.arg {k}} must be seconds (a number) or a duration like {.val 30s}, {.val 10m}, {.val 1h30m}.")
    }
  }
  if (!is.null(opts$retries)) {
    r <- opts$retries
    if (!is.numeric(r) || length(r) != 1L || is.na(r) || r < 0 || r > 100 || r != round(r)) {
      cli::cli_abort("{.arg retries} must be a whole number from 0 to 100.")
    }
    out <- c(out, sprintf("retries = %d", as.integer(r)))
  }
  if (!is.null(m <- opts$memory)) { # rsim reads the size and says what is wrong with it
    if (is.numeric(m) && length(m) == 1L && !is.na(m) && m > 0) m <- format(m, scientific = FALSE)
    if (!is.character(m) || length(m) != 1L || is.na(m)) {
      cli::cli_abort("{.arg memory} must be a size such as {.val 4GB} or {.val 512MB}, or a number of bytes.")
    }
    out <- c(out, sprintf("memory = %s", toml_quote(m)))
  }
  if (length(out)) c("[schedule]", out) else out
}

# `path` relative to folder `dir` when it lies below it, otherwise absolute.
relative_to <- function(path, dir) {
  p <- normalizePath(path, mustWork = TRUE)
  d <- normalizePath(dir, mustWork = TRUE)
  if (startsWith(p, paste0(d, "/"))) substring(p, nchar(d) + 2L) else p
}

# --- TOML literals ------------------------------------------------------------

# A TOML basic string: quotes, backslashes and control characters escaped.
toml_quote <- function(x) {
  x <- enc2utf8(as.character(x))
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("\n", "\\n", x, fixed = TRUE)
  x <- gsub("\t", "\\t", x, fixed = TRUE)
  x <- gsub("\r", "\\r", x, fixed = TRUE)
  x <- gsub("\b", "\\b", x, fixed = TRUE)
  x <- gsub("\f", "\\f", x, fixed = TRUE)
  ctl <- grepl("[\x01-\x1f\x7f]", x, perl = TRUE)
  if (any(ctl)) {
    x[ctl] <- vapply(x[ctl], function(s) {
      cp <- utf8ToInt(s)
      bad <- cp < 32L | cp == 127L
      parts <- vapply(cp, intToUtf8, "")
      parts[bad] <- sprintf("\\u%04x", cp[bad])
      paste(parts, collapse = "")
    }, "", USE.NAMES = FALSE)
  }
  paste0("\"", x, "\"")
}

toml_key <- function(x) ifelse(grepl("^[A-Za-z0-9_-]+$", x), x, toml_quote(x))

# TOML literals of an atomic vector (no NA), by type.
toml_values <- function(x) {
  if (is.logical(x)) return(ifelse(x, "true", "false"))
  if (is.integer(x)) return(as.character(x))
  if (is.double(x)) {
    s <- formatC(x, digits = 17L, format = "g")
    s <- trimws(s)
    s[x == Inf] <- "inf"
    s[x == -Inf] <- "-inf"
    s[is.nan(x)] <- "nan"
    fin <- is.finite(x)
    # shortest representation that round-trips
    short <- formatC(x, digits = 15L, format = "g")
    same <- fin & as.numeric(short) == x
    s[same] <- trimws(short[same])
    need_dot <- fin & !grepl("[.eE]", s)
    s[need_dot] <- paste0(s[need_dot], ".0")
    s <- sub("e\\+?(-?)0*([0-9])", "e\\1\\2", s)
    return(s)
  }
  toml_quote(x)
}
