# The dashboard's data (progress, failures, history, running means) and
# the Shiny app itself, on the shipped demo file and on status files
# written here; no rsim binary needed.

demo_copy <- function(name = "power-demo.h5") {
  dir <- new_dir("mon")
  file.copy(system.file("extdata", name, package = "rsim"), dir)
  file.path(dir, name)
}

write_status <- function(path, ...) {
  st <- list(format = 1, job = "busy", output = path, state = "running", n_tasks = 1000, done = 250, failed = 3,
             resumed_from = 0, this_run = list(total = 1000, done = 250, seconds = 5, rate = 50), eta_seconds = 15,
             ranks = 2, done_per_rank = c(200, 50), started = "2026-11-29T14:00:00Z", updated = "2026-11-29T14:00:05Z",
             recent_errors = list(list(task = 7, status = "error", message = "boom 7", time = "2026-11-29T14:00:01Z")),
             host = Sys.info()[["nodename"]], pid = Sys.getpid())
  st[names(list(...))] <- list(...)
  writeLines(jsonlite::toJSON(st, auto_unbox = TRUE, null = "null"), paste0(path, ".status.json"))
}

test_that("the progress of a finished file comes from its counts", {
  f <- demo_copy()
  p <- rsim:::job_progress(f)
  info <- job_info(f)
  expect_identical(p$source, "result file")
  expect_identical(p$state, "finished")
  expect_identical(p$n_tasks, as.numeric(info$n_tasks))
  expect_identical(p$done, as.numeric(info$n_ok + info$n_failed))
  expect_identical(p$failed, as.numeric(info$n_failed))
  expect_false(is.null(p$results$counts))
})

test_that("the progress of a running job comes from its status file; a dead writer shows as stopped", {
  dir <- new_dir("mon")
  f <- file.path(dir, "busy.h5")
  p <- rsim:::job_progress(f)
  expect_identical(p$state, "waiting")
  expect_identical(p$source, "none")
  write_status(f)
  p <- rsim:::job_progress(f)
  expect_identical(p[c("source", "state", "n_tasks", "done", "failed", "rate", "seconds", "run_done")],
                   list(source = "status file", state = "running", n_tasks = 1000, done = 250, failed = 3,
                        rate = 50, seconds = 5, run_done = 250))
  expect_identical(p$done_per_rank, c(200, 50))
  expect_null(p$results)
  dead <- processx::process$new(file.path(R.home("bin"), "Rscript"), c("-e", "invisible()"))
  dead$wait()
  write_status(f, pid = dead$get_pid())
  expect_identical(rsim:::job_progress(f)$state, "stopped")
})

test_that("failures logged by the ranks are read, newest per task, and a half-written line waits", {
  dir <- new_dir("mon")
  f <- file.path(dir, "busy.h5")
  write_status(f)
  # before any log: the status file's recent errors
  e <- rsim:::logged_errors(f, rsim:::job_progress(f)$recent_errors)
  expect_identical(e$task, 7)
  expect_identical(e$message, "boom 7")
  dir.create(paste0(f, ".logs"))
  line <- function(task, msg, time) sprintf('{"task": %d, "status": "error", "message": "%s", "time": "%s"}', task, msg, time)
  writeLines(c(line(3, "first \\\"quoted\\\"", "2026-11-29T14:00:01Z"), line(9, "nine", "2026-11-29T14:00:03Z")),
             file.path(paste0(f, ".logs"), "errors-r00000.jsonl"))
  cat(line(5, "five", "2026-11-29T14:00:02Z"), "\n", line(3, "again", "2026-11-29T14:00:04Z"), "\n", '{"task": 11, "sta',
      sep = "", file = file.path(paste0(f, ".logs"), "errors-r00001.jsonl"))
  e <- rsim:::logged_errors(f)
  expect_identical(e$task, c(5, 9, 3))
  expect_identical(e$message, c("five", "nine", "again"))
  expect_identical(unique(e$status), "error")
})

test_that("the throughput history and windowed rate follow the samples", {
  h <- new.env()
  h$seconds <- numeric()
  h$done <- numeric()
  for (s in 1:10) rsim:::record_history(h, list(source = "status file", seconds = s, run_done = 100 * s))
  rsim:::record_history(h, list(source = "status file", seconds = 10, run_done = 1000))  # same sample again
  expect_identical(h$seconds, as.numeric(0:10))
  expect_identical(h$done, 100 * (0:10))
  expect_equal(rsim:::windowed_rate(h$seconds, h$done)[-1], rep(100, 10))
  rsim:::record_history(h, list(source = "status file", seconds = 2, run_done = 10))  # a new run
  expect_identical(h$seconds, c(0, 2))
  rsim:::record_history(h, list(source = "result file", seconds = NA, run_done = NA))
  expect_identical(h$seconds, c(0, 2))
})

test_that("running means and Monte Carlo errors equal mean() and sd() / sqrt(k)", {
  x <- c(1e6 + c(0.5, 1.5, -0.25, 3, NA, 2))
  r <- rsim:::running_mean_se(x)
  y <- x[!is.na(x)]
  expect_equal(r$mean, vapply(seq_along(y), function(k) mean(y[1:k]), 0))
  expect_equal(r$se[-1], vapply(2:length(y), function(k) sd(y[1:k]) / sqrt(k), 0))
  expect_true(is.na(r$se[1]))
  expect_identical(nrow(rsim:::running_mean_se(numeric())), 0L)
})

