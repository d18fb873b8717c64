# The stored fields of task t, as the list a task returns.
stored_fields <- function(res, t, fields) {
  row <- res[res$task == t, ]
  out <- lapply(fields, function(f) if (is.matrix(row[[f]])) as.vector(row[[f]]) else row[[f]])
  stats::setNames(out, fields)
}

test_that("reproduce_task() of an R task equals the stored result, on rank 0 and rank 1", {
  skip_if_no_rsim()
  j <- r_job()
  res <- read_results(j$file, columns = c("mean", "k", "pos", "tag", "q", "rank", "status"))
  ok <- res[res$status == "ok", ]
  picks <- unlist(lapply(0:1, function(r) range(ok$task[ok$rank == r])))
  expect_length(picks, 4)
  tab <- read_table(j$file, "draws")
  for (t in picks) {
    got <- suppressWarnings(reproduce_task(j$file, t)) # tasks with mu = 1.5 warn
    expect_identical(got[c("mean", "k", "pos", "tag", "q")], stored_fields(res, t, c("mean", "k", "pos", "tag", "q")),
                     info = paste("task", t))
    expect_identical(got$draws$x, tab$x[tab$task == t])
    # the grid.toml gives the same
    expect_identical(suppressWarnings(reproduce_task(j$grid, t)), got)
  }
})

test_that("reproduce_task() of a failed R task raises its error, and keeps the session's RNG", {
  skip_if_no_rsim()
  j <- r_job()
  err <- read_errors(j$file)
  set.seed(3)
  before <- .Random.seed
  expect_error(reproduce_task(j$file, err$task[1]), err$message[1], fixed = TRUE)
  expect_identical(.Random.seed, before)
  expect_warning(reproduce_task(j$file, 159), "mu above 1")
})

test_that("reproduce_task() of a native task equals the stored result, on rank 0 and rank 1", {
  skip_if_no_rsim()
  n <- native_job()
  res <- read_results(n$file, columns = c("reject", "p_value", "estimate", "rank", "status"))
  ok <- res[res$status == "ok", ]
  picks <- unlist(lapply(0:1, function(r) range(ok$task[ok$rank == r])))
  expect_length(picks, 4)
  for (t in picks) {
    expect_identical(reproduce_task(n$file, t), stored_fields(res, t, c("reject", "p_value", "estimate")),
                     info = paste("task", t))
  }
  expect_identical(reproduce_task(n$grid, picks[3]), reproduce_task(n$file, picks[3]))
  expect_error(reproduce_task(n$file, 1000), "Task 1000 failed \\(error\\).*Degrees of freedom")
  expect_error(reproduce_task(n$file, 1200), "out of range: the job has 1,200 tasks")
})

test_that("reproduce_task() works when the grid.toml has moved or changed since", {
  skip_if_no_rsim()
  n <- native_job()
  dir <- new_dir("moved")
  file.copy(n$file, file.path(dir, "copy.h5"))
  res <- read_results(n$file, columns = c("reject", "p_value", "estimate"))
  expect_identical(reproduce_task(file.path(dir, "copy.h5"), 5), stored_fields(res, 5, c("reject", "p_value", "estimate")))
})

test_that("a binary that writes an older result format is refused", {
  skip_on_os("windows")
  n <- system.file("extdata", "power-demo.h5", package = "rsim")
  dir <- new_dir("oldbin")
  fake <- file.path(dir, "rsim")
  writeLines(c("#!/bin/sh", "echo 'rsim 0.0.1 (result format 0)'"), fake)
  Sys.chmod(fake, "755")
  old <- options(rsim.binary = fake)
  on.exit(options(old))
  expect_error(reproduce_task(n, 0), "writes result format 0, older than the file's format 1")
  options(rsim.binary = file.path(dir, "nothing"))
  expect_error(reproduce_task(n, 0), "option `rsim.binary` does not exist")
  options(rsim.binary = NULL)
  old_env <- Sys.getenv("RSIM_BIN")
  on.exit(Sys.setenv(RSIM_BIN = old_env), add = TRUE)
  Sys.unsetenv("RSIM_BIN")
  old_path <- Sys.getenv("PATH")
  on.exit(Sys.setenv(PATH = old_path), add = TRUE)
  Sys.setenv(PATH = dir) # only the fake "rsim" here
  expect_identical(rsim_binary(), normalizePath(fake))
  Sys.setenv(PATH = "")
  expect_error(rsim_binary(), "Cannot find the rsim program")
  expect_identical(rsim_binary(required = FALSE), "")
})

