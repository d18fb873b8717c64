# The TOML lines of a grid.toml without its comments and blank lines.
toml_lines <- function(g) {
  x <- readLines(g)
  x[nzchar(x) & !startsWith(x, "#")]
}

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
  expect_identical(toml_lines(g), c(
    "[job]", "name = \"demo\"", "seed = 20261129", "replicates = 100",
    "[task]", "backend = \"r\"", "script = \"grid.R\"", "function = \"simulate\"", "packages = [\"stats\"]",
    "[args]", "sd = 2", "label = \"a\\\\b\"",
    "[grid]", "n = [10, 20]", "delta = [0.0, 0.5]", "test = [\"welch\", \"stu\\\"dent\"]"
  ))
  env <- new.env()
  sys.source(file.path(dir, "grid.R"), env, keep.source = TRUE)
  set.seed(1)
  a <- env$simulate(5, 0.5, "welch")
  set.seed(1)
  expect_identical(a, simulate(5, 0.5, "welch"))
  expect_true(any(grepl("a comment survives", readLines(file.path(dir, "grid.R")))))
})

test_that("rsim reads the grid write_grid() wrote with the types R had", {
  skip_if_no_rsim()
  dir <- new_dir("wg")
  g <- write_grid(file.path(dir, "grid.toml"), function(n, delta, test, sd, label) list(x = 1),
    grid = list(n = c(10, 20), delta = c(0, 0.5), test = c("welch", "stu\"dent")),
    replicates = 100, seed = 20261129, args = list(sd = 2, label = "a\\b"), packages = "stats", name = "demo"
  )
  job <- rsim:::job_spec(g)
  expect_identical(job[c("name", "seed", "replicates", "n_points", "n_tasks")],
                   list(name = "demo", seed = 20261129, replicates = 100, n_points = 8, n_tasks = 800))
  expect_identical(job$task, list(backend = "r", script = file.path(dir, "grid.R"), "function" = "simulate",
                                  packages = "stats"))
  expect_identical(job$args, list(sd = 2L, label = "a\\b")) # whole-number doubles are written as integers
  expect_identical(rsim:::json_param_values(job$json),
                   list(n = c(10L, 20L), delta = c(0, 0.5), test = c("welch", "stu\"dent")))
})

test_that("a data frame gives [[points]]; I() keeps floats", {
  dir <- new_dir("wg")
  pts <- data.frame(n = c(5, 50), dist = factor(c("exponential", "lognormal")), ok = c(TRUE, FALSE), w = I(c(1, 2)))
  g <- write_grid(file.path(dir, "p.toml"), native_kernel("mean_ci_coverage"), grid = pts, seed = 1)
  expect_identical(toml_lines(g), c(
    "[job]", "name = \"p\"", "seed = 1", "replicates = 1", "[task]", "backend = \"native\"", "kernel = \"mean_ci_coverage\"",
    "[[points]]", "n = 5", "dist = \"exponential\"", "ok = true", "w = 1.0",
    "[[points]]", "n = 50", "dist = \"lognormal\"", "ok = false", "w = 2.0"
  ))
  skip_if_no_rsim()
  job <- rsim:::job_spec(g)
  expect_identical(job$json$grid$kind, "points")
  expect_identical(rsim:::json_param_values(job$json),
                   list(n = c(5L, 50L), dist = c("exponential", "lognormal"), ok = c(TRUE, FALSE), w = c(1, 2)))
  expect_identical(job$task, list(backend = "native", packages = character(), kernel = "mean_ci_coverage"))
})

test_that("a script path and settings are written as given", {
  dir <- new_dir("wg")
  dir.create(file.path(dir, "R"))
  writeLines("f <- function(a) list(a = a)\nprep <- function() NULL", file.path(dir, "R", "f.R"))
  g <- write_grid(file.path(dir, "g.toml"), file.path(dir, "R", "f.R"), grid = list(a = c(TRUE, FALSE)),
    seed = "184467440", function_name = "f", setup = "prep",
    output = "out/res.h5", chunk = 10, checkpoint = "30s", timeout = 60, retries = 2
  )
  expect_identical(toml_lines(g), c(
    "[job]", "name = \"g\"", "output = \"out/res.h5\"", "seed = 184467440", "replicates = 1",
    "[task]", "backend = \"r\"", "script = \"R/f.R\"", "function = \"f\"", "setup = \"prep\"",
    "[grid]", "a = [true, false]",
    "[schedule]", "chunk = 10", "checkpoint = \"30s\"", "timeout = 60.0", "retries = 2"
  ))
  skip_if_no_rsim()
  j <- rsim:::job_spec(g)$json
  expect_identical(j$files$output, file.path(dir, "out", "res.h5"))
  expect_identical(j$task$setup, "prep")
  expect_identical(j$schedule[c("chunk", "timeout_s", "retries", "checkpoint_s")],
                   list(chunk = 10L, timeout_s = 60, retries = 2L, checkpoint_s = 30))
})

