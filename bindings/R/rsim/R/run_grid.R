#' Run a simulation grid in one call
#'
#' Writes the job into a folder of its own ([write_grid()]: `grid.toml`
#' and `grid.R`), finds what the task function needs besides its
#' arguments, ships it to every rank and starts the job ([rsim_run()]).
#'
#' **What is found before launch** (`globals = TRUE`).  The free variables
#' and helper functions of the task function, and of the set-up function,
#' are found by static code inspection ([globals::globalsOf()]),
#' recursively: a helper's own globals are found too (a helper that calls
#' another helper that uses a constant ships all three).  Packages follow
#' from the code: an attached package whose functions it uses is attached
#' on every rank (`[task] packages`, in the session's order), and a
#' package it calls as `pkg::fun` is loaded, not attached, on every rank
#' before any task runs.  The globals are saved once, to
#' `grid.globals.rds` in the job's folder, and every rank loads them once
#' (see the globals of [rsim_run()]).  A global that is found nowhere, or
#' a package that is not installed, refuses the launch, naming it and what
#' uses it; a name that is not a variable (a column used by [subset()],
#' [with()] or a dplyr verb) goes in `not_globals`.  Names inside formulas
#' (`y ~ x`) are not refused.  Globals of 10 MB or more (the option
#' `rsim.large_global`, in bytes) are reported with their size: every rank
#' holds a copy.
#'
#' Running the same call again is the same job: the same globals give a
#' byte-identical globals file, so a finished job is "already complete"
#' and an interrupted one resumes.  A changed function or other globals
#' for the same results are refused before anything is written (the result
#' file records the hash of the task script and of the globals it was
#' made with); `fresh = TRUE` starts over.
#'
#' @param fun the task: an R function (called once per task with its grid
#'   point, `args` and, if it takes it, `.task`), or what [write_grid()]
#'   takes instead: an R script with `function_name`, or [native_kernel()].
#' @param grid,replicates,seed the grid, the replicates per point and the
#'   seed, as in [write_grid()].
#' @param np number of MPI ranks; default that of [rsim_run()].
#' @param dir the job's folder, created if needed; default the job's name
#'   (`name`, else the name of `fun`) in the current folder.  It holds
#'   `grid.toml`, `grid.R`, the globals files and the result file
#'   `<name>.h5`.
#' @param background if `TRUE` (default) return at once; if `FALSE` wait
#'   for the job to end (with a progress bar in interactive sessions).
#' @param globals `TRUE` (default) to find the globals and packages of a
#'   task function `fun` (and of a `setup` function); a named list to ship
#'   exactly these objects (nothing is searched); `FALSE` for none.  With a
#'   script or a native kernel nothing is searched.
#' @param not_globals names the search should not take for variables,
#'   e.g. columns used by non-standard evaluation.
#' @param fresh,rerun_failed as in [rsim_run()].
#' @param ... settings of [write_grid()] (`args`, `packages`, `name`,
#'   `output`, `function_name`, `setup`, `data`, `chunk`, `checkpoint`,
#'   `timeout`, `retries`, `memory`, `plugin`) and the `mpirun` and
#'   `mpi_args` of [rsim_run()].
#' @return The job ([rsim_run()]'s `rsim_job`: `job$status()`,
#'   `job$wait()`, `job$result()`, ...), finished if `background = FALSE`.
#' @export
#' @examples
#' \donttest{
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   shift <- 0.5
#'   effect <- function(n) stats::median(rnorm(n)) + shift # a helper using a global
#'   sim <- function(n, sd) list(m = effect(n) * sd)
#'   job <- run_grid(sim, grid = list(n = c(10, 100), sd = c(1, 2)), replicates = 20, seed = 1,
#'     np = 1, dir = file.path(tempdir(), "sim"), background = FALSE
#'   )
#'   job$status()
#'   head(job$result())
#' }
#' }
run_grid <- function(fun, grid = NULL, replicates = 1, seed, np = NULL, dir = NULL, background = TRUE,
                     globals = TRUE, not_globals = character(), fresh = FALSE, rerun_failed = FALSE, ...) {
  label <- deparse(substitute(fun), nlines = 1L)[1]
  dots <- list(...)
  run_opts <- dots[intersect(names(dots), c("mpirun", "mpi_args"))]
  wg <- dots[setdiff(names(dots), names(run_opts))]
  if (missing(seed)) cli::cli_abort("{.arg seed} is missing: every rsim job needs a seed, e.g. {.code seed = 20261129}.")
  wg$name <- wg$name %||% (if (is_r_name(label)) label else "job")
  check_name_string(wg$name)
  if (is.function(fun)) {
    wg$function_name <- wg$function_name %||% (if (is_r_name(label)) label else "simulate")
    if (is.character(wg$setup)) wg$setup <- get(wg$setup, envir = parent.frame(), mode = "function")
  }
  shipped <- shipped_globals(fun, globals, wg, not_globals)
  wg$packages <- unique(c(shipped$packages, wg$packages))
  dir <- dir %||% wg$name
  if (!dir.exists(dir)) dir.create(dir, recursive = TRUE)
  g <- write_job_files(c(list(file = file.path(dir, "grid.toml"), fun_or_script = fun, grid = grid,
                              replicates = replicates, seed = seed), wg), fresh)
  report_large_globals(shipped$globals)
  job <- do.call("rsim_run", c(list(g, background = TRUE, globals = shipped$globals, namespaces = shipped$namespaces,
                                  fresh = fresh, rerun_failed = rerun_failed), if (!is.null(np)) list(np = np), run_opts))
  if (!isTRUE(background)) job$wait(progress = interactive())
  job
}

# What ships with the task: list(globals, packages, namespaces).
shipped_globals <- function(fun, globals, wg, not_globals, call = parent.frame()) {
  if (is.list(globals)) return(list(globals = globals, packages = character(), namespaces = character()))
  if (!isTRUE(globals) && !isFALSE(globals)) {
    cli::cli_abort("{.arg globals} must be {.code TRUE} (find them), {.code FALSE} (none) or a named list of objects.", call = call)
  }
  if (!is.character(not_globals)) cli::cli_abort("{.arg not_globals} must be a character vector of names.", call = call)
  if (isFALSE(globals) || !is.function(fun)) return(list(globals = list(), packages = character(), namespaces = character()))
  found <- find_globals(fun, wg$setup, exclude = c(wg$function_name, "rsim_setup", names(wg$data), not_globals))
  refuse_missing_globals(found, call = call)
  found
}

# write_grid(), except that a task script or grid the existing results were
# made with is put back when the new one would be refused (the result file
# records the script's hash): nothing is left changed by a refused call.
write_job_files <- function(wg_args, fresh, call = parent.frame()) {
  paths <- c(wg_args$file, paste0(tools::file_path_sans_ext(wg_args$file), ".R"))
  before <- lapply(paths, function(p) if (file.exists(p)) readBin(p, "raw", file.size(p)))
  g <- do.call("write_grid", wg_args)
  if (isTRUE(fresh) || !is.function(wg_args$fun_or_script) || !nzchar(rsim_binary(required = FALSE))) return(g)
  script <- paths[2]
  checks <- stats::setNames(c(script, script), paste(c("task script", "sourced file"), basename(script)))
  tryCatch(check_recorded_files(inspect_job(g)$files$output, checks, call = call), rsim_changed_job = function(e) {
    for (i in seq_along(paths)) if (is.null(before[[i]])) unlink(paths[i]) else writeBin(before[[i]], paths[i])
    stop(e)
  })
  g
}
