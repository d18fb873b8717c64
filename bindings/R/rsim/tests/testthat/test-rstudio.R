# RStudio's Jobs pane, with a recording stand-in for rstudioapi: the pane is
# refreshed by later's event loop while the console is idle (no top-level
# command needed), and its Stop button is the clean stop.

fake_rstudio <- function() {
  log <- new.env()
  log$progress <- integer()
  log$state <- character()
  log$api <- list(
    jobAdd = function(name, status, progressUnits, actions, autoRemove, show, running) {
      log$name <- name
      log$units <- progressUnits
      log$actions <- actions
      "job-1"
    },
    jobSetProgress = function(id, units) log$progress <- c(log$progress, units),
    jobSetStatus = function(id, status) log$status <- status,
    jobSetState = function(id, state) log$state <- c(log$state, state)
  )
  log
}

# Runs later's event loop (what an idle console does) until `done()`.
idle_until <- function(done, seconds = 60) {
  deadline <- Sys.time() + seconds
  while (!done() && Sys.time() < deadline) later::run_now(0.2)
  done()
}

test_that("the Jobs pane follows a job while the console is idle and ends as succeeded", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  skip_if_not_installed("later")
  g <- busy_grid("pane", ms = 20, replicates = 200, chunk = 5, checkpoint = 0.2)
  job <- rsim_run(g, np = 2)
  pane <- fake_rstudio()
  rsim:::rstudio_register(job, api = pane$api, poll = 0.2)
  expect_identical(pane$units, 200L)
  expect_true(is.function(pane$actions$stop))
  expect_true(idle_until(function() length(pane$state) > 0))
  expect_identical(pane$state, "succeeded")
  expect_gt(length(pane$progress), 1) # refreshed more than once, with no top-level command
  expect_false(is.unsorted(pane$progress))
  expect_identical(tail(pane$progress, 1), 200L)
  expect_match(pane$status, "200/200 tasks, 0 failed")
})

test_that("the Jobs pane's Stop button stops the job cleanly (exit 4) and the pane says cancelled", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  skip_if_not_installed("later")
  g <- busy_grid("panestop", ms = 50, replicates = 2000, chunk = 2, checkpoint = 0.1)
  job <- rsim_run(g, np = 2)
  pane <- fake_rstudio()
  rsim:::rstudio_register(job, api = pane$api, poll = 0.2)
  expect_true(idle_until(function() job$status()$done >= 10))
  pane$actions$stop("job-1")
  expect_true(idle_until(function() length(pane$state) > 0))
  expect_identical(pane$state, "cancelled")
  expect_identical(job$status()$exit_status, 4L)
})
