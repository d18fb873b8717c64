test_that("rsim_run() in the background: status, wait, result", {
  g <- busy_grid("run", ms = 20, replicates = 100, chunk = 5, checkpoint = 0.2)
  dir <- dirname(g)
  job <- rsim_run(g, np = 2)
  expect_s3_class(job, "rsim_job")
  expect_identical(job$output, file.path(dir, "grid.h5"))
  s <- job$status()
  expect_s3_class(s, "rsim_job_status")
  expect_true(s$state %in% c("starting", "running", "finished"))
  expect_identical(s$total, 100)
  deadline <- Sys.time() + 30
  while (job$status()$state == "starting" && Sys.time() < deadline) Sys.sleep(0.05)
  mid <- job$status()
  expect_true(mid$done <= 100)
  expect_output(print(job), "rsim_job grid on 2 ranks")
  job$wait(progress = FALSE)
  s <- job$status()
  expect_identical(s$state, "finished")
  expect_identical(s$done, 100)
  expect_identical(s$exit_status, 0L)
  res <- job$result()
  expect_identical(nrow(res), 100L)
  expect_true(all(res$status == "ok"))
  expect_setequal(unique(read_results(job, columns = "rank")$rank), c(0L, 1L))
  expect_output(print(s), "finished: 100/100 tasks \\(100.0%\\), 0 failed")
})

test_that("job$stop() stops a job cleanly; read_results() then reads what it committed; a rerun resumes", {
  g <- busy_grid("kill", ms = 50, replicates = 400, chunk = 2, checkpoint = 0.1)
  dir <- dirname(g)
  job <- rsim_run(g, np = 2)
  deadline <- Sys.time() + 60
  while (job$status()$done < 20 && Sys.time() < deadline) Sys.sleep(0.1)
  expect_gte(job$status()$done, 20)
  suppressMessages(job$stop())
  expect_false(job$process$is_alive())
  expect_identical(job$status()$state, "interrupted")
  expect_identical(job$status()$exit_status, 4L)
  expect_error(job$wait(progress = FALSE), "was stopped")
  expect_message(part <- read_results(job$output), "partial results, [0-9,]+ of 400 tasks committed")
  expect_gte(sum(part$status == "ok"), 20)
  expect_true(all(part$status %in% c("ok", "not_run")), any(part$status == "not_run"))
  expect_true(all(part$u[part$status == "ok"] >= 0))
  expect_identical(unique(part$elapsed[part$status == "not_run"]), NA_real_) # NA, not NaN
  expect_false(file.exists(job$output)) # a snapshot in the session's temporary folder, gone once read
  if (requireNamespace("shiny", quietly = TRUE)) {
    shiny::testServer(rsim:::monitor_app(job$output), {
      session$flushReact()
      note <- flush_until(session, function() output$results_note, "committed so far") # a background snapshot
      expect_match(note, "Running estimates")
      expect_match(note, "of 400 committed so far")
      session$setInputs(field = "u", point = "1")
      expect_equal(values()$summary$u_n, sum(part$status == "ok"))
    })
  }
  res <- rsim_run(g, np = 2, background = FALSE)
  expect_true(all(res$status == "ok"))
  expect_identical(nrow(res), 400L)
  runs <- job_info(job$output)$runs # both runs, the killed one first
  expect_identical(nrow(runs), 2L)
  expect_identical(runs$state[2], "finished")
  expect_true(runs$state[1] %in% c("killed", "interrupted"))
  expect_identical(runs$ranks, c(2L, 2L))
  expect_true(all(nzchar(runs$hosts)))
  expect_output(print(job_info(job$output)), "runs:     2")
})

test_that("rsim_run(background = FALSE) reports failures and bad grids clearly", {
  skip_if_no_rsim()
  dir <- new_dir("fail")
  g <- write_grid(file.path(dir, "grid.toml"), function(x) if (x > 1) stop("too big") else list(y = x),
                  grid = list(x = 1:3), seed = 2)
  expect_message(res <- rsim_run(g, np = 1, background = FALSE), "2 tasks of grid failed")
  expect_identical(as.character(res$status), c("ok", "error", "error"))
  bad <- file.path(dir, "bad.toml")
  writeLines(c("[job]", "name = \"bad\"", "sede = 1", "[task]", "backend = \"native\"", "kernel = \"uniform\""), bad)
  expect_error(rsim_run(bad, np = 1, background = FALSE), "unknown key \"sede\"")
  writeLines(c("[job]", "name = \"bad\"", "seed = 1", "\"{a}\" = 1", "[task]", "backend = \"native\"", "kernel = \"uniform\""), bad)
  expect_error(rsim_run(bad, np = 1, background = FALSE), "unknown key \"{a}\"", fixed = TRUE) # braces are not cli markup
  expect_error(rsim_run(file.path(dir, "none.toml")), "does not exist")
  expect_error(rsim_run(g, np = 0), "at least 1")
})

