#' Run an rsim job from R
#'
#' Starts `mpirun -n np rsim grid.toml` (or `rsim grid.toml` alone for
#' `np = 1`) as a background process and returns a job object to watch it.
#' mpirun gets `--oversubscribe` (more ranks than cores are fine: idle ranks
#' sleep), and `--allow-run-as-root` when R runs as root.
#' The rsim program reads grid.toml first (`rsim inspect`): a mistake in
#' it stops `rsim_run()` at once, with rsim's message.
#'
#' The job object is an environment of class `rsim_job` with these methods:
#' * `job$status()`: state (`starting`, `running`, `finished`, `failed`,
#'   `killed`, `interrupted`), tasks done, total and failed, and the estimated seconds
#'   left, from the `<output>.status.json` file rsim rewrites every second;
#' * `job$wait(timeout = Inf, progress = interactive())`: blocks until the
#'   job ends, with a progress bar; stops with rsim's message if the job
#'   failed (bad grid.toml, I/O error, killed);
#' * `job$kill()`: stops the job (SIGTERM, so rsim commits what it
#'   finished); the tasks committed so far stay in the checkpoint folder and
#'   running the same job again resumes it;
#' * `job$result(...)`: waits, then [read_results()] of the output file;
#' * `job$output`, `job$grid`, `job$process` (the [processx::process]),
#'   `job$log()` (what rsim and mpirun printed).
#'
#' The job keeps running if its R object is discarded or the R session
#' ends; stop it with `job$kill()`.
#'
#' In RStudio (when the rstudioapi package is installed) the job also shows
#' in the Jobs pane, its progress updated whenever R is idle between
#' commands or while `wait()` runs.
#'
#' **Globals.**  `globals = list(name = value, ...)` makes R objects
#' available to every task of an R job, on every rank: `rsim_run()` saves
#' them to `<grid>.globals.rds` next to grid.toml and writes
#' `<grid>.globals.R`, a script that loads them and then sources the task
#' script, and `<grid>.globals.toml`, a copy of grid.toml whose `script`
#' is that wrapper.  That copy is what runs; the result file records it, so
#' [reproduce_task()] loads the same globals.  Keep the three files with
#' the results.
#'
#' @param grid the grid.toml of the job (e.g. from [write_grid()]).
#' @param np number of MPI ranks (processes); every rank runs tasks.
#' @param background if `TRUE` (default) return the job at once; if
#'   `FALSE` wait for it (with a progress bar) and return its results as
#'   [read_results()] does.
#' @param output result file; default `[job] output` of grid.toml.  A
#'   relative path is relative to the current folder.
#' @param globals a named list of R objects for every R task (see above).
#' @param mpirun the MPI launcher; default the option `rsim.mpirun`, else
#'   `mpirun` on the PATH.  Not used when `np = 1`.
#' @param mpi_args arguments for the launcher before `-n`; default
#'   `--oversubscribe` (plus `--allow-run-as-root` as root).
#' @param fresh if `TRUE`, start over: rsim moves an earlier result file
#'   and checkpoints of this output aside (`rsim --fresh`).  Without it, a
#'   job whose result file is complete is not run again, and an
#'   interrupted one resumes.
#' @param rerun_failed if `TRUE`, run only the tasks that failed in the
#'   existing result file again (`rsim --rerun-failed`).
#' @return An `rsim_job`, or with `background = FALSE` the results data
#'   frame.
#' @seealso [rsim_binary()] for how the rsim program is found.
#' @importFrom parallel detectCores
#' @export
#' @examples
#' \donttest{
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   dir <- tempfile("run")
#'   dir.create(dir)
#'   g <- write_grid(file.path(dir, "grid.toml"), native_kernel("ttest_power"),
#'     grid = list(n = c(10, 50), delta = c(0, 0.5)), replicates = 200, seed = 1
#'   )
#'   job <- rsim_run(g, np = 2)
#'   job$wait()
#'   job$status()
#'   head(job$result())
#'
#'   # R objects for every task
#'   f <- function(n, .task) list(m = mean(sample(pool, n)))
#'   g2 <- write_grid(file.path(dir, "pool.toml"), f, grid = list(n = c(2, 5)), seed = 3)
#'   rsim_run(g2, np = 1, background = FALSE, globals = list(pool = c(1, 2, 10, 20, 30)))
#' }
#' }
rsim_run <- function(grid, np = parallel::detectCores(), background = TRUE, output = NULL,
                     globals = list(), mpirun = getOption("rsim.mpirun", "mpirun"), mpi_args = NULL,
                     fresh = FALSE, rerun_failed = FALSE) {
  if (!is.character(grid) || length(grid) != 1L || is.na(grid)) {
    cli::cli_abort("{.arg grid} must be the path of a grid.toml (a single string).")
  }
  if (!file.exists(grid) || dir.exists(grid)) cli::cli_abort("The grid file {.file {grid}} does not exist.")
  if (length(np) == 1L && is.na(np)) np <- 1  # detectCores() could not tell
  if (!is.numeric(np) || length(np) != 1L || is.na(np) || np < 1 || np != round(np)) {
    cli::cli_abort("{.arg np} must be a whole number of ranks, at least 1.")
  }
  bin <- rsim_binary()
  grid <- normalizePath(grid)
  spec <- inspect_job(grid) # rsim reads the grid: a mistake in it stops here, with rsim's message
  if (!is.null(output)) {
    if (!is.character(output) || length(output) != 1L || !nzchar(output)) cli::cli_abort("{.arg output} must be a file path.")
    if (!is_absolute(output)) output <- file.path(getwd(), output)
    output <- normalize_path_soft(output)
  } else {
    output <- spec$files$output
  }
  run_grid <- if (length(globals)) write_globals(grid, spec, globals) else grid

  if (isTRUE(fresh) && isTRUE(rerun_failed)) {
    cli::cli_abort("{.arg fresh} starts over and {.arg rerun_failed} keeps the results: give one of them.")
  }
  args <- c(run_grid, "-q", if (output != spec$files$output) c("-o", output),
            if (isTRUE(fresh)) "--fresh", if (isTRUE(rerun_failed)) "--rerun-failed")
  if (np == 1) {
    cmd <- bin
  } else {
    cmd <- Sys.which(mpirun)
    if (!nzchar(cmd)) {
      cli::cli_abort(c("Cannot find the MPI launcher {.code {mpirun}}.",
        i = "Install Open MPI (apt-get install openmpi-bin), set {.code options(rsim.mpirun = )}, or run on one rank with {.code np = 1}."
      ))
    }
    if (is.null(mpi_args)) mpi_args <- default_mpi_args()
    args <- c(mpi_args, "-n", as.character(np), bin, args)
  }
  unlink(paste0(output, ".status.json"))
  logdir <- tempfile("rsim-job")
  dir.create(logdir)
  # cleanup = FALSE: a job outlives its R object and the R session (a
  # discarded job object must not kill a long run when it is collected)
  proc <- processx::process$new(cmd, args,
    stdout = file.path(logdir, "stdout"), stderr = file.path(logdir, "stderr"),
    cleanup = FALSE
  )
  job <- new_job(proc, grid = run_grid, output = output, n_tasks = as.numeric(spec$n_tasks), name = spec$job$name,
                 np = np, logdir = logdir, command = c(cmd, args))
  rstudio_register(job)
  if (background) return(job)
  job$wait(progress = interactive())
  job$result()
}

