# Opening result files: checks that a path is an rsim result file this
# package can read, and explains the state of a job that has not finished.

# The newest result-file layout this package reads (docs/format.md).
supported_format <- 1L

status_levels <- c("ok", "error", "timeout", "not_run")

# Resolves what the user gave (a result file, a grid.toml, an rsim_job) to
# the path of a result file.
result_path <- function(x, call = parent.frame()) {
  if (inherits(x, "rsim_job")) return(x$output)
  if (!is.character(x) || length(x) != 1L || is.na(x) || !nzchar(x)) {
    cli::cli_abort("{.arg path} must be the path of an rsim result file (a single string).", call = call)
  }
  if (grepl("\\.toml$", x, ignore.case = TRUE) && file.exists(x) && !dir.exists(x)) {
    return(grid_result_path(x, call = call))
  }
  x
}

# The result file of a grid.toml, as `rsim inspect` names it.
grid_result_path <- function(path, call = parent.frame()) {
  if (!nzchar(rsim_binary(required = FALSE))) {
    cli::cli_abort(c("{.file {path}} is a grid.toml: finding its result file needs the rsim program ({.code rsim inspect}).",
      i = "Give the result file itself (the {.field [job] output} of grid.toml, default {.file <name>.h5}), or set {.envvar RSIM_BIN}."
    ), call = call)
  }
  inspect_job(path, call = call)$files$output
}

# Opens an rsim result file for reading, or stops with a message that says
# why not (missing, not finished yet, not rsim's, too new).  With `partial`,
# a job that is running or was interrupted is read from a snapshot of what
# it committed so far (`rsim snapshot`), with a message saying how much.
# The caller closes it with close_h5().
open_result <- function(path, partial = FALSE, call = parent.frame()) {
  path <- result_path(path, call = call)
  if (!file.exists(path)) {
    snap <- if (partial) take_snapshot(path, call = call)
    if (is.null(snap)) unfinished_job_error(path, call = call)
    f <- open_checked(snap$snapshot, call = call)
    unlink(snap$snapshot) # open: the file lives on until closed
    inform_partial(path, snap)
    return(f)
  }
  open_checked(path, call = call)
}

# The results a running or interrupted job committed so far, as a temporary
# result file (`rsim snapshot`): the binary's JSON (snapshot, committed,
# n_tasks, ok, failed), or NULL if there is nothing to take it from.
take_snapshot <- function(path, to = tempfile("rsim-snapshot-", fileext = ".h5"), call = parent.frame()) {
  args <- snapshot_args(path, to)
  if (is.null(args)) return(NULL)
  snapshot_answer(rsim_exec(args, ok = 0:3, call = call), to)
}

# take_snapshot() in the background, for a dashboard that must not wait for
# it: a processx process (NULL if there is nothing to take it from) whose
# answer, once it has exited, finish_snapshot() reads.
start_snapshot <- function(path, to) {
  args <- snapshot_args(path, to)
  if (is.null(args)) return(NULL)
  keeping_rng(processx::process$new(rsim_binary(), args, stdout = "|", stderr = "|"))
}

finish_snapshot <- function(proc, to, call = parent.frame()) {
  out <- proc$read_all_output()
  r <- list(status = proc$get_exit_status(), stdout = out, stderr = proc$read_all_error())
  if (!r$status %in% 0:3) abort_binary(r, proc$get_cmdline()[-1], call)
  snapshot_answer(r, to)
}

# The arguments of `rsim snapshot` for path, or NULL when the job has no
# checkpoints or there is no rsim program.
snapshot_args <- function(path, to) {
  if (!dir.exists(paste0(path, ".ckpt")) || !nzchar(rsim_binary(required = FALSE))) return(NULL)
  c("snapshot", normalizePath(path, mustWork = FALSE), "--to", to)
}

# rsim snapshot's JSON; NULL when the job is gone meanwhile (it finished) or
# rsim cannot name it (exit codes 1-3).
snapshot_answer <- function(r, to) {
  if (r$status != 0L) {
    unlink(to)
    return(NULL)
  }
  parse_json(r$stdout, "rsim snapshot")
}

