# The job object of rsim_run() and rsim_job(): status, wait with a progress
# bar, a clean stop, results.  A job started by rsim_run() in this session
# holds its processx handle (the launcher's exit code is known); a job
# found again by rsim_job() is watched through its status file
# (<output>.status.json: state, rank 0's pid and host) and signalled by pid
# when it runs on this host.

#' Find a running or finished rsim job again
#'
#' Returns the job object [rsim_run()] returns for a job started elsewhere:
#' yesterday, by another R session, by `mpirun` in a shell or by Slurm.  It
#' is found by its grid.toml or its output path and watched through the
#' status file rsim keeps next to the output (`<output>.status.json`,
#' rewritten every half second while the job runs; it names the state, the
#' tasks done and failed, and the pid and host of rank 0).
#'
#' The job has the methods of an [rsim_run()] job:
#' * `job$status()`: state (`starting`, `running`, `finished`, `failed`,
#'   `killed`, `interrupted`, or `unknown` for a job on another host whose
#'   status file has not changed for 30 s), tasks done, total and failed,
#'   the estimated seconds left, `pid` and `host` of rank 0;
#' * `job$wait(timeout = Inf, progress = interactive())`: waits for the job
#'   to end, with a progress bar;
#' * `job$stop(timeout = 60, kill = FALSE)`: the clean stop (SIGUSR1, see
#'   Details), then waits up to `timeout` seconds for the job to exit;
#' * `job$result(...)`: waits, then [read_results()] of the output;
#' * `job$output`, `job$grid`, `job$pid`, `job$host`, `job$log()` (what R
#'   tasks printed: the rank logs in `<output>.logs/`).
#'
#' **Stopping.**  `job$stop()` sends SIGUSR1, rsim's clean stop: every rank
#' commits the tasks it finished, abandons a running R task (it runs again
#' on resume) or finishes a running native kernel task, and the job exits
#' with code 4; running the same job again resumes it.  The signal goes to
#' `mpirun` when rank 0's parent is `mpirun` (which forwards it to every
#' rank), else to rank 0 (which tells the other ranks).  `stop()` then waits
#' for the job to end; after `timeout` seconds it warns and returns, the
#' job still running (a task inside native code finishes first).  Only
#' `kill = TRUE` then kills it (SIGKILL: the tasks finished since each
#' rank's last checkpoint are lost).  A job whose rank 0 runs on another
#' host cannot be signalled from here: `stop()` says so and names the
#' host and pid.
#'
#' @param path the job's grid.toml (needs the rsim program, which names its
#'   output), its result file path, or its `<output>.status.json`.
#' @param output the result file, for a job run with another output than
#'   the grid.toml's `[job] output` (`rsim -o`).
#' @return An `rsim_job` (see [rsim_run()]).
#' @seealso [rsim_run()] to start a job; `rsim status` (docs/cli.md) for
#'   the same view from a shell.
#' @export
#' @examples
#' \donttest{
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   dir <- tempfile("job")
#'   dir.create(dir)
#'   g <- write_grid(file.path(dir, "grid.toml"), native_kernel("busy_wait"),
#'     grid = list(ms = 10), replicates = 1000, seed = 1, chunk = 5, checkpoint = 0.2
#'   )
#'   rsim_run(g, np = 1)            # started, then forgotten
#'   while (!file.exists(file.path(dir, "grid.h5.status.json"))) Sys.sleep(0.1)
#'   job <- rsim_job(g)             # found again by its grid.toml
#'   job$status()
#'   job$stop()                     # the clean stop: exit code 4, resumable
#'   job$status()$state             # "interrupted"
#'   rsim_run(g, np = 1, background = FALSE)   # resumes
#'   rsim_job(file.path(dir, "grid.h5"))$status()
#' }
#' }
rsim_job <- function(path, output = NULL) {
  if (inherits(path, "rsim_job")) return(path)
  if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
    cli::cli_abort("{.arg path} must be the path of a grid.toml or of a job's result file (a single string).")
  }
  found <- job_paths(path, output)
  st <- read_status_json(found$output)
  if (is.null(st) && !any(file.exists(paste0(found$output, c("", ".ckpt", ".lock"))))) {
    cli::cli_abort(c("No rsim job found at {.file {found$output}}: no status file, result file or checkpoints.",
      i = "A job writes {.file {basename(found$output)}.status.json} once its tasks start; check the path, or {.arg output} for a job run with {.code -o}."
    ))
  }
  job <- new_job(NULL, grid = found$grid %||% as_string(st$grid, NA_character_), output = found$output,
                 n_tasks = found$n_tasks %||% as_number(st$n_tasks), name = found$name %||% as_string(st$job, basename(found$output)),
                 np = as_number(st$ranks), logdir = NULL, command = NULL)
  job$pid <- as_number(st$pid)
  job$host <- as_string(st$host, NA_character_)
  rstudio_register(job)
  job
}