default_mpi_args <- function() {
  c("--oversubscribe", if (identical(unname(Sys.info()[["effective_user"]]), "root")) "--allow-run-as-root")
}

# Saves globals, a wrapper script that loads them and sources the task
# script, and a grid.toml copy that runs the wrapper; returns its path.
# `spec` is `rsim inspect` of `grid`.
write_globals <- function(grid, spec, globals) {
  if (!is.list(globals) || is.null(names(globals)) || any(!nzchar(names(globals))) || anyDuplicated(names(globals))) {
    cli::cli_abort("{.arg globals} must be a named list of R objects, e.g. {.code list(data = df, model = fit)}.")
  }
  if (!identical(spec$task$backend, "r")) {
    cli::cli_abort("{.arg globals} reach R tasks only; {.file {grid}} runs a native kernel.")
  }
  script <- spec$task$script # absolute: rsim resolved it
  dir <- dirname(grid)
  base <- file.path(dir, paste0(tools::file_path_sans_ext(basename(grid)), ".globals"))
  rds <- paste0(base, ".rds")
  wrapper <- paste0(base, ".R")
  toml <- paste0(base, ".toml")
  saveRDS(globals, rds)
  writeLines(c(
    "# Written by rsim::rsim_run(): loads the globals given to rsim_run(), then the task script.",
    sprintf("list2env(readRDS(%s), envir = environment())", deparse(normalizePath(rds))),
    sprintf("source(%s, local = environment())", deparse(script))
  ), wrapper)
  lines <- readLines(grid, warn = FALSE, encoding = "UTF-8")
  at <- task_script_line(lines)
  if (length(at) != 1L) cli::cli_abort("Cannot find the {.field script} line of [task] in {.file {grid}}.")
  lines[at] <- sprintf("script = %s  # rsim_run(globals = ): loads %s, then %s",
                       toml_quote(basename(wrapper)), basename(rds), relative_to(script, dir))
  writeLines(lines, toml)
  toml
}