inform_partial <- function(path, snap) {
  cli::cli_inform(c("{.file {path}} is not finished: partial results, {format(snap$committed, big.mark = ',')} of {format(snap$n_tasks, big.mark = ',')} tasks committed so far.",
    i = "A snapshot of the checkpoints taken now ({snap$failed} failed); read again for more."
  ), class = "rsim_partial")
}

# The file to read for `file`: itself, or for a job that has not finished, a
# snapshot (with the message) that `frame`'s exit removes; for readers that
# open the file more than once and must see one state.
readable_now <- function(file, frame = parent.frame(), call = parent.frame()) {
  if (file.exists(file)) return(file)
  snap <- take_snapshot(file, call = call)
  if (is.null(snap)) unfinished_job_error(file, call = call)
  inform_partial(file, snap)
  do.call(on.exit, list(substitute(unlink(s), list(s = snap$snapshot)), add = TRUE), envir = frame)
  snap$snapshot
}

open_checked <- function(path, call = parent.frame()) {
  if (dir.exists(path)) {
    cli::cli_abort("{.file {path}} is a folder, not an rsim result file.", call = call)
  }
  if (!isTRUE(tryCatch(hdf5r::is.h5file(path), error = function(e) FALSE))) {
    cli::cli_abort(c("{.file {path}} is not an rsim result file: it is not an HDF5 file.",
      i = "rsim writes its results to the {.field [job] output} file of grid.toml (default {.file <name>.h5})."
    ), call = call)
  }
  f <- tryCatch(hdf5r::H5File$new(path, mode = "r"), error = function(e) {
    cli::cli_abort("cannot open {.file {path}}: {conditionMessage(e)}", call = call)
  })
  attrs <- hdf5r::h5attr_names(f)
  groups <- names(f)
  if (!"format_version" %in% attrs || !"grid" %in% groups ||
    !(all(c("tasks", "results") %in% groups) || "summary" %in% groups)) {
    close_h5(f)
    cli::cli_abort(c("{.file {path}} is not an rsim result file.",
      i = "It is an HDF5 file, but has no {.field format_version} attribute and {.field /tasks}, {.field /grid}, {.field /results} groups."
    ), call = call)
  }
  version <- h5_attr(f, "format_version")
  if (version > supported_format) {
    close_h5(f)
    cli::cli_abort(c("{.file {path}} has result format {version}, written by a newer rsim; this rsim R package ({utils::packageVersion('rsim')}) reads format {supported_format} and older.",
      i = "Update the rsim R package (bindings/R/rsim of the same rsim version)."
    ), call = call)
  }
  f
}

# Functions that read rows per task stop on a file of per-point summaries.
need_tasks <- function(f, path, call = parent.frame()) {
  if (f$exists("tasks")) return(invisible())
  close_h5(f)
  cli::cli_abort(c("{.file {path}} keeps per-point summaries ({.code [output] keep = \"summary\"}), not a row per task.",
    i = "Read it with {.fn read_summary}."
  ), call = call)
}

# Small accessors that close every HDF5 object they open, so the file can
# be closed with $close(): hdf5r's $close_all() runs gc() and costs ~0.1 s.

# Members of a group in creation order when the file tracks it (rsim
# writes /grid, /results and table groups that way), else alphabetical.
h5_members <- function(f, path) {
  if (!f$exists(path)) return(character())
  g <- f[[path]]
  on.exit(g$close())
  nm <- tryCatch(g$ls(index_type = hdf5r::h5const$H5_INDEX_CRT_ORDER)$name, error = function(e) NULL)
  if (is.null(nm) || (!length(nm) && length(names(g)))) nm <- names(g)
  as.character(nm)
}

