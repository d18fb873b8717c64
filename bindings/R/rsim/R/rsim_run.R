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
#'   failed (bad grid.toml, I/O error, killed) or was stopped;
#' * `job$stop(timeout = 60, kill = FALSE)`: the clean stop: SIGUSR1 to
#'   mpirun (which forwards it to every rank) or to rsim, so every rank
#'   commits what it finished and the job exits with code 4; then waits up
#'   to `timeout` seconds for it to end.  After that it warns and returns,
#'   the job still running; only `kill = TRUE` then kills it (SIGKILL).
#'   The tasks committed stay in the checkpoint folder and running the same
#'   job again resumes it.  `job$kill()` is the same as `job$stop()`;
#' * `job$result(...)`: waits, then [read_results()] of the output file ([read_summary()] for a job that keeps per-point summaries);
#' * `job$output`, `job$grid`, `job$pid`, `job$process` (the
#'   [processx::process]), `job$log()` (what rsim and mpirun printed).
#'
#' The job keeps running if its R object is discarded or the R session
#' ends; [rsim_job()] finds it again by its grid.toml or output, from any
#' session.
#'
#' In RStudio (when the rstudioapi package is installed) the job also shows
#' in the Jobs pane: its progress is refreshed every second while the
#' console is idle (with the later package installed; without it, after
#' each console command) and while `wait()` runs, and its Stop button
#' sends the clean stop (`job$stop()`); a stopped job shows as cancelled.
#'
#' **Globals.**  `globals = list(name = value, ...)` makes R objects
#' available to every task of an R job, on every rank: `rsim_run()` saves
#' them to `<grid>.globals.rds` next to grid.toml and writes
#' `<grid>.globals.R`, a script that loads them and then sources the task
#' script, and `<grid>.globals.toml`, a copy of grid.toml whose `script`
#' is that wrapper.  That copy is what runs; the result file records it, so
#' [reproduce_task()] loads the same globals.  Keep the three files with
#' the results.  The same globals give a byte-identical `.rds` (functions
#' are saved without source references and byte code), so an unchanged
#' rerun is "already complete".  Other globals for the same results are
#' refused before anything is written: the result file records the hash
#' of the globals it was made with.  [run_grid()] finds the globals of a
#' task function itself.
#'
#' @param grid the grid.toml of the job (e.g. from [write_grid()]).
#' @param np number of MPI ranks (processes); every rank runs tasks.
#'   Default [parallelly::availableCores()]: the cores this R process may
#'   use (its cgroup CPU quota, a Slurm allocation, `mc.cores`), not every
#'   core of the machine.
#' @param background if `TRUE` (default) return the job at once; if
#'   `FALSE` wait for it (with a progress bar) and return its results as
#'   [read_results()] does.
#' @param output result file; default `[job] output` of grid.toml.  A
#'   relative path is relative to the current folder.
#' @param globals a named list of R objects for every R task (see above).
#' @param namespaces packages whose namespaces every rank loads before the
#'   task script is sourced, without attaching them (the packages a task
#'   calls as `pkg::fun`): a package missing on a rank stops the job before
#'   any task runs.  R tasks only.
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
#' @seealso [rsim_job()] to find a job again; [rsim_binary()] for how the
#'   rsim program is found.
#' @importFrom parallelly availableCores
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
#'   # stop a job cleanly (exit code 4); the same call later resumes it
#'   g3 <- write_grid(file.path(dir, "slow.toml"), native_kernel("busy_wait"),
#'     grid = list(ms = 20), replicates = 500, seed = 1, checkpoint = 0.5
#'   )
#'   job <- rsim_run(g3, np = 2)
#'   Sys.sleep(2)
#'   job$stop()
#'   rsim_run(g3, np = 2, background = FALSE)
#'
#'   # R objects for every task
#'   f <- function(n, .task) list(m = mean(sample(pool, n)))
#'   g2 <- write_grid(file.path(dir, "pool.toml"), f, grid = list(n = c(2, 5)), seed = 3)
#'   rsim_run(g2, np = 1, background = FALSE, globals = list(pool = c(1, 2, 10, 20, 30)))
#' }
#' }
rsim_run <- function(grid, np = parallelly::availableCores(), background = TRUE, output = NULL,
                     globals = list(), namespaces = character(), mpirun = getOption("rsim.mpirun", "mpirun"), mpi_args = NULL,
                     fresh = FALSE, rerun_failed = FALSE) {
  if (!is.character(grid) || length(grid) != 1L || is.na(grid)) {
    cli::cli_abort("{.arg grid} must be the path of a grid.toml (a single string).")
  }
  if (!file.exists(grid) || dir.exists(grid)) cli::cli_abort("The grid file {.file {grid}} does not exist.")
  if (length(np) == 1L && is.na(np)) np <- 1
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
  run_grid <- if (length(globals) || length(namespaces)) {
    write_globals(grid, spec, globals, namespaces, output = output, fresh = fresh)
  } else {
    grid
  }

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