test_that("globals reach every rank's tasks, and reproduce_task() sees them", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  dir <- new_dir("glob")
  pick <- function(i) {
    Sys.sleep(0.05) # long enough for both ranks to get tasks
    list(v = lookup[[i]] * scale, n = nrow(tbl))
  }
  g <- write_grid(file.path(dir, "grid.toml"), pick, grid = list(i = 1:4), replicates = 5, seed = 8)
  glob <- list(lookup = c(10, 20, 30, 40), scale = 0.5, tbl = data.frame(a = 1:7))
  res <- rsim_run(g, np = 2, background = FALSE, globals = glob)
  expect_true(all(res$status == "ok"))
  expect_identical(res$v, c(10, 20, 30, 40)[res$i] * 0.5)
  expect_identical(res$n, rep(7L, 20))
  expect_setequal(unique(read_results(file.path(dir, "grid.h5"), columns = "rank")$rank), c(0L, 1L))
  expect_true(file.exists(file.path(dir, "grid.globals.rds")))
  expect_identical(reproduce_task(file.path(dir, "grid.h5"), 13), list(v = 15, n = 7L))
  expect_identical(readRDS(file.path(dir, "grid.globals.rds")), glob)
  # Other globals are another job: refused by name, the results kept.
  glob2 <- modifyList(glob, list(scale = 2))
  expect_error(rsim_run(g, np = 1, background = FALSE, globals = glob2), "loaded file grid.globals.rds changed")
  expect_identical(rsim_run(g, np = 1, background = FALSE, globals = glob)$v, res$v)
  expect_false(exists("lookup", envir = globalenv()))
  expect_error(rsim_run(write_grid(file.path(dir, "n.toml"), native_kernel("uniform"), seed = 1), np = 1,
                        globals = list(a = 1)), "R tasks only")
  expect_error(rsim_run(g, np = 1, globals = list(1)), "named list")
})

test_that("a changed task function is refused in R's words; write_grid() again on another day is the same job", {
  skip_if_no_rsim()
  dir <- new_dir("changed")
  g <- write_grid(file.path(dir, "grid.toml"), function(x) list(y = x), grid = list(x = 1:3), seed = 2)
  a <- rsim_run(g, np = 1, background = FALSE)
  # the same call tomorrow: only write_grid()'s dated comment differs
  lines <- sub("on [0-9]{4}-[0-9]{2}-[0-9]{2}", "on 2031-01-01", readLines(g))
  writeLines(lines, g)
  expect_identical(rsim_run(g, np = 1, background = FALSE), a)
  g <- write_grid(file.path(dir, "grid.toml"), function(x) list(y = 2 * x), grid = list(x = 1:3), seed = 2)
  err <- tryCatch(rsim_run(g, np = 1, background = FALSE), error = conditionMessage)
  expect_match(err, "task script grid.R changed since these results were made", fixed = TRUE)
  expect_match(err, "fresh = TRUE", fixed = TRUE)
  expect_no_match(err, "--fresh", fixed = TRUE)
  expect_no_match(err, "resumes it", fixed = TRUE)
  expect_identical(rsim_run(g, np = 1, background = FALSE, fresh = TRUE)$y, 2 * (1:3))
})

test_that("a finished job is not run again unless fresh = TRUE", {
  skip_if_no_rsim()
  dir <- new_dir("again")
  g <- write_grid(file.path(dir, "grid.toml"), native_kernel("uniform"), replicates = 10, seed = 3)
  a <- rsim_run(g, np = 1, background = FALSE)
  created <- job_info(file.path(dir, "grid.h5"))$created
  b <- rsim_run(g, np = 1, background = FALSE)
  expect_identical(b, a)
  c <- rsim_run(g, np = 1, background = FALSE, fresh = TRUE)
  expect_identical(c$u, a$u)
  expect_length(list.files(dir, pattern = "grid\\.h5\\.old-"), 1L)
  out <- rsim_run(g, np = 1, background = FALSE, output = file.path(dir, "other.h5"))
  expect_identical(out$u, a$u)
  expect_true(file.exists(file.path(dir, "other.h5")))
})