# The output (and grid, name, task count when a grid.toml is given) of the
# job `path` names.
job_paths <- function(path, output) {
  out <- list()
  if (grepl("\\.toml$", path, ignore.case = TRUE)) {
    if (!file.exists(path) || dir.exists(path)) cli::cli_abort("The grid file {.file {path}} does not exist.", call = parent.frame(2))
    spec <- inspect_job(path, call = parent.frame(2))
    out <- list(grid = normalizePath(path), output = spec$files$output, name = spec$job$name,
                n_tasks = as.numeric(spec$n_tasks))
  } else {
    out$output <- sub("\\.status\\.json$", "", path)
  }
  if (!is.null(output)) out$output <- output
  if (!is_absolute(out$output)) out$output <- file.path(getwd(), out$output)
  out$output <- normalize_path_soft(out$output)
  out
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
  job$stopped <- FALSE # stop() sent the clean stop
  job$killed <- FALSE  # stop(kill = TRUE) killed it
  job$pid <- if (!is.null(proc)) proc$get_pid() else NA_real_
  job$host <- Sys.info()[["nodename"]]
  job$log <- function() job_log(job, logdir)
  job$status <- function() job_status(job, logdir)
  # (`call = environment()`: errors name job$wait(), not rsim's internals)
  job$wait <- function(timeout = Inf, progress = interactive()) {
    job_wait(job, logdir, timeout, progress, call = environment())
  }
  job$stop <- function(timeout = 60, kill = FALSE) job_stop(job, logdir, timeout, kill, call = environment())
  job$kill <- job$stop # the name of earlier versions; the same clean stop
  job$result <- function(...) {
    job_wait(job, logdir, Inf, FALSE, inform = FALSE, call = environment())
    if (keeps_summary(output)) read_summary(output, ...) else read_results(output, ...)
  }
  class(job) <- "rsim_job"
  job
}

job_log <- function(job, logdir) {
  rd <- function(f) if (file.exists(f)) readLines(f, warn = FALSE) else character()
  if (!is.null(logdir)) return(c(rd(file.path(logdir, "stdout")), rd(file.path(logdir, "stderr"))))
  files <- sort(list.files(paste0(job$output, ".logs"), pattern = "^rank-[0-9]+\\.log$", full.names = TRUE))
  unlist(lapply(files, rd), use.names = FALSE)
}

# --- where the job stands ------------------------------------------------------

job_status <- function(job, logdir) {
  st <- read_status_json(job$output)
  probe <- if (!is.null(job$process)) process_probe(job) else pid_probe(job, st)
  total <- as_number(st$n_tasks, job$n_tasks)
  s <- list(state = probe$state, done = as_number(st$done, 0), total = total, failed = as_number(st$failed, 0),
            eta_seconds = as_number(st$eta_seconds), exit_status = probe$exit, output = job$output,
            message = probe$message, pid = job$pid, host = job$host)
  if (s$state == "failed" && !is.null(logdir)) s$message <- failure_message(logdir)
  if (s$state == "finished") {
    s$done <- total
    s$eta_seconds <- 0
  }
  rstudio_update(job, s)
  structure(s, class = "rsim_job_status")
}

