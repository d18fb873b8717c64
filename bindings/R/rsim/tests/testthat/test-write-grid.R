test_that("a function and a list of vectors give a Cartesian grid and a script", {
  dir <- new_dir("wg")
  simulate <- function(n, delta, test, sd = 1) {
    x <- rnorm(n, 0, sd) # a comment survives
    list(m = mean(x) + delta, t = test)
  }
  g <- write_grid(file.path(dir, "grid.toml"), simulate,
    grid = list(n = c(10, 20), delta = c(0, 0.5), test = c("welch", "stu\"dent")),
    replicates = 100, seed = 20261129, args = list(sd = 2, label = "a\\b"), packages = "stats", name = "demo"
  )
  expect_identical(g, normalizePath(file.path(dir, "grid.toml")))
  x <- parse_toml(readLines(g))
  expect_identical(x$job$name, "demo")
  expect_identical(x$job$seed, 20261129L)
  expect_identical(x$job$replicates, 100L)
  expect_identical(x$task$backend, "r")
  expect_identical(x$task$script, "grid.R")
  expect_identical(x$task[["function"]], "simulate")
  expect_identical(x$task$packages, "stats")
  expect_identical(x$grid$n, c(10L, 20L)) # whole-number doubles are written as integers
  expect_identical(x$grid$delta, c(0, 0.5))
  expect_identical(x$grid$test, c("welch", "stu\"dent"))
  expect_identical(x$args, list(sd = 2L, label = "a\\b"))
  env <- new.env()
  sys.source(file.path(dir, "grid.R"), env, keep.source = TRUE)
  set.seed(1)
  a <- env$simulate(5, 0.5, "welch")
  set.seed(1)
  expect_identical(a, simulate(5, 0.5, "welch"))
  expect_true(any(grepl("a comment survives", readLines(file.path(dir, "grid.R")))))
})

test_that("a data frame gives [[points]]; I() keeps floats", {
  dir <- new_dir("wg")
  pts <- data.frame(n = c(5, 50), dist = factor(c("exponential", "lognormal")), ok = c(TRUE, FALSE), w = I(c(1, 2)))
  g <- write_grid(file.path(dir, "p.toml"), native_kernel("mean_ci_coverage"), grid = pts, seed = 1)
  x <- parse_toml(readLines(g))
  expect_length(x$points, 2)
  expect_identical(x$points[[2]], list(n = 50L, dist = "lognormal", ok = FALSE, w = 2))
  expect_identical(x$task, list(backend = "native", kernel = "mean_ci_coverage"))
  expect_identical(x$job$name, "p")
})

test_that("a script path and settings are written as given", {
  dir <- new_dir("wg")
  dir.create(file.path(dir, "R"))
  writeLines("f <- function(a) list(a = a)\nprep <- function() NULL", file.path(dir, "R", "f.R"))
  g <- write_grid(file.path(dir, "g.toml"), file.path(dir, "R", "f.R"), grid = list(a = c(TRUE, FALSE)),
    seed = "184467440", function_name = "f", setup = "prep",
    output = "out/res.h5", chunk = 10, checkpoint = "30s", timeout = 60, retries = 2
  )
  x <- parse_toml(readLines(g))
  expect_identical(x$task$script, "R/f.R")
  expect_identical(x$task$setup, "prep")
  expect_identical(x$job$output, "out/res.h5")
  expect_identical(x$job$seed, 184467440L)
  expect_identical(x$schedule, list(chunk = 10L, checkpoint = "30s", timeout = 60, retries = 2L))
  expect_identical(x$grid$a, c(TRUE, FALSE))
})

test_that("bad input gives clear errors", {
  dir <- new_dir("wg")
  f <- file.path(dir, "g.toml")
  fun <- function(n) list(x = n)
  expect_error(write_grid(f, fun, grid = list(n = 1:3)), "seed.*is missing")
  expect_error(write_grid(f, fun, grid = list(n = c(1, NA)), seed = 1), "missing values")
  expect_error(write_grid(f, fun, grid = list(1:3), seed = 1), "needs a name")
  expect_error(write_grid(f, fun, grid = list(`my n` = 1:3), seed = 1), "not a valid name")
  expect_error(write_grid(f, fun, grid = list(rank = 1:3), seed = 1), "reserved")
  expect_error(write_grid(f, fun, grid = list(n = list(1, 2)), seed = 1), "vector of numbers, strings or logicals")
  expect_error(write_grid(f, fun, grid = list(n = integer()), seed = 1), "has no values")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, args = list(n = 2)), "both in `args` and in `grid`")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, args = list(a = 1:2)), "single value")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 3e9), "too large for an R task")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = -1), "whole number of at least 0")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, replicates = 0), "at least 1")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, chunks = 3), "Unknown setting")
  expect_error(write_grid(f, "nope.R", seed = 1), "does not exist")
  expect_error(write_grid(f, 42, seed = 1), "must be a function")
  expect_error(write_grid(file.path(dir, "no", "g.toml"), fun, seed = 1), "does not exist; create it first")
  expect_error(write_grid(f, fun, grid = data.frame(n = integer()), seed = 1), "no rows")
  expect_error(write_grid(f, fun, grid = "n", seed = 1), "named list of vectors")
  expect_error(write_grid(f, native_kernel("uniform"), seed = 1, packages = "MASS"), "R tasks only")
  expect_error(native_kernel("no such"), "built-in kernel")
  expect_false(file.exists(f))
})

test_that("write_grid() round-trips through rsim: grid columns as given", {
  skip_if_no_rsim()
  dir <- new_dir("wgrun")
  grid <- list(n = c(3, 7), mu = c(-1.5, 0, 2.25), lab = c("x y", "quote\"d"), flag = c(TRUE, FALSE))
  f <- function(n, mu, lab, flag, offset) list(v = n + mu + offset, l = paste(lab, flag))
  g <- write_grid(file.path(dir, "grid.toml"), f, grid = grid, replicates = 2, seed = 4, args = list(offset = 0.5))
  res <- rsim_run(g, np = 1, background = FALSE)
  # the first parameter varies slowest: expand.grid() with the order reversed
  pts <- rev(expand.grid(rev(grid), stringsAsFactors = FALSE))
  expected <- pts[rep(seq_len(nrow(pts)), each = 2), ]
  rownames(expected) <- NULL
  expect_identical(res[c("n", "mu", "lab", "flag")], data.frame(n = as.integer(expected$n), mu = expected$mu,
    lab = expected$lab, flag = expected$flag, stringsAsFactors = FALSE))
  expect_equal(res$v, expected$n + expected$mu + 0.5)
  expect_identical(res$l, paste(expected$lab, expected$flag))

  pts <- data.frame(a = c(2L, 1L, 2L), b = c("p", "q", "r"))
  g2 <- write_grid(file.path(dir, "pts.toml"), function(a, b) list(s = strrep(b, a)), grid = pts, seed = 9)
  res2 <- rsim_run(g2, np = 1, background = FALSE)
  expect_identical(res2[c("a", "b")], pts)
  expect_identical(res2$s, c("pp", "q", "rr"))
})