test_that("the demo files reproduce (script found next to the result file)", {
  skip_if_no_rsim()
  f <- system.file("extdata", "r-demo.h5", package = "rsim")
  res <- read_results(f)
  got <- suppressWarnings(reproduce_task(f, 5))
  expect_identical(got$mean, res$mean[6])
  expect_identical(got$range, res$range[6, ])
})

# A job on 2 ranks whose task uses shipped globals: a helper (defined at the
# console, so its environment is the global environment) that uses another
# global, and a table made by the set-up function with <<-.
globals_job <- function() {
  if (!is.null(fixtures$globals_job)) return(fixtures$globals_job)
  local_globalenv(list(k = 3, helper = function(x) round(x * k, 6)))
  sim <- function(n, .task) list(v = helper(mean(rnorm(n))) + tab[[.task$replicate + 1]], k_seen = k)
  dir <- new_dir("rglob")
  g <- write_grid(file.path(dir, "grid.toml"), sim, grid = list(n = c(5L, 50L)), replicates = 4, seed = 17,
                  setup = function() tab <<- c(10, 20, 30, 40))
  res <- rsim_run(g, np = 2, background = FALSE, globals = mget(c("helper", "k"), envir = globalenv()))
  fixtures$globals_job <- list(dir = dir, file = file.path(dir, "grid.h5"), res = res)
  fixtures$globals_job
}

test_that("reproduce_task() uses the globals the ranks had, never the session's", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  j <- globals_job()
  expect_true(all(j$res$status == "ok"))
  expect_false(any(c("k", "helper", "tab") %in% ls(globalenv()))) # the session has no such globals
  for (t in c(0, 5, 7)) {
    expect_identical(reproduce_task(j$file, t), list(v = j$res$v[t + 1], k_seen = 3), info = paste("task", t))
  }
  # a session variable of the same name is not used, and stays as it was
  local_globalenv(list(k = 100, tab = 1:4, helper = function(x) stop("the session's helper")))
  expect_identical(reproduce_task(j$file, 6), list(v = j$res$v[7], k_seen = 3))
  expect_identical(get("k", envir = globalenv()), 100)
  expect_identical(get("tab", envir = globalenv()), 1:4)
})

test_that("reproduce_task() refuses when the script or the globals differ from the result file's", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  j <- globals_job()
  rds <- file.path(j$dir, "grid.globals.rds")
  saved <- readBin(rds, "raw", file.size(rds))
  withr::defer(writeBin(saved, rds))
  g <- readRDS(rds)
  g$k <- 4
  saveRDS(g, rds, version = 3, compress = FALSE)
  err <- expect_error(reproduce_task(j$file, 1), class = "rsim_changed_job")
  expect_match(conditionMessage(err), "loaded file (", fixed = TRUE)
  expect_match(conditionMessage(err), "grid.globals.rds): sha256 [0-9a-f]{8}.. when the results were made")
  writeBin(saved, rds)
  expect_identical(reproduce_task(j$file, 1), list(v = j$res$v[2], k_seen = 3))
  # an edited task script
  script <- file.path(j$dir, "grid.R")
  old <- readLines(script)
  withr::defer(writeLines(old, script))
  writeLines(c(old, "# edited"), script)
  expect_error(reproduce_task(j$file, 1), "sourced file \\(.*grid.R\\): sha256", class = "rsim_changed_job")
})

test_that("reproduce_task() gives the task its [data] inputs as the ranks loaded them (rsim inspect --data)", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  dir <- new_dir("repdata")
  writeLines(c("x,label", "1.5,a", "NA,b", "NaN,NA", "Inf,d"), file.path(dir, "tab.csv"))
  g <- write_grid(file.path(dir, "grid.toml"),
    function(i) list(v = tab$x[i] + rnorm(1), na = is.na(tab$x[i]), nan = is.nan(tab$x[i]), lab = tab$label[i]),
    grid = list(i = 1:4), replicates = 2, seed = 5, data = list(tab = file.path(dir, "tab.csv"))
  )
  res <- rsim_run(g, np = 1, background = FALSE)
  expect_false(exists("tab", envir = globalenv()))
  for (t in 0:7) {
    got <- reproduce_task(file.path(dir, "grid.h5"), t)
    row <- res[res$task == t, ]
    expect_identical(got[c("na", "nan", "lab")], list(na = row$na, nan = row$nan, lab = row$lab))
    expect_identical(got$v, row$v)
  }
  d <- rsim:::job_data(rsim:::job_spec(g))$tab
  expect_identical(d$x, c(1.5, NA, NaN, Inf))
  expect_identical(d$label, c("a", "b", "NA", "d")) # text stays text, as the loader keeps it
  expect_identical(.row_names_info(d, type = 1L), -4L) # automatic (compact) row names
})