# The state of a job this session started: its launcher's exit code.
process_probe <- function(job) {
  proc <- job$process
  if (proc$is_alive()) {
    started <- !is.null(read_status_json(job$output))
    return(list(state = if (started) "running" else "starting", exit = NA_integer_))
  }
  exit <- proc$get_exit_status()
  state <- if (isTRUE(job$killed)) "killed" else if (exit %in% c(0L, 3L)) "finished" else
    if (exit == 4L) "interrupted" else "failed"
  list(state = state, exit = exit)
}

# The state of a job found again: the status file, and whether rank 0's
# process still runs (on this host), or how fresh the file is (elsewhere).
pid_probe <- function(job, st) {
  if (is.null(st)) return(probe_without_status(job$output))
  state <- as_string(st$state, "unknown")
  failed <- as_number(st$failed, 0)
  if (state == "finished") return(list(state = "finished", exit = if (failed > 0) 3L else 0L))
  if (state == "interrupted") return(list(state = if (isTRUE(job$killed)) "killed" else "interrupted", exit = 4L))
  if (state == "incomplete") {
    return(list(state = "failed", exit = 2L, message = "rsim wrote the result file with tasks not run (a checkpoint rank 0 could not see); run the job again."))
  }
  if (!identical(job$host, Sys.info()[["nodename"]])) return(remote_probe(job, st))
  if (job_process_alive(job, as_string(st$grid, job$grid))) return(list(state = "running", exit = NA_integer_))
  list(state = "killed", exit = NA_integer_,
       message = sprintf("rank 0 (pid %s) ended without writing its final state (killed, or a crash); the committed tasks are in %s.ckpt: run the job again to resume.",
                         format(job$pid), basename(job$output)))
}

probe_without_status <- function(output) {
  if (file.exists(output) && !dir.exists(output)) return(list(state = "finished", exit = NA_integer_))
  if (file.exists(paste0(output, ".lock"))) return(list(state = "starting", exit = NA_integer_))
  list(state = "unknown", exit = NA_integer_, message = "no status file: the job has not started its tasks, or it stopped before")
}

# A job whose rank 0 runs on another host: running while its status file
# keeps being rewritten (every half second), "unknown" after 30 s of silence.
remote_probe <- function(job, st) {
  age <- status_age(st$updated)
  if (is.na(age) || age <= 30) return(list(state = "running", exit = NA_integer_))
  list(state = "unknown", exit = NA_integer_,
       message = sprintf("the status file says running on host %s, but has not changed for %s: the job may have been killed (run it again to resume).",
                         job$host, format_seconds(age)))
}

