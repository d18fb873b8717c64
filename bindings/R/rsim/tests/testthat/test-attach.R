# rsim_job(): a job started elsewhere (here: mpirun started without
# rsim_run(), as a shell or Slurm would) found again by its grid.toml or its
# output; the clean stop (exit code 4, no SIGKILL); rsim_run()'s np default.

# mpirun -n np rsim grid, started as another program would: rsim_job() knows
# nothing of this handle, which the test keeps only to read the exit code.
start_elsewhere <- function(g, np = 2) {
  args <- c(rsim:::default_mpi_args(), "-n", np, Sys.getenv("RSIM_BIN"), g, "-q")
  processx::process$new(Sys.which("mpirun"), args, stdout = NULL, stderr = NULL, cleanup = TRUE)
}

wait_running <- function(g, min_done = 1) {
  deadline <- Sys.time() + 60
  repeat {
    job <- tryCatch(rsim_job(g), error = function(e) NULL)
    s <- if (!is.null(job)) job$status()
    if (!is.null(s) && s$state == "running" && s$done >= min_done) return(job)
    if (Sys.time() > deadline) stop("the job did not start running within 60 s")
    Sys.sleep(0.1)
  }
}

# A status file written by hand, as rsim writes it.
fake_status <- function(dir, ...) {
  out <- file.path(dir, "job.h5")
  st <- utils::modifyList(list(format = 1L, job = "fake", output = out, grid = file.path(dir, "grid.toml"),
                               state = "running", n_tasks = 100L, done = 40L, failed = 1L, eta_seconds = 12,
                               ranks = 2L, updated = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
                               host = Sys.info()[["nodename"]], pid = Sys.getpid()), list(...))
  jsonlite::write_json(st, paste0(out, ".status.json"), auto_unbox = TRUE, null = "null")
  out
}

test_that("rsim_job() finds a job started elsewhere; stop() is the clean stop (exit 4); a rerun resumes", {
  g <- busy_grid("attach", ms = 50, replicates = 400, chunk = 2, checkpoint = 0.1)
  out <- file.path(dirname(g), "grid.h5")
  p <- start_elsewhere(g)
  on.exit(if (p$is_alive()) p$kill_tree(), add = TRUE)
  job <- wait_running(g, min_done = 10)
  expect_s3_class(job, "rsim_job")
  expect_null(job$process)
  expect_identical(job$output, out)
  expect_identical(job$host, Sys.info()[["nodename"]])
  expect_identical(as.integer(rsim:::stop_target(job$pid)), as.integer(p$get_pid())) # rank 0 is a child of mpirun, which gets the signal
  s <- job$status()
  expect_identical(s$state, "running")
  expect_identical(s$total, 400)
  expect_output(print(job), "found again")
  # the output path and the status file name the same job
  expect_identical(rsim_job(out)$pid, job$pid)
  expect_identical(rsim_job(paste0(out, ".status.json"))$pid, job$pid)

  expect_message(s <- job$stop(timeout = 60), "Stopped grid \\(exit code 4\\)")
  expect_identical(s$state, "interrupted")
  expect_identical(s$exit_status, 4L)
  p$wait(10000)
  expect_identical(p$get_exit_status(), 4L) # mpirun's own code: every rank stopped cleanly
  expect_error(job$wait(progress = FALSE), "stopped with `job\\$stop\\(\\)`")
  expect_identical(rsim_job(g)$status()$state, "interrupted")
  expect_message(job$stop(), "not running")

  res <- suppressMessages(rsim_run(g, np = 2, background = FALSE))
  expect_identical(nrow(res), 400L)
  again <- rsim_job(g)
  expect_identical(again$status()$state, "finished")
  expect_identical(again$status()$exit_status, 0L)
  expect_identical(nrow(again$result()), 400L)
  expect_identical(again$wait(progress = FALSE)$state, "finished")
})

test_that("stop() waits for a native task to finish instead of SIGKILLing it after 10 s", {
  g <- busy_grid("slowstop", ms = 12000, replicates = 4, chunk = 1, checkpoint = 0.1)
  job <- rsim_run(g, np = 2)
  on.exit(if (job$process$is_alive()) job$process$kill_tree(), add = TRUE)
  deadline <- Sys.time() + 60
  while (job$status()$state != "running" && Sys.time() < deadline) Sys.sleep(0.1)
  Sys.sleep(0.5) # both ranks inside their first 12 s task
  t0 <- Sys.time()
  suppressMessages(s <- job$kill()) # the old name: now the same clean stop
  expect_identical(job$process$get_exit_status(), 4L) # not killed: mpirun exits 4
  expect_identical(s$state, "interrupted")
  expect_gt(as.numeric(difftime(Sys.time(), t0, units = "secs")), 9)
})