test_that("a seed beyond 2^53 is written exactly", {
  dir <- new_dir("wg")
  g <- write_grid(file.path(dir, "g.toml"), native_kernel("uniform"), seed = "18446744073709551615")
  expect_true("seed = \"18446744073709551615\"" %in% toml_lines(g))
  skip_if_no_rsim()
  expect_identical(rsim:::job_spec(g)$seed_text, "18446744073709551615")
})

test_that("bad input gives clear errors", {
  dir <- new_dir("wg")
  f <- file.path(dir, "g.toml")
  fun <- function(n) list(x = n)
  expect_error(write_grid(f, fun, grid = list(n = 1:3)), "seed.*is missing")
  expect_error(write_grid(f, fun, grid = list(n = c(1, NA)), seed = 1), "missing values")
  expect_error(write_grid(f, fun, grid = list(1:3), seed = 1), "needs a name")
  expect_error(write_grid(f, fun, grid = list(`my n` = 1:3), seed = 1), "not a valid name")
  expect_error(write_grid(f, fun, grid = list(n = list(1, 2)), seed = 1), "vector of numbers, strings or logicals")
  expect_error(write_grid(f, fun, grid = list(n = integer()), seed = 1), "has no values")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, args = list(n = 2)), "both in `args` and in `grid`")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, args = list(a = 1:2)), "single value")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 3e9), "too large for an R task")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = -1), "whole number of at least 0")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, replicates = 0), "at least 1")
  expect_error(write_grid(f, fun, grid = list(n = 1:3), seed = 1, chunks = 3), "Unknown setting")
  # a line break in the name would put code into the script every rank sources
  expect_error(write_grid(f, fun, seed = 1, name = "x\nsystem('touch pwned')"), "control characters")
  expect_error(write_grid(f, fun, seed = 1, name = "a\tb"), "control characters")
  expect_false(file.exists(f))
  expect_error(write_grid(f, "nope.R", seed = 1), "does not exist")
  expect_error(write_grid(f, 42, seed = 1), "must be a function")
  expect_error(write_grid(file.path(dir, "no", "g.toml"), fun, seed = 1), "does not exist; create it first")
  expect_error(write_grid(f, fun, grid = data.frame(n = integer()), seed = 1), "no rows")
  expect_error(write_grid(f, fun, grid = "n", seed = 1), "named list of vectors")
  expect_error(write_grid(f, native_kernel("uniform"), seed = 1, packages = "MASS"), "R tasks only")
  expect_error(native_kernel("no such"), "built-in kernel")
  expect_false(file.exists(f))
})