status_age <- function(updated) {
  t <- as.POSIXct(as_string(updated, NA_character_), format = "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
  as.numeric(difftime(Sys.time(), t, units = "secs"))
}

# Whether rank 0 (job$pid, on this host) still runs this job: the process
# exists, is no zombie, and its command line names the grid.toml it runs
# (the status file's; with rsim_run(globals = ) a copy of the job's).
job_process_alive <- function(job, grid) {
  pid <- job$pid
  if (is.na(pid) || !isTRUE(tryCatch(tools::pskill(pid, 0L), error = function(e) FALSE))) return(FALSE)
  stat <- proc_file(pid, "stat")
  if (is.null(stat)) return(TRUE) # no /proc: the pid is all there is
  if (identical(proc_stat_field(stat, 3L), "Z")) return(FALSE)
  args <- proc_cmdline(pid)
  is.na(grid) || !length(args) || any(basename(args) == basename(grid))
}

proc_file <- function(pid, what) {
  f <- sprintf("/proc/%d/%s", as.integer(pid), what)
  if (!file.exists(f)) return(NULL)
  tryCatch(readLines(f, n = 1L, warn = FALSE), error = function(e) NULL)
}

# Field i of /proc/<pid>/stat (1-based; the command in field 2 may hold spaces).
proc_stat_field <- function(stat, i) {
  rest <- strsplit(trimws(sub("^.*\\) ", "", stat)), " ", fixed = TRUE)[[1]]
  rest[i - 2L]
}

proc_cmdline <- function(pid) {
  f <- sprintf("/proc/%d/cmdline", as.integer(pid))
  r <- tryCatch(readBin(f, "raw", 1e6), error = function(e) raw())
  if (!length(r)) return(character())
  r[r == as.raw(0)] <- as.raw(10)
  strsplit(rawToChar(r), "\n", fixed = TRUE)[[1]]
}

# --- printing ----------------------------------------------------------------

#' @export
print.rsim_job_status <- function(x, ...) {
  pct <- if (isTRUE(x$total > 0)) 100 * x$done / x$total else 100
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
  np <- if (is.na(x$np)) "?" else as.integer(x$np)
  where <- if (is.null(x$process)) sprintf("  rank 0: pid %s on %s (found again)\n", format(x$pid), x$host) else ""
  cat(sprintf("<rsim_job %s on %s rank%s>\n  grid:   %s\n  output: %s\n%s", x$name, np,
    if (identical(x$np, 1)) "" else "s", x$grid, x$output, where))
  print(x$status())
  invisible(x)
}

# --- waiting -------------------------------------------------------------------

job_wait <- function(job, logdir, timeout, progress, inform = TRUE, call = parent.frame()) {
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
    s <- job_status(job, logdir)
    if (progress) {
      eta <- if (is.finite(s$eta_seconds)) format_seconds(s$eta_seconds) else "?"
      nfail <- s$failed
      cli::cli_progress_update(set = if (is.na(job$n_tasks)) s$done else min(s$done, job$n_tasks), force = TRUE)
    }
    if (!s$state %in% c("starting", "running")) break
    if (as.numeric(difftime(Sys.time(), t0, units = "secs")) > timeout) {
      if (progress) cli::cli_progress_done()
      return(invisible(s))
    }
    job_pause(job, 250)
  }
  if (progress) cli::cli_progress_done()
  report_end(job, s, inform, call)
}

# Waits up to ms milliseconds (less if the launcher exits).
job_pause <- function(job, ms) {
  if (!is.null(job$process)) job$process$wait(ms) else Sys.sleep(ms / 1000)
}

# Stops with the reason when the job did not finish; else its status.
report_end <- function(job, s, inform, call) {
  resume <- "{big(s$done)} of {big(s$total)} tasks were done; run it again to resume from its checkpoints."
  if (s$state == "failed") {
    cli::cli_abort(c("The rsim job {job$name} failed{if (!is.na(s$exit_status)) paste0(' (exit code ', s$exit_status, ')')}.",
      x = "{s$message}",
      i = if (!identical(s$exit_status, 1L) && dir.exists(paste0(job$output, ".ckpt"))) {
        "Finished tasks are kept in {.file {paste0(job$output, '.ckpt')}}; once the cause is fixed, running the job again resumes it."
      }
    ), call = call)
  }
  if (s$state == "killed") {
    cli::cli_abort(c(if (isTRUE(job$killed)) "The rsim job {job$name} was killed with {.code job$stop(kill = TRUE)}." else
      "The rsim job {job$name} ended without finishing (killed, or a crash).", i = resume), call = call)
  }
  if (s$state == "interrupted") {
    cli::cli_abort(c(if (isTRUE(job$stopped)) "The rsim job {job$name} was stopped with {.code job$stop()} (exit code 4)." else
      "The rsim job {job$name} was interrupted by a signal (exit code 4).", i = resume), call = call)
  }
  if (s$state == "unknown") cli::cli_abort(c("Cannot tell how the rsim job {job$name} stands.", i = "{s$message}"), call = call)
  if (inform && identical(s$exit_status, 3L)) {
    cli::cli_inform(c("!" = "{s$failed} task{?s} of {job$name} failed; see {.code read_errors(\"{job$output}\")}."))
  }
  invisible(s)
}

big <- function(x) format(x, big.mark = ",", scientific = FALSE)

# --- stopping ------------------------------------------------------------------