# The line of `script = ...` in the [task] table of grid.toml lines.
task_script_line <- function(lines) {
  headers <- grep("^\\s*\\[", lines)
  task_at <- grep("^\\s*\\[\\s*task\\s*\\]", lines)
  if (length(task_at) != 1L) return(integer())
  end <- c(headers[headers > task_at], length(lines) + 1L)[1]
  task_at + grep("^\\s*script\\s*=", lines[seq.int(task_at + 1L, length.out = end - task_at - 1L)])
}

new_job <- function(proc, grid, output, n_tasks, name, np, logdir, command) {
  job <- new.env(parent = emptyenv())
  job$process <- proc
  job$grid <- grid
  job$output <- output
  job$name <- name
  job$n_tasks <- n_tasks
  job$np <- np
  job$command <- command
  job$started <- Sys.time()
  job$killed <- FALSE
  job$log <- function() {
    rd <- function(f) if (file.exists(f)) readLines(f, warn = FALSE) else character()
    c(rd(file.path(logdir, "stdout")), rd(file.path(logdir, "stderr")))
  }
  job$status <- function() job_status(job, logdir)
  job$wait <- function(timeout = Inf, progress = interactive()) job_wait(job, logdir, timeout, progress)
  job$kill <- function() job_kill(job)
  job$result <- function(...) {
    job_wait(job, logdir, Inf, FALSE, inform = FALSE)
    read_results(output, ...)
  }
  class(job) <- "rsim_job"
  job
}

job_status <- function(job, logdir) {
  proc <- job$process
  alive <- proc$is_alive()
  exit <- if (alive) NA_integer_ else proc$get_exit_status()
  st <- read_status_json(job$output)
  total <- if (!is.null(st$n_tasks)) as.numeric(st$n_tasks) else job$n_tasks
  done <- if (!is.null(st$done)) as.numeric(st$done) else 0
  failed <- if (!is.null(st$failed)) as.numeric(st$failed) else 0
  eta <- if (is.numeric(st$eta_seconds)) as.numeric(st$eta_seconds) else NA_real_
  state <- if (alive) {
    if (is.null(st)) "starting" else "running"
  } else if (isTRUE(job$killed)) {
    "killed"
  } else if (exit %in% c(0L, 3L)) {
    "finished"
  } else if (exit == 4L) {
    "interrupted"
  } else {
    "failed"
  }
  if (state == "finished") {
    done <- total
    eta <- 0
  }
  message <- if (state == "failed") failure_message(logdir)
  s <- list(state = state, done = done, total = total, failed = failed, eta_seconds = eta,
            exit_status = exit, output = job$output, message = message)
  rstudio_update(job, s)
  structure(s, class = "rsim_job_status")
}

# rsim's own error lines (and their fix: lines) from what the job printed,
# else the last lines (mpirun's notes come after rsim's message).
failure_message <- function(logdir) {
  err <- readLines(file.path(logdir, "stderr"), warn = FALSE)
  err <- err[nzchar(trimws(err))]
  mine <- grep("^(rsim: |  fix: )", err)
  keep <- if (length(mine)) err[mine] else utils::tail(err, 6L)
  in_r_words(paste(unique(keep), collapse = "\n"))
}

