# [schedule] timeout stops an R task waiting in Sys.sleep() (and R loops);
# a task that calls set.seed() gets a warning in the result file.
# tests/e2e/r_timeouts.sh has the whole story, native calls included.

test_that("a 1 s timeout stops Sys.sleep(60) and an R loop; set.seed() in a task is a warning", {
  skip_if_no_rsim()
  dir <- new_dir("timeout")
  work <- function(kind) {
    if (kind == "sleep") Sys.sleep(60)
    if (kind == "loop") repeat {}
    if (kind == "seed") set.seed(42)
    list(v = runif(1))
  }
  g <- write_grid(file.path(dir, "grid.toml"), work, grid = list(kind = c("sleep", "loop", "seed", "quick")),
                  replicates = 2, seed = 7, timeout = 1, chunk = 1)
  t0 <- Sys.time()
  res <- suppressMessages(rsim_run(g, np = 1, background = FALSE))
  expect_lt(as.numeric(difftime(Sys.time(), t0, units = "secs")), 40) # 2 x 60 s of sleep unless stopped
  expect_identical(as.character(res$status), rep(c("timeout", "timeout", "ok", "ok"), each = 2))
  expect_true(all(res$elapsed[res$kind == "sleep"] < 20))
  err <- read_errors(g)
  expect_true(all(err$message == "reached elapsed time limit: stopped at the [schedule] timeout of 1 s"))
  expect_match(err$calls[err$kind == "sleep"], "Sys.sleep(60)", fixed = TRUE)
  w <- read_warnings(g)
  expect_identical(w$kind, c("seed", "seed"))
  expect_identical(w$warnings, c(1L, 1L))
  expect_match(w$messages, "set.seed(42) was called in the task", fixed = TRUE)
  expect_match(w$messages, "replicates become identical", fixed = TRUE)
  expect_identical(res$v[res$kind == "seed"][1], res$v[res$kind == "seed"][2]) # what the warning is about
})
