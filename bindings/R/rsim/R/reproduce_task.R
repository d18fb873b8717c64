#' Run one task of a job again, in this R session
#'
#' For an R job: sources the job's script into a fresh environment
#' (attaching its `packages` first and running its `setup` function after,
#' as rsim does on every rank), sets `.Random.seed` to [task_seed()], and calls
#' the task function with the task's grid parameters and `[args]` (and
#' `.task = list(task, point, replicate)` if the function takes `.task`).
#' The value is what the task returned, so it equals the task's row of
#' [read_results()] — and an error is raised here, with a traceback you
#' can inspect, [debug()] the function first to step through it.  The
#' session's random number generator state is restored afterwards.
#'
#' The task sees what the ranks had and nothing else: the objects of the
#' script, the globals shipped with the job (by [run_grid()] or the
#' `globals` of [rsim_run()]), the job's packages and its `[data]` inputs
#' (loaded by the rsim program as the ranks load them), in an environment
#' that stands in for a rank's global environment.  The session's global
#' environment is not looked in: a global the run had is found although the
#' session has no such variable, and a session variable of the same name is
#' not used.  What set-up or the task assign there (`<<-`) stays in that
#' environment; the session's objects are left as they were.
#'
#' For a native job: runs `rsim --task T grid.toml` and returns the task's
#' fields as a named list; a failed task raises its error message.
#'
#' Both need the rsim program, looked up as [rsim_binary()] does: it reads
#' the grid.toml and gives the task's seed and grid parameters
#' (`rsim inspect --task`).
#'
#' Given a result file, the job it records is used (the grid parameters
#' as its `/grid` datasets store them); the R script is looked up where the
#' job ran it, next to the recorded grid.toml path, next to the result
#' file, or at the path rsim recorded.  The result file records the hash
#' of the script and of each file the script read at set-up (sourced
#' scripts, the globals file): a reproduction whose files differ from those
#' is refused, naming them, as rsim refuses to resume such a job.
#'
#' @inheritParams task_seed
#' @return What the task returned: for an R task, the function's value; for
#'   a native kernel, a named list of its fields.
#' @export
#' @examples
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   dir <- tempfile("repro")
#'   dir.create(dir)
#'   sim <- function(n, shift) list(mean = mean(rnorm(n)) + shift)
#'   g <- write_grid(file.path(dir, "grid.toml"), sim,
#'     grid = list(n = c(5, 50), shift = c(0, 1)), replicates = 3, seed = 11
#'   )
#'   reproduce_task(g, 7)   # point 2 (n = 50, shift = 0), replicate 1
#' }
#' \donttest{
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   res <- rsim_run(g, np = 1, background = FALSE)
#'   res[res$task == 7, ]
#'
#'   # globals: the value the ranks had, whatever the session has now
#'   k <- 2
#'   job <- run_grid(function(n) list(v = n * k), grid = list(n = 1:3), seed = 1, np = 1,
#'     dir = file.path(dir, "k"), background = FALSE
#'   )
#'   k <- 100
#'   reproduce_task(job$output, 2) # v = 6, as on the rank
#' }
#' }
reproduce_task <- function(path_or_grid, task) {
  job <- job_spec(path_or_grid)
  task <- check_task(task, job$n_tasks)
  if (identical(job$backend, "r")) reproduce_r(job, task) else reproduce_native(job, task)
}

# Where the job's R script may be: where rsim ran it, the same path below
# each folder the grid.toml may be in, and the path the result file records.
script_candidates <- function(job) {
  script <- job$task$script
  if (is.null(script)) cli::cli_abort("The job's [task] has no {.field script}.")
  if (is.null(job$file)) return(script)
  src <- job$json$source$path
  base <- if (!is.null(src) && is_absolute(src)) paste0(dirname(src), "/")
  rel <- if (!is.null(base) && startsWith(script, base)) substring(script, nchar(base) + 1L) else basename(script)
  cand <- c(script, file.path(job$grid_dirs, rel))
  detail <- job$task_detail
  if (!is.null(detail) && grepl("^R function .* in ", detail)) {
    cand <- c(cand, sub("^R function .*? in ", "", detail, perl = TRUE))
  }
  unique(cand)
}

find_script <- function(job) {
  cand <- script_candidates(job)
  hit <- cand[file.exists(cand) & !dir.exists(cand)]
  if (!length(hit)) {
    cli::cli_abort(c("Cannot find the job's R script {.file {basename(cand[1])}}.",
      i = "Looked for {.file {cand}}.",
      i = "Run from the folder rsim ran in, or give the grid.toml instead of the result file."
    ))
  }
  normalizePath(hit[1])
}

reproduce_r <- function(job, task, call = parent.frame()) {
  view <- task_view(job, task)
  seed <- r_seed(job, view)
  script <- find_script(job)
  check_recorded_inputs(job, script, call = call) # the script, before it runs
  fname <- job$task[["function"]]
  env <- task_environment(job, script)
  check_recorded_inputs(job, script, attr(env, "read"), call = call) # and what it read: the globals, sourced files
  args <- c(view$params, job$args)
  if (".task" %in% names(formals(get(fname, envir = env)))) args$.task <- view[c("task", "point", "replicate")]
  keeping_rng(keeping_globalenv(new.env(), {
    assign(".Random.seed", seed, envir = globalenv())
    do.call(fname, args, envir = env) # by name, so warnings and tracebacks read draw(...)
  }))
}

reproduce_native <- function(job, task) {
  check_binary_format(rsim_binary(), job$format_version)
  run <- function(grid) run_single_task(grid, task)
  out <- if (is.null(job$file)) {
    run(job$grid_path)
  } else {
    # the grid.toml the job ran: the recorded file if unchanged, else a copy of its text
    grid <- recorded_grid_unchanged(job)
    if (!is.null(grid)) run(grid) else with_recorded_grid(job$grid_text, job$grid_dirs, run)
  }
  if (!identical(out$status, "ok")) {
    cli::cli_abort(c("Task {format(task, scientific = FALSE)} failed ({out$status}): {out$message}", i = "Where: {out$calls}"),
      class = "rsim_task_error"
    )
  }
  out$fields
}