test_that("the dashboard of a finished file shows its counts, failures and per-point results", {
  skip_if_not_installed("shiny")
  f <- demo_copy()
  ji <- job_info(f)
  shiny::testServer(rsim:::monitor_app(f), {
    session$flushReact()
    expect_identical(output$state, "finished")
    expect_identical(output$done, format(ji$n_ok + ji$n_failed))
    expect_identical(output$failed, format(ji$n_failed))
    expect_match(output$errors_note, sprintf("%d failed tasks in the result file", ji$n_failed))
    expect_match(output$errors, "Degrees of freedom", fixed = TRUE)
    session$setInputs(field = "reject", point = "2")
    s <- summarise_results(f, fields = "reject")
    expect_equal(values()$summary$reject_mean, s$reject_mean)
    expect_equal(values()$summary$reject_se, s$reject_se)
    expect_match(output$summary, "reject_mean")
    expect_match(output$results_note, "Monte Carlo standard error")
    expect_type(output$running$src, "character")
  })
})

test_that("the dashboard of a summary job plots its per-point means and MC SEs", {
  skip_if_not_installed("shiny")
  skip_if_no_rsim()
  skip_if_no_mpirun()
  dir <- new_dir("monsum")
  g <- write_grid(file.path(dir, "grid.toml"), native_kernel("ttest_power"), grid = list(n = c(10, 30)),
                  args = list(delta = 0.5), replicates = 300, seed = 4, name = "m", keep = "summary", block = 30)
  suppressMessages(rsim_run(g, np = 2, background = FALSE))
  f <- file.path(dir, "m.h5")
  expect_identical(job_info(f)$fields$field, c("reject", "p_value", "estimate"))
  shiny::testServer(rsim:::monitor_app(f), {
    session$flushReact()
    expect_identical(output$state, "finished")
    session$setInputs(field = "reject", point = "2")
    s <- read_summary(f)
    expect_equal(values()$summary$reject_mean, s$reject_mean)
    expect_equal(values()$summary$reject_se, s$reject_mcse)
    expect_type(output$estimates$src, "character")
    expect_type(output$running$src, "character")
  })
})

test_that("the dashboard of a job without results says when they come", {
  skip_if_not_installed("shiny")
  dir <- new_dir("mon")
  f <- file.path(dir, "busy.h5")
  write_status(f)
  shiny::testServer(rsim:::monitor_app(f), {
    session$flushReact()
    expect_identical(output$state, "running")
    expect_identical(output$done, "250")
    expect_identical(output$percent, "25.0")
    expect_identical(output$eta, "0:00:15")
    expect_match(output$results_note, "There is no result file yet")
    expect_match(output$results_note, "final results once the job has written its result file")
    expect_match(output$errors_note, "1 failed task logged so far")
  })
})

test_that("monitor() serves the dashboard from a background R process on 127.0.0.1 until stopped", {
  skip_if_not_installed("shiny")
  f <- demo_copy()
  m <- monitor(f, browser = FALSE)
  on.exit(m$stop())
  expect_s3_class(m, "rsim_monitor")
  expect_match(m$url, "^http://127\\.0\\.0\\.1:[0-9]+$")
  page <- rawToChar(curl::curl_fetch_memory(m$url, handle = curl::new_handle(timeout = 20))$content)
  expect_match(page, "rsim: power-demo.h5", fixed = TRUE)
  expect_output(print(m), "running; stop it with")
  expect_true(m$stop())
  expect_false(m$alive())
  expect_false(rsim:::port_open("127.0.0.1", m$port))
  expect_output(print(m), "stopped")
})

test_that("monitor() checks its arguments", {
  skip_if_not_installed("shiny")
  f <- demo_copy()
  expect_error(monitor(f, port = 0), "TCP port")
  expect_error(monitor(f, host = ""), "address to listen on")
  expect_error(monitor(f, interval = 0), "at least 0.1")
})

# ---- a port already in use (issue 13) ----------------------------------------

# The error of a start that must fail; a dashboard it started all the same
# is stopped, so that no process is left behind.
start_error <- function(expr) {
  out <- tryCatch(expr, error = identity)
  if (inherits(out, c("rsim_server", "rsim_monitor"))) out$stop()
  out
}

page_of <- function(url) { # with a timeout: a wrong server must fail the test, not hang it
  rawToChar(curl::curl_fetch_memory(url, handle = curl::new_handle(timeout = 20))$content)
}

test_that("monitor() on a port a plain TCP listener holds stops, naming host:port and the way out", {
  skip_if_not_installed("shiny")
  port <- rsim:::free_port()
  sock <- serverSocket(port)
  on.exit(close(sock))
  err <- start_error(monitor(demo_copy(), port = port, browser = FALSE))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), sprintf("127.0.0.1:%d is already in use", port), fixed = TRUE)
  expect_match(conditionMessage(err), "port = NULL", fixed = TRUE)
})

test_that("monitor() on the port of another dashboard stops; the start-up check wants the answer of the one it started", {
  skip_if_not_installed("shiny")
  f2 <- demo_copy("r-demo.h5")
  m <- monitor(demo_copy(), browser = FALSE)
  on.exit(m$stop())
  err <- start_error(monitor(f2, port = m$port, browser = FALSE))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), sprintf("127.0.0.1:%d is already in use", m$port), fixed = TRUE)
  expect_match(conditionMessage(err), "port = NULL", fixed = TRUE)
  # the port taken after monitor() checked it: the new dashboard cannot bind
  expr <- sprintf("rsim:::run_monitor_app(%s, port = %dL)", deparse(f2), m$port)
  err <- start_error(rsim:::start_app_process(expr, "127.0.0.1", m$port, f2, what = "dashboard", class = "rsim_monitor"))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), "stopped before it could serve", fixed = TRUE)
  expect_match(conditionMessage(err), "Failed to create server", fixed = TRUE)
  expect_true(m$alive())
  expect_match(page_of(m$url), "rsim: power-demo.h5", fixed = TRUE)
})
