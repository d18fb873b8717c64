test_that("task_seed() equals the loop over parallel::nextRNGStream()", {
  skip_if_no_rsim()
  dir <- new_dir("seed")
  g <- write_grid(file.path(dir, "grid.toml"), function(a) list(x = a),
    grid = list(a = 1:4), replicates = 10000, seed = 20261129
  )
  for (t in c(0, 1, 2, 17, 1000, 39999)) {
    expect_identical(task_seed(g, t), loop_seed(20261129, t), info = paste("task", t))
  }
  expect_identical(task_seed(g, 0)[1], 10407L)
  g0 <- write_grid(file.path(dir, "zero.toml"), function(a) list(x = a), grid = list(a = 1), replicates = 3, seed = 0)
  expect_identical(task_seed(g0, 2), loop_seed(0, 2))
  gmax <- write_grid(file.path(dir, "max.toml"), function(a) list(x = a), grid = list(a = 1), replicates = 3,
                     seed = 2147483647)
  expect_identical(task_seed(gmax, 1), loop_seed(2147483647, 1))
})

test_that("task_seed() of a result file equals that of its grid.toml", {
  skip_if_no_rsim()
  j <- r_job()
  for (t in c(0, 5, 79, 159)) expect_identical(task_seed(j$file, t), task_seed(j$grid, t), info = paste("task", t))
  expect_identical(task_seed(j$file, 79), loop_seed(20261129, 79))
})

test_that("task_seed() does not disturb the session's random numbers", {
  skip_if_no_rsim()
  dir <- new_dir("seed")
  g <- write_grid(file.path(dir, "grid.toml"), function(a) list(x = a), grid = list(a = 1:2), seed = 5)
  set.seed(1)
  kind <- RNGkind()
  before <- .Random.seed
  task_seed(g, 1)
  expect_identical(.Random.seed, before)
  expect_identical(RNGkind(), kind)
})

test_that("task_seed() checks the task id and the seed", {
  skip_if_no_rsim()
  dir <- new_dir("seed")
  g <- write_grid(file.path(dir, "grid.toml"), function(a) list(x = a), grid = list(a = 1:2), replicates = 3, seed = 5)
  expect_error(task_seed(g, 6), "Task 6 is out of range: the job has 6 tasks \\(ids 0 to 5\\)")
  expect_error(task_seed(g, -1), "out of range")
  expect_error(task_seed(g, 1.5), "whole number")
  big <- write_grid(file.path(dir, "big.toml"), native_kernel("uniform"), seed = "3000000000")
  expect_error(task_seed(big, 0), "Seed 3000000000 is outside R's `set.seed\\(\\)` range \\(0 to 2147483647\\)")
})

test_that("task_seed() needs the rsim program, and says so", {
  dir <- new_dir("seed")
  writeLines(c("[job]", "name = \"g\"", "seed = 5", "[task]", "backend = \"native\"", "kernel = \"uniform\""),
             file.path(dir, "grid.toml"))
  old <- options(rsim.binary = file.path(dir, "no-rsim"))
  on.exit(options(old))
  expect_error(task_seed(file.path(dir, "grid.toml"), 0), "option `rsim.binary` does not exist")
})

test_that("an R task starts from task_seed(), also beyond a million tasks", {
  skip_if_no_rsim()
  dir <- new_dir("seedrun")
  seeds <- function(a) list(s = as.numeric(.Random.seed[2:7]))
  g <- write_grid(file.path(dir, "grid.toml"), seeds, grid = list(a = 1:2), replicates = 3, seed = 77)
  res <- rsim_run(g, np = 1, background = FALSE)
  for (t in res$task) expect_identical(as.numeric(task_seed(g, t)[2:7]), res$s[t + 1, ])
  # beyond 10^6 tasks, through rsim --task (its last line is the task as JSON)
  g2 <- write_grid(file.path(dir, "big.toml"), seeds, grid = list(a = 1), replicates = 2000000, seed = 77)
  t <- 1234567
  out <- processx::run(Sys.getenv("RSIM_BIN"), c("--task", t, g2))
  lines <- strsplit(out$stdout, "\n", fixed = TRUE)[[1]]
  task <- jsonlite::fromJSON(lines[length(lines)], simplifyVector = FALSE)
  s <- Filter(function(f) f$name == "s", task$fields)[[1]]$value
  expect_identical(as.numeric(unlist(s)), as.numeric(task_seed(g2, t)[2:7]))
})