# The clean stop: SIGUSR1, then up to `timeout` seconds for the job to end;
# SIGKILL after that only with `kill`.
job_stop <- function(job, logdir, timeout = 60, kill = FALSE, call = parent.frame()) {
  if (!is.numeric(timeout) || length(timeout) != 1L || is.na(timeout) || timeout < 0) {
    cli::cli_abort("{.arg timeout} must be a number of seconds, 0 or more.", call = call)
  }
  s <- job_status(job, logdir)
  if (!s$state %in% c("starting", "running")) {
    cli::cli_inform(c(i = "The rsim job {job$name} is not running (state {s$state})."))
    return(invisible(s))
  }
  send_signal(job, tools::SIGUSR1, call)
  job$stopped <- TRUE
  s <- wait_for_end(job, logdir, timeout)
  if (s$state %in% c("starting", "running")) {
    if (!isTRUE(kill)) {
      cli::cli_warn(c("The rsim job {job$name} still runs {timeout} s after the clean stop (SIGUSR1).",
        i = "A task in native code finishes first.  Wait with {.code job$wait()}, call {.code job$stop()} again, or kill it with {.code job$stop(kill = TRUE)} (losing the tasks finished since each rank's last checkpoint)."
      ), call = call)
      return(invisible(s))
    }
    send_signal(job, tools::SIGKILL, call)
    job$killed <- TRUE
    s <- wait_for_end(job, logdir, 10)
  }
  ckpt <- paste0(job$output, ".ckpt")
  if (s$state == "interrupted") {
    cli::cli_inform(c(i = "Stopped {job$name} (exit code 4): {big(s$done)} of {big(s$total)} tasks are committed in {.file {ckpt}}; run it again to resume."))
  } else if (s$state == "killed") {
    cli::cli_inform(c(i = "Killed {job$name}; the tasks committed before are in {.file {ckpt}}: run it again to resume."))
  }
  invisible(s)
}

wait_for_end <- function(job, logdir, timeout) {
  deadline <- Sys.time() + timeout
  repeat {
    s <- job_status(job, logdir)
    if (!s$state %in% c("starting", "running") || Sys.time() >= deadline) return(s)
    job_pause(job, 100)
  }
}

# Signals a job: the launcher this session started, or for a job found
# again, mpirun when it is rank 0's parent (it forwards the signal to every
# rank), else rank 0 (which tells the other ranks).  SIGKILL goes to rank 0
# (mpirun then stops the other ranks) or to the launcher's whole tree.
send_signal <- function(job, signal, call = parent.frame()) {
  if (!is.null(job$process)) {
    if (signal == tools::SIGKILL) try(job$process$kill_tree(), silent = TRUE) else job$process$signal(signal)
    return(invisible(TRUE))
  }
  here <- Sys.info()[["nodename"]]
  if (!identical(job$host, here)) {
    cli::cli_abort(c("The rsim job {job$name} runs on host {.val {job$host}} (rank 0 is pid {job$pid} there); it cannot be signalled from {.val {here}}.",
      i = "On {job$host}: {.code kill -USR1 <pid of mpirun>} (or {.code kill -USR1 {job$pid}}); under Slurm: {.code scancel --signal=USR1 <job id>}."
    ), class = "rsim_remote_job", call = call)
  }
  if (is.na(job$pid)) {
    cli::cli_abort("The rsim job {job$name} has not written its pid yet (no status file): try again once its tasks run.", call = call)
  }
  target <- if (signal == tools::SIGKILL) job$pid else stop_target(job$pid)
  if (!isTRUE(tools::pskill(target, signal))) {
    cli::cli_abort("Cannot signal process {target} of the rsim job {job$name} (not yours, or gone).", call = call)
  }
  invisible(TRUE)
}

launcher_names <- c("mpirun", "mpiexec", "orterun", "prterun", "prte")

# mpirun when it is rank 0's parent, else rank 0.
stop_target <- function(pid) {
  stat <- proc_file(pid, "stat")
  ppid <- if (!is.null(stat)) suppressWarnings(as.integer(proc_stat_field(stat, 4L))) else NA_integer_
  if (is.na(ppid) || ppid <= 1L) return(pid)
  comm <- proc_file(ppid, "comm")
  if (!is.null(comm) && trimws(comm) %in% launcher_names) ppid else pid
}