test_that("stop(timeout =) returns with a warning, the job still running; kill = TRUE kills it", {
  g <- busy_grid("stoptimeout", ms = 30000, replicates = 2, chunk = 1, checkpoint = 0.1)
  job <- rsim_run(g, np = 1)
  on.exit(if (job$process$is_alive()) job$process$kill_tree(), add = TRUE)
  deadline <- Sys.time() + 60
  while (job$status()$state != "running" && Sys.time() < deadline) Sys.sleep(0.1)
  expect_warning(s <- job$stop(timeout = 1), "still runs 1 s after the clean stop")
  expect_identical(s$state, "running")
  expect_true(job$process$is_alive())
  expect_message(s <- job$stop(timeout = 0, kill = TRUE), "Killed")
  expect_identical(s$state, "killed")
  expect_false(job$process$is_alive())
  expect_error(job$wait(progress = FALSE), "killed with `job\\$stop\\(kill = TRUE\\)`")
})

test_that("a job on another host: watched through its status file, not signalled", {
  dir <- new_dir("remote")
  out <- fake_status(dir, host = "elsewhere-node-7", pid = 4242L)
  job <- rsim_job(out)
  expect_identical(job$host, "elsewhere-node-7")
  s <- job$status()
  expect_identical(s$state, "running")
  expect_identical(c(s$done, s$total, s$failed), c(40, 100, 1))
  err <- expect_error(job$stop(), class = "rsim_remote_job")
  expect_match(conditionMessage(err), "runs on host \"elsewhere-node-7\" \\(rank 0 is pid 4242 there\\)")
  expect_match(conditionMessage(err), "cannot be signalled from")
  # no update for 5 minutes: it may have died
  fake_status(dir, host = "elsewhere-node-7", updated = format(Sys.time() - 300, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
  s <- job$status()
  expect_identical(s$state, "unknown")
  expect_match(s$message, "has not changed for 0:05:0")
  expect_error(job$wait(progress = FALSE), "Cannot tell")
})

test_that("a job on this host whose rank 0 is gone is killed; finished and interrupted jobs read as such", {
  dir <- new_dir("gone")
  p <- processx::process$new("sleep", "0")
  p$wait()
  out <- fake_status(dir, pid = p$get_pid()) # says running, but the process has ended
  job <- rsim_job(out)
  expect_identical(job$status()$state, "killed")
  expect_match(job$status()$message, "ended without writing its final state")
  expect_error(job$wait(progress = FALSE), "ended without finishing")
  expect_message(job$stop(), "not running")
  fake_status(dir, state = "finished", failed = 3L, done = 100L)
  s <- job$status()
  expect_identical(c(s$state, s$exit_status), c("finished", "3"))
  expect_message(job$wait(progress = FALSE), "3 tasks of fake failed")
  fake_status(dir, state = "interrupted")
  expect_identical(job$status()$exit_status, 4L)
  expect_error(job$wait(progress = FALSE), "interrupted by a signal \\(exit code 4\\)")
  expect_error(rsim_job(file.path(dir, "none.h5")), "No rsim job found")
  expect_error(rsim_job(1), "must be the path")
})

test_that("rank 0's pid counts only while its command line names the grid.toml the job runs", {
  skip_on_os(c("windows", "mac", "solaris")) # reads /proc
  dir <- new_dir("pid")
  p <- processx::process$new("sh", c("-c", "sleep 30", file.path(dir, "grid.globals.toml")))
  on.exit(p$kill(), add = TRUE)
  out <- fake_status(dir, pid = p$get_pid(), grid = file.path(dir, "grid.globals.toml")) # rsim_run(globals =)
  expect_identical(rsim_job(out)$status()$state, "running")
  fake_status(dir, pid = p$get_pid(), grid = file.path(dir, "other.toml")) # the pid now runs something else
  expect_identical(rsim_job(out)$status()$state, "killed")
})

test_that("np defaults to parallelly::availableCores(): a 1-core allocation runs 1 rank", {
  expect_identical(formals(rsim_run)$np, quote(parallelly::availableCores()))
  g <- busy_grid("np", ms = 1, replicates = 4, chunk = 1, checkpoint = 0.1)
  old <- Sys.getenv(c("SLURM_CPUS_PER_TASK", "SLURM_JOB_ID"), unset = NA)
  Sys.setenv(SLURM_CPUS_PER_TASK = "1", SLURM_JOB_ID = "1")
  on.exit(for (v in names(old)) if (is.na(old[[v]])) Sys.unsetenv(v) else do.call(Sys.setenv, as.list(old[v])), add = TRUE)
  expect_equal(unname(parallelly::availableCores()), 1)
  job <- rsim_run(g)
  job$wait(progress = FALSE)
  expect_identical(as.integer(job$np), 1L)
  expect_identical(job$command[1], Sys.getenv("RSIM_BIN")) # one rank: no launcher
})
