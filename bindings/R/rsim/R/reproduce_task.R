#' Run one task of a job again, in this R session
#'
#' For an R job: sources the job's script into a fresh environment
#' (attaching its `packages` and running its `setup` function first, as
#' rsim does on every rank), sets `.Random.seed` to [task_seed()], and calls
#' the task function with the task's grid parameters and `[args]` (and
#' `.task = list(task, point, replicate)` if the function takes `.task`).
#' The value is what the task returned, so it equals the task's row of
#' [read_results()] — and an error is raised here, with a traceback you
#' can inspect, [debug()] the function first to step through it.  The
#' session's random number generator state is restored afterwards.
#'
#' For a native job: runs `rsim --task T grid.toml` and returns the task's
#' fields as a named list; a failed task raises its error message.  The
#' binary is looked up as [rsim_binary()] does.
#'
#' Given a result file, the grid.toml text recorded in the file is used;
#' the R script is looked up next to the recorded grid.toml path, next to
#' the result file, or at the path rsim recorded.  The script may have
#' changed since the job ran: rsim records the grid.toml, not the script.
#'
#' @inheritParams task_seed
#' @return What the task returned: for an R task, the function's value; for
#'   a native kernel, a named list of its fields.
#' @export
#' @examples
#' dir <- tempfile("repro")
#' dir.create(dir)
#' sim <- function(n, shift) list(mean = mean(rnorm(n)) + shift)
#' g <- write_grid(file.path(dir, "grid.toml"), sim,
#'   grid = list(n = c(5, 50), shift = c(0, 1)), replicates = 3, seed = 11
#' )
#' reproduce_task(g, 7)   # point 2 (n = 50, shift = 0), replicate 1
#' \donttest{
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   res <- rsim_run(g, np = 1, background = FALSE)
#'   res[res$task == 7, ]
#' }
#' }
reproduce_task <- function(path_or_grid, task) {
  job <- job_spec(path_or_grid)
  task <- check_task(task, job$n_tasks)
  if (identical(job$backend, "r")) reproduce_r(job, task) else reproduce_native(job, task)
}

task_context <- function(job, task) {
  point <- task %/% job$replicates
  list(task = task, point = point, replicate = task - point * job$replicates)
}

find_script <- function(job) {
  script <- job$task$script
  if (is.null(script)) cli::cli_abort("The job's [task] has no {.field script}.")
  if (is_absolute(script)) {
    cand <- script
  } else {
    cand <- file.path(job$grid_dirs, script)
  }
  detail <- job$task_detail
  if (!is.null(detail) && grepl("^R function .* in ", detail)) {
    cand <- c(cand, sub("^R function .*? in ", "", detail, perl = TRUE))
  }
  hit <- cand[file.exists(cand) & !dir.exists(cand)]
  if (!length(hit)) {
    cli::cli_abort(c("Cannot find the job's R script {.file {script}}.",
      i = "Looked for {.file {unique(cand)}}.",
      i = "Run from the folder rsim ran in, or give the grid.toml instead of the result file."
    ))
  }
  normalizePath(hit[1])
}

reproduce_r <- function(job, task) {
  script <- find_script(job)
  fname <- job$task[["function"]]
  for (p in job$task$packages) {
    if (!requireNamespace(p, quietly = TRUE)) {
      cli::cli_abort("The job needs package {.pkg {p}}, which is not installed.")
    }
    if (!paste0("package:", p) %in% search()) {
      suppressPackageStartupMessages(attachNamespace(p))
    }
  }
  env <- new.env(parent = globalenv())
  source(script, local = env, echo = FALSE, keep.source = TRUE)
  fun <- get0(fname, envir = env, mode = "function")
  if (is.null(fun)) cli::cli_abort("The script {.file {script}} defines no function {.fn {fname}}.")
  setup <- job$task$setup
  if (!is.null(setup)) {
    sfun <- get0(setup, envir = env, mode = "function")
    if (is.null(sfun)) cli::cli_abort("The script {.file {script}} defines no setup function {.fn {setup}}.")
    sfun()
  }
  ctx <- task_context(job, task)
  args <- c(job$point_values(ctx$point), lapply(job$args, function(v) v))
  if (".task" %in% names(formals(fun))) args$.task <- ctx

  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE)
  on.exit(if (had) assign(".Random.seed", old, envir = genv) else if (exists(".Random.seed", envir = genv, inherits = FALSE)) rm(".Random.seed", envir = genv), add = TRUE)
  assign(".Random.seed", lecuyer_stream(job$seed, task), envir = genv)
  do.call(fname, args, envir = env)  # by name, so warnings and tracebacks read draw(...)
}

reproduce_native <- function(job, task) {
  bin <- rsim_binary()
  check_binary_format(bin, job$format_version)
  grid <- job$grid_path
  if (!is.null(job$file)) {
    # the grid.toml the job ran: the recorded file if unchanged, else a copy of its text
    same <- !is.null(grid) && file.exists(grid) &&
      identical(paste(readLines(grid, warn = FALSE), collapse = "\n"), sub("\n$", "", job$grid_text))
    if (!same) {
      grid <- file.path(tempfile("rsim-task"), "grid.toml")
      dir.create(dirname(grid))
      on.exit(unlink(dirname(grid), recursive = TRUE), add = TRUE)
      writeBin(charToRaw(enc2utf8(job$grid_text)), grid)
    }
  }
  r <- processx::run(bin, c("--task", format(task, scientific = FALSE), grid), error_on_status = FALSE)
  if (!r$status %in% c(0L, 3L)) {
    cli::cli_abort(c("{.code rsim --task {format(task, scientific = FALSE)}} failed (exit code {r$status}).", x = "{trimws(r$stderr)}"))
  }
  lines <- strsplit(r$stdout, "\n", fixed = TRUE)[[1]]
  start <- utils::tail(grep("^task = ", lines), 1L)
  out <- parse_toml(lines[start:length(lines)], "rsim --task output")
  if (!identical(out$status, "ok")) {
    cli::cli_abort(c("Task {format(task, scientific = FALSE)} failed ({out$status}): {out$message}", i = "Where: {out$calls}"),
      class = "rsim_task_error"
    )
  }
  fields <- strip_toml(out$fields)
  fields <- lapply(fields, function(v) {
    if (is.double(v)) v[is.nan(v)] <- NA_real_
    v
  })
  fields
}