# rsim's advice as rsim_run() arguments: "--fresh" is `fresh = TRUE` here.
in_r_words <- function(msg) {
  words <- c("--rerun-failed" = "rerun_failed = TRUE", "--fresh" = "fresh = TRUE", "--output" = "output =",
             "run the same command again" = "run rsim_run() again")
  for (w in names(words)) msg <- gsub(w, words[[w]], msg, fixed = TRUE)
  msg
}

#' @export
print.rsim_job_status <- function(x, ...) {
  pct <- if (x$total > 0) 100 * x$done / x$total else 100
  cat(sprintf("rsim job %s: %s/%s tasks (%.1f%%), %s failed",
    x$state, format(x$done, big.mark = ",", scientific = FALSE), format(x$total, big.mark = ",", scientific = FALSE),
    pct, format(x$failed, scientific = FALSE)))
  if (x$state == "running" && is.finite(x$eta_seconds)) cat(sprintf(", ETA %s", format_seconds(x$eta_seconds)))
  if (!is.na(x$exit_status)) cat(sprintf(", exit code %d", x$exit_status))
  cat("\n")
  if (!is.null(x$message) && nzchar(x$message)) cat(x$message, "\n", sep = "")
  invisible(x)
}

#' @export
print.rsim_job <- function(x, ...) {
  cat(sprintf("<rsim_job %s on %d rank%s>\n  grid:   %s\n  output: %s\n", x$name, as.integer(x$np),
    if (x$np == 1) "" else "s", x$grid, x$output))
  print(x$status())
  invisible(x)
}

job_wait <- function(job, logdir, timeout, progress, inform = TRUE) {
  proc <- job$process
  t0 <- Sys.time()
  if (progress) {
    eta <- "?"
    nfail <- 0
    cli::cli_progress_bar(
      format = "rsim {job$name} {cli::pb_bar} {cli::pb_current}/{cli::pb_total} tasks | {nfail} failed | ETA {eta}",
      total = job$n_tasks, clear = FALSE
    )
  }
  repeat {
    alive <- proc$is_alive()
    if (progress) {
      s <- job_status(job, logdir)
      eta <- if (is.finite(s$eta_seconds)) format_seconds(s$eta_seconds) else "?"
      nfail <- s$failed
      cli::cli_progress_update(set = if (is.na(job$n_tasks)) s$done else min(s$done, job$n_tasks), force = TRUE)
    }
    if (!alive) break
    if (as.numeric(difftime(Sys.time(), t0, units = "secs")) > timeout) {
      if (progress) cli::cli_progress_done()
      return(invisible(job_status(job, logdir)))
    }
    proc$wait(250)
  }
  if (progress) cli::cli_progress_done()
  s <- job_status(job, logdir)
  if (s$state == "failed") {
    cli::cli_abort(c("The rsim job {job$name} failed (exit code {s$exit_status}).",
      x = "{s$message}",
      i = if (!identical(s$exit_status, 1L) && dir.exists(paste0(job$output, ".ckpt"))) {
        "Finished tasks are kept in {.file {paste0(job$output, '.ckpt')}}; once the cause is fixed, running the job again resumes it."
      }
    ))
  }
  if (s$state %in% c("killed", "interrupted")) {
    cli::cli_abort(c(if (s$state == "killed") "The rsim job {job$name} was stopped with {.code job$kill()}." else
      "The rsim job {job$name} was interrupted by a signal (exit code 4).",
      i = "{s$done} of {s$total} tasks were done; run it again to resume from its checkpoints."
    ))
  }
  if (inform && s$state == "finished" && identical(s$exit_status, 3L)) {
    cli::cli_inform(c("!" = "{s$failed} task{?s} of {job$name} failed; see {.code read_errors(\"{job$output}\")}."))
  }
  invisible(s)
}

job_kill <- function(job) {
  proc <- job$process
  if (!proc$is_alive()) return(invisible(FALSE))
  job$killed <- TRUE
  proc$signal(tools::SIGTERM)
  proc$wait(10000)  # rsim commits and exits on SIGTERM; SIGKILL only as a last resort
  try(proc$kill_tree(), silent = TRUE)  # ranks mpirun left behind
  ckpt <- paste0(job$output, ".ckpt")
  if (dir.exists(ckpt)) {
    cli::cli_inform(c(i = "Stopped {job$name}; its committed tasks are in {.file {ckpt}}: run it again to resume."))
  }
  invisible(TRUE)
}