test_that("write_grid() refuses the names rsim reserves, with rsim's message", {
  skip_if_no_rsim()
  dir <- new_dir("wg")
  f <- file.path(dir, "grid.toml")
  for (name in c("max_rss", ".task", "rank")) {
    e <- expect_error(write_grid(f, function(n) list(x = n), grid = stats::setNames(list(1:2), name), seed = 1),
                      "rsim refuses the grid.toml", class = "rsim_binary_error")
    expect_match(e$stderr, sprintf("(grid.%s): \"%s\" is a reserved name", name, name), fixed = TRUE)
    expect_match(e$stderr, "fix: rename the parameter", fixed = TRUE)
    expect_false(file.exists(f))
    expect_false(file.exists(file.path(dir, "grid.R")))
  }
  # an earlier grid.toml and script are left as they were
  g <- write_grid(f, function(n) list(x = n), grid = list(n = 1:2), seed = 1)
  before <- list(readLines(g), readLines(file.path(dir, "grid.R")))
  expect_error(write_grid(f, function(max_rss) list(x = 1), grid = list(max_rss = 1:2), seed = 1), "is left as it was")
  expect_identical(list(readLines(g), readLines(file.path(dir, "grid.R"))), before)
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

test_that("every grid.toml setting is an argument: [data], plugin, memory and the [schedule] keys; rsim accepts them", {
  dir <- new_dir("wg")
  dir.create(file.path(dir, "in"))
  write.csv(data.frame(a = c(1.5, 2.5), b = c("x", "y")), file.path(dir, "in", "tab.csv"), row.names = FALSE)
  writeLines("not a library", file.path(dir, "libfake.so")) # rsim inspect checks that a plugin exists, not that it loads
  h5 <- hdf5r::H5File$new(file.path(dir, "x.h5"), mode = "w")
  h5[["X"]] <- c(1, 2, 3)
  h5$close_all()
  g <- write_grid(file.path(dir, "native.toml"), native_kernel("coin_flips"), grid = list(n = c(10, 20)), seed = 1,
                  plugin = file.path(dir, "libfake.so"), data = list(train = file.path(dir, "in", "tab.csv")),
                  memory = "512MB", timeout = "10m", retries = 3, checkpoint = 2.5, chunk = 4, output = "out.h5")
  expect_identical(toml_lines(g), c(
    "[job]", "name = \"native\"", "output = \"out.h5\"", "seed = 1", "replicates = 1",
    "[task]", "backend = \"native\"", "plugin = \"libfake.so\"", "kernel = \"coin_flips\"",
    "[grid]", "n = [10, 20]",
    "[data]", "train = \"in/tab.csv\"",
    "[schedule]", "chunk = 4", "checkpoint = 2.5", "timeout = \"10m\"", "retries = 3", "memory = \"512MB\""
  ))
  r <- write_grid(file.path(dir, "r.toml"), function(i) list(v = tab$a[i] + length(X)), grid = list(i = 1:2), seed = 1,
                  data = list(tab = file.path(dir, "in", "tab.csv"), X = list(file = file.path(dir, "x.h5"), dataset = "/X")),
                  memory = 2^30, setup = function() NULL)
  expect_true(all(c("[data]", "tab = \"in/tab.csv\"", "X = { file = \"x.h5\", dataset = \"/X\" }", "memory = \"1073741824\"",
                    "setup = \"rsim_setup\"") %in% toml_lines(r)))
  expect_error(write_grid(file.path(dir, "e.toml"), function(i) i, seed = 1, plugin = "libfake.so"), "native kernels only")
  expect_error(write_grid(file.path(dir, "e.toml"), function(i) i, seed = 1, data = list(d = "none.csv")), "existing file")
  expect_error(write_grid(file.path(dir, "e.toml"), function(i) i, seed = 1, data = list(d = 1)), "must be a file path")
  expect_error(write_grid(file.path(dir, "e.toml"), function(i) i, seed = 1, memory = TRUE), "must be a size")
  expect_error(write_grid(file.path(dir, "e.toml"), function(i) i, seed = 1, memroy = "1GB"), "Unknown setting `memroy`")
  skip_if_no_rsim()
  j <- rsim:::job_spec(g)$json
  expect_identical(j$task$plugin, file.path(dir, "libfake.so"))
  expect_equal(j$schedule, list(chunk = 4L, timeout_s = 600, retries = 3L, checkpoint_s = 2.5, memory_bytes = 512 * 1e6))
  expect_identical(j$data[[1]][c("name", "file")], list(name = "train", file = file.path(dir, "in", "tab.csv")))
  expect_equal(rsim:::job_spec(r)$json$schedule$memory_bytes, 2^30)
  # rsim refuses a size it cannot read, with its message, and the files stay unwritten
  expect_error(write_grid(file.path(dir, "m.toml"), native_kernel("uniform"), seed = 1, memory = "lots"),
               "schedule.memory = \"lots\"", class = "rsim_binary_error")
  expect_false(file.exists(file.path(dir, "m.toml")))
  # an R task sees the [data] input as a data frame
  res <- rsim_run(r, np = 1, background = FALSE, output = file.path(dir, "r.h5"))
  expect_identical(res$v, c(2.5, 3.5))
})
