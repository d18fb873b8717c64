# The files that ship globals to the ranks, written next to grid.toml:
#   <grid>.globals.rds   the globals, serialized once (version 3, uncompressed)
#   <grid>.globals.R     loads the namespaces and the globals, then sources the task script
#   <grid>.globals.toml  grid.toml with `script` pointing at that wrapper: what runs
# rsim records the .rds ("loaded file") and the wrapper ("task script") in
# the job's identity.  New files are staged under temporary names and moved
# into place only when the results already there (the result file's
# identity, as rsim recorded it) do not refuse them, so a refused call
# leaves the files the results were made with.

# Writes the files for `grid` (`spec` is its `rsim inspect`) and returns the
# path of the grid.toml copy to run.  `output` is the result file the run
# writes; with `fresh`, earlier results do not count.
write_globals <- function(grid, spec, globals, namespaces = character(), output = spec$files$output,
                          fresh = FALSE, call = parent.frame()) {
  check_globals_arg(globals, namespaces, spec, grid, call)
  dir <- dirname(grid)
  base <- file.path(dir, paste0(tools::file_path_sans_ext(basename(grid)), ".globals"))
  files <- c(rds = paste0(base, ".rds"), wrapper = paste0(base, ".R"), toml = paste0(base, ".toml"))
  if (!length(globals)) files <- files[-1]
  staged <- stats::setNames(vapply(names(files), function(k) tempfile(".rsim-staged-", tmpdir = dir), ""), names(files))
  on.exit(unlink(staged)) # what is not moved into place
  if (length(globals)) saveRDS(plain_globals(globals), staged[["rds"]], version = 3L, compress = FALSE)
  writeLines(wrapper_lines(files, spec$task$script, namespaces), staged[["wrapper"]], useBytes = TRUE)
  writeLines(globals_toml_lines(grid, files, spec$task$script), staged[["toml"]], useBytes = TRUE)
  if (!isTRUE(fresh)) {
    parts <- c(rds = "loaded file", wrapper = "task script")[intersect(c("rds", "wrapper"), names(files))]
    check_recorded_files(output, stats::setNames(staged[names(parts)], paste(parts, basename(files[names(parts)]))), call)
  }
  for (k in names(files)) install_staged(staged[[k]], files[[k]])
  files[["toml"]]
}

check_globals_arg <- function(globals, namespaces, spec, grid, call) {
  if (!is.list(globals) || (length(globals) && (is.null(names(globals)) || any(!nzchar(names(globals))) ||
                                                anyDuplicated(names(globals))))) {
    cli::cli_abort("{.arg globals} must be a named list of R objects, e.g. {.code list(data = df, model = fit)}.", call = call)
  }
  if (!is.character(namespaces) || anyNA(namespaces)) {
    cli::cli_abort("{.arg namespaces} must be a character vector of package names.", call = call)
  }
  if (!identical(spec$task$backend, "r")) {
    cli::cli_abort("{.arg globals} and {.arg namespaces} reach R tasks only; {.file {grid}} runs a native kernel.", call = call)
  }
}

wrapper_lines <- function(files, script, namespaces) {
  c(
    "# Written by rsim: loads the globals of the job, then the task script.",
    if (length(namespaces)) sprintf("invisible(lapply(%s, loadNamespace))", paste(deparse(namespaces), collapse = "")),
    if ("rds" %in% names(files)) sprintf("list2env(readRDS(%s), envir = environment())", deparse(normalizePath(files[["rds"]], mustWork = FALSE))),
    sprintf("source(%s, local = environment())", deparse(script))
  )
}

globals_toml_lines <- function(grid, files, script) {
  lines <- readLines(grid, warn = FALSE, encoding = "UTF-8")
  at <- task_script_line(lines)
  if (length(at) != 1L) cli::cli_abort("Cannot find the {.field script} line of [task] in {.file {grid}}.")
  loads <- if ("rds" %in% names(files)) sprintf("loads %s, then ", basename(files[["rds"]])) else ""
  lines[at] <- sprintf("script = %s  # written by rsim: %s%s", toml_quote(basename(files[["wrapper"]])), loads,
                       relative_to(script, dirname(grid)))
  enc2utf8(lines)
}

# The line of `script = ...` in the [task] table of grid.toml lines.
task_script_line <- function(lines) {
  headers <- grep("^\\s*\\[", lines)
  task_at <- grep("^\\s*\\[\\s*task\\s*\\]", lines)
  if (length(task_at) != 1L) return(integer())
  end <- c(headers[headers > task_at], length(lines) + 1L)[1]
  task_at + grep("^\\s*script\\s*=", lines[seq.int(task_at + 1L, length.out = end - task_at - 1L)])
}

# Moves a staged file into place unless the file there has the same bytes
# (then it stays untouched).
install_staged <- function(staged, path) {
  if (file.exists(path) && identical(unname(tools::md5sum(staged)), unname(tools::md5sum(path)))) return(invisible())
  if (!file.rename(staged, path)) cli::cli_abort("Cannot write {.file {path}}.")
  invisible()
}

# Stops when the results of `output` (its result file, or the checkpoints
# of an interrupted run) were made with other files: `files` maps identity
# parts ("loaded file grid.globals.rds") to the files a run would use now,
# and the identity rsim recorded holds each part's hash.  Parts the results
# do not record are left to rsim.
check_recorded_files <- function(output, files, call = parent.frame()) {
  parts <- recorded_identity(output)
  if (is.null(parts)) return(invisible())
  changed <- character()
  for (part in names(files)) {
    was <- parts$value[parts$part == part & parts$refused_if_changed]
    if (length(was) != 1L) next
    now <- sha256_file(files[[part]])
    if (was != now) {
      changed <- c(changed, sprintf("%s changed since these results were made: sha256 %s.. -> %s..", part,
                                    short_hash(was), short_hash(now)))
    }
  }
  if (!length(changed)) return(invisible())
  cli::cli_abort(c(
    "{cli_text_escape(paste(changed, collapse = '; '))} (the result file {.file {output}}).",
    i = "Nothing was written or started: the job's files are still those the results were made with.",
    i = "Use {.code fresh = TRUE} to move the old results aside and start over, restore what changed, or set another {.arg output}."
  ), class = "rsim_changed_job", call = call)
}

# The identity (part, value, refused_if_changed) rsim recorded for the
# results of `output`: from the result file, or from a snapshot of the
# checkpoints of a run that has not finished; NULL when there are none.
recorded_identity <- function(output) {
  file <- output
  if (!file.exists(output)) {
    snap <- tryCatch(take_snapshot(output), error = function(e) NULL)
    if (is.null(snap)) return(NULL)
    file <- snap$snapshot
    on.exit(unlink(file))
  }
  f <- tryCatch(open_checked(file), error = function(e) NULL) # not rsim's: rsim says so when it runs
  if (is.null(f)) return(NULL)
  on.exit(close_h5(f), add = TRUE)
  parse_identity(h5_attr(f, "identity"))
}

sha256_file <- function(path) paste0("sha256:", digest::digest(file = path, algo = "sha256", serialize = FALSE))

short_hash <- function(h) substr(sub("^sha256:", "", h), 1L, 8L)