# The members of a group rsim wrote, in creation order: `links` (HDF5 link
# names, to read them) and `names` (as tasks gave them).  rsim lists both
# in the group's attributes (a name such as "I(speed/2)" is stored under an
# encoded link name, docs/format.md#names); files before that are listed.
group_members <- function(f, path) {
  if (!f$exists(path)) return(list(links = character(), names = character()))
  g <- f[[path]]
  on.exit(g$close())
  links <- h5_attr(g, "links")
  names <- h5_attr(g, "names")
  if (is.null(links) || is.null(names) || length(links) != length(names)) {
    links <- h5_members(f, path)
    names <- links
  }
  list(links = as.character(links), names = as.character(names))
}

# A whole dataset; enums become factors or logicals, 2-D datasets a matrix
# with one row per task.
h5_read <- function(f, path) {
  d <- f[[path]]
  on.exit(d$close())
  read_dataset(d)
}

# Length along the first (task) axis.
h5_length <- function(f, path) {
  d <- f[[path]]
  on.exit(d$close())
  dims <- d$dims
  dims[length(dims)]  # hdf5r lists dimensions reversed
}

# Width of a result field: 1, or w for a (tasks, w) dataset.
h5_width <- function(f, path) {
  d <- f[[path]]
  on.exit(d$close())
  dims <- d$dims
  if (length(dims) > 1L) as.integer(dims[1]) else 1L
}

h5_r_type <- function(f, path) {
  d <- f[[path]]
  on.exit(d$close())
  cls <- h5_class(d)
  switch(cls,
    H5T_INTEGER = "integer",
    H5T_FLOAT = "double",
    H5T_STRING = "character",
    H5T_ENUM = "logical",
    H5T_VLEN = if (is_r_serialization(d)) "R object" else "raw",
    tolower(sub("^H5T_", "", cls))
  )
}

# The HDF5 class of a dataset's type, e.g. "H5T_FLOAT".
h5_class <- function(d) {
  tp <- d$get_type()
  on.exit(tp$close())
  as.character(tp$get_class())
}

# The encoding of a byte field's values (docs/format.md#bytes).
r_serialization <- "R serialization (version 3, XDR)"
is_r_serialization <- function(d) {
  d$attr_exists("encoding") && identical(hdf5r::h5attr(d, "encoding"), r_serialization)
}

# A byte field (variable-length uint8): a list with one element per task,
# NULL where the task did not return it; R objects unserialized, other
# bytes as raw vectors.
read_bytes <- function(d) {
  decode <- if (is_r_serialization(d)) unserialize else identity
  objects(lapply(d$read(), function(b) if (length(b)) decode(as.raw(b)) else NULL))
}

# A list column of R objects: a list that data frames print as <class>.
objects <- function(x) structure(x, class = "rsim_objects")

#' @export
format.rsim_objects <- function(x, ...) {
  vapply(unclass(x), function(o) if (is.null(o)) "NULL" else paste0("<", class(o)[1L], ">"), "")
}

#' @export
`[.rsim_objects` <- function(x, i) objects(unclass(x)[i])

#' @export
print.rsim_objects <- function(x, ...) {
  print(unclass(x), ...)
  invisible(x)
}

close_h5 <- function(f) {
  if (!isTRUE(tryCatch(f$is_valid, error = function(e) FALSE))) return(invisible())
  n <- tryCatch(f$get_obj_count(), error = function(e) 2L)
  if (n > 1L) try(f$close_all(), silent = TRUE) else try(f$close(), silent = TRUE)
  invisible()
}

h5_attr <- function(f, name, default = NULL) {
  if (!f$attr_exists(name)) return(default)
  a <- f$attr_open(name)  # hdf5r::h5attr() leaves the attribute open until gc()
  on.exit(a$close())
  a$read()
}

# Root attributes as a named list.
h5_attrs <- function(f) {
  nm <- hdf5r::h5attr_names(f)
  stats::setNames(lapply(nm, function(a) h5_attr(f, a)), nm)
}

# Grid parameters in grid.toml order (the grid_params attribute; HDF5 lists
# datasets alphabetically).
grid_param_names <- function(f) {
  p <- h5_attr(f, "grid_params")
  have <- h5_members(f, "grid")
  if (is.null(p) || !nzchar(p)) {
    if (!length(have)) return(character())
    return(have)
  }
  p <- strsplit(p, ",", fixed = TRUE)[[1]]
  c(p[p %in% have], setdiff(have, p))
}

# The grid, one row per point, parameters typed as stored.
read_grid_points <- function(f) {
  params <- grid_param_names(f)
  cols <- lapply(params, function(p) h5_read(f, paste0("grid/", p)))
  names(cols) <- params
  n_points <- as.numeric(h5_attr(f, "n_points", 1))
  if (!length(cols)) {
    return(structure(list(), names = character(), row.names = .set_row_names(n_points), class = "data.frame"))
  }
  structure(cols, row.names = .set_row_names(length(cols[[1]])), class = "data.frame")
}

read_dataset <- function(d) {
  # rsim writes `encoding` on every byte field (and only there); asking for an
  # attribute costs far less than hdf5r's type object (wide files: 10,000 fields)
  if (d$attr_exists("encoding")) return(read_bytes(d))
  x <- d$read()
  if (is.character(x) && d$attr_exists("na_string")) x[x == hdf5r::h5attr(d, "na_string")] <- NA_character_
  if (inherits(x, "factor_ext")) {
    x <- factor(attr(x, "levels")[match(unclass(x), attr(x, "values"))], levels = attr(x, "levels"))
  }
  if (is.matrix(x)) {
    x <- t(x)
    if (d$attr_exists("element_names")) colnames(x) <- hdf5r::h5attr(d, "element_names")
  }
  if (d$attr_exists("r_class")) x <- with_r_class(x, d)
  x
}

# A field that tasks returned as a Date, POSIXct, difftime or factor, with
# its class rebuilt from the dataset's attributes (docs/format.md).
with_r_class <- function(x, d) {
  attr_of <- function(name) if (d$attr_exists(name)) as.character(hdf5r::h5attr(d, name)) else NULL
  cls <- attr_of("r_class")
  if ("factor" %in% cls && is.logical(x)) x <- factor_of_logical_enum(x, d)
  if ("factor" %in% cls && is.factor(x)) return(structure(x, class = cls)) # an enum: labels in code order
  if ("factor" %in% cls) { # stored as text: too many labels for an enum, or an older file
    lv <- attr_of("levels")
    lv <- c(lv, setdiff(sort(unique(x[!is.na(x)])), lv)) # labels of tasks whose levels differed
    return(structure(match(x, lv), levels = lv, class = cls))
  }
  if (!is.null(tz <- attr_of("tzone"))) attr(x, "tzone") <- tz
  if (!is.null(u <- attr_of("units"))) attr(x, "units") <- u
  class(x) <- cls
  x
}

# A factor whose labels are FALSE and TRUE (and NA), which hdf5r reads as
# logical: its labels again, in code order.
factor_of_logical_enum <- function(x, d) {
  type <- d$get_type()
  lv <- type$get_labels()[order(type$get_values())]
  factor(ifelse(x, "TRUE", "FALSE"), levels = lv)
}

# Status of every task as a factor with levels ok, error, timeout, not_run.
read_status <- function(f) {
  d <- f[["tasks/status"]]
  s <- d$read()
  d$close()
  codes <- unclass(s)
  lv <- attr(s, "levels")
  vals <- attr(s, "values")
  idx <- match(lv, status_levels)
  if (identical(as.integer(vals), 0:3) && identical(lv, status_levels)) {
    out <- codes + 1L
  } else {
    out <- idx[match(codes, vals)]
  }
  attributes(out) <- NULL
  structure(out, levels = status_levels, class = "factor")
}

n_tasks_of <- function(f) as.numeric(h5_attr(f, "n_tasks"))

# Warns when a result file lacks tasks that never ran (complete = 0).
warn_incomplete <- function(f, path, call = parent.frame()) {
  if (!is.null(h5_attr(f, "snapshot_of"))) return(invisible()) # open_result() said it is partial
  complete <- h5_attr(f, "complete", 1L)
  if (isTRUE(complete == 0)) {
    missing <- as.numeric(h5_attr(f, "n_not_run", NA))
    total <- n_tasks_of(f)
    cli::cli_warn(c("{.file {path}} is incomplete: {missing} of {total} task{?s} did not run (status {.val not_run}).",
      i = "Their result fields are {.val NA}; rerun the job (same grid.toml, same output) to run them."
    ), call = call)
  }
  ckpt <- paste0(path, ".ckpt")
  if (dir.exists(ckpt)) {
    cli::cli_warn(c("A run of this job is in progress or was interrupted: {.file {ckpt}} exists.",
      i = "{.file {path}} is from an earlier, finished run."
    ), call = call)
  }
}

# The job state from <output>.status.json, or NULL.
read_status_json <- function(path) {
  js <- paste0(path, ".status.json")
  if (!file.exists(js)) return(NULL)
  tryCatch(jsonlite::fromJSON(js, simplifyVector = TRUE), error = function(e) NULL)
}

unfinished_job_error <- function(path, call = parent.frame()) {
  ckpt <- paste0(path, ".ckpt")
  st <- read_status_json(path)
  has_ckpt <- dir.exists(ckpt)
  if (!has_ckpt && is.null(st)) {
    cli::cli_abort("{.file {path}} does not exist.", call = call)
  }
  segs <- if (has_ckpt) length(list.files(ckpt, pattern = "^seg-.*\\.rsb$")) else 0L
  bullets <- c("The job that writes {.file {path}} has not finished: there is no result file yet.")
  if (!is.null(st)) {
    total <- as.numeric(st$n_tasks)
    done <- as.numeric(st$done)
    alive <- identical(st$state, "running") && pid_alive(st$pid, st$host)
    state <- if (identical(st$state, "running") && !alive) "stopped" else st$state
    bullets <- c(bullets, i = sprintf(
      "Progress (from %s, updated %s): %s of %s tasks done (%.1f%%), %s failed; state %s.",
      basename(paste0(path, ".status.json")), st$updated, format(done, big.mark = ","),
      format(total, big.mark = ","), if (total > 0) 100 * done / total else 100,
      format(as.numeric(st$failed)), state
    ))
    if (alive && !is.null(st$eta_seconds) && is.numeric(st$eta_seconds)) {
      bullets <- c(bullets, i = sprintf("About %s left.", format_seconds(st$eta_seconds)))
    }
  }
  if (has_ckpt) {
    bullets <- c(bullets, i = sprintf(
      "%d checkpoint segment%s in %s hold the tasks committed so far; run the same command again to resume.",
      segs, if (segs == 1L) "" else "s", ckpt
    ))
    if (!nzchar(rsim_binary(required = FALSE))) {
      bullets <- c(bullets, i = "To read the results committed so far, the rsim program is needed: set RSIM_BIN to its path or put it on the PATH.")
    }
  }
  bullets[-1] <- cli_text_escape(bullets[-1])
  cli::cli_abort(bullets, call = call, class = "rsim_unfinished")
}

pid_alive <- function(pid, host) {
  if (is.null(pid) || !is.numeric(pid)) return(FALSE)
  if (!is.null(host) && !identical(host, Sys.info()[["nodename"]])) return(TRUE)  # cannot tell: assume it runs
  isTRUE(tryCatch(tools::pskill(pid, 0L), error = function(e) FALSE))
}

# Text for cli messages taken as is: braces are not glue expressions.
cli_text_escape <- function(x) gsub("}", "}}", gsub("{", "{{", x, fixed = TRUE), fixed = TRUE)

format_seconds <- function(s) {
  s <- max(0, round(as.numeric(s)))
  sprintf("%d:%02d:%02d", s %/% 3600, (s %/% 60) %% 60, s %% 60)
}
