# run_grid(): one call that writes the job into its own folder, finds the
# globals and packages of the task function and runs it.

test_that("run_grid() ships a helper that uses another global, pkg::fun and an attached package's function; every task ok at np = 2", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  local_attached("jsonlite")
  local_globalenv(list(
    k = 3,
    scale_by = function(x) x * k,                                  # uses the global k
    helper = function(x) scale_by(stats::median(x)),               # uses scale_by, and stats::median
    label = function(x) paste(tools::toTitleCase("run"), toJSON(x)), # tools:: loaded, not attached; jsonlite attached
    sim = function(n) {
      Sys.sleep(0.02) # long enough for both ranks to get tasks
      y <- rnorm(n)
      list(v = helper(y), med = median(y), lab = label(1:2))
    }
  ))
  dir <- file.path(new_dir("rg"), "study")
  job <- run_grid(sim, grid = list(n = c(5L, 10L)), replicates = 10, seed = 3, np = 2, dir = dir, background = FALSE)
  expect_s3_class(job, "rsim_job")
  expect_identical(job$status()$state, "finished")
  res <- job$result()
  expect_identical(nrow(res), 20L)
  expect_true(all(res$status == "ok"))
  expect_equal(res$v, 3 * res$med)
  expect_identical(unique(res$lab), "Run [1,2]")
  # what was shipped: the globals, found recursively, saved once; the packages
  expect_true(all(c("grid.toml", "grid.R", "grid.globals.rds", "grid.globals.R", "grid.globals.toml", "sim.h5") %in% list.files(dir)))
  expect_identical(names(readRDS(file.path(dir, "grid.globals.rds"))), c("helper", "k", "label", "scale_by"))
  expect_identical(rsim:::job_spec(file.path(dir, "grid.toml"))$task$packages, c("stats", "jsonlite"))
  expect_true(any(grepl("lapply(\"tools\", loadNamespace)", readLines(file.path(dir, "grid.globals.R")), fixed = TRUE)))
})

test_that("a missing global refuses the launch, naming it and what uses it; nothing is written", {
  local_globalenv(list(
    helper = function(x) x + nowhere,
    sim = function(n) {
      d <- data.frame(x = 1:3, y = c(2, 4, 7))
      fit <- lm(y ~ x, d)                 # formula variables are not globals
      list(v = helper(n) + gone, s = nrow(subset(d, x > cutoff)))
    }
  ))
  dir <- file.path(new_dir("rg"), "study")
  err <- expect_error(run_grid(sim, grid = list(n = 1:2), seed = 1, np = 1, dir = dir), class = "rsim_missing_globals")
  expect_setequal(err$missing, c("gone", "cutoff", "nowhere"))
  expect_match(conditionMessage(err), "the task function uses `gone`, `cutoff`", fixed = TRUE)
  expect_match(conditionMessage(err), "helper() uses `nowhere`", fixed = TRUE)
  expect_false(dir.exists(dir))
  # a column used by subset() is not a variable: not_globals says so; `gone` is still missing
  err <- expect_error(run_grid(sim, seed = 1, dir = dir, not_globals = c("cutoff", "nowhere")), class = "rsim_missing_globals")
  expect_identical(err$missing, "gone")
  # a package that is not installed
  err <- expect_error(run_grid(function(n) list(v = notapkg::f(n)), seed = 1, dir = dir), class = "rsim_missing_globals")
  expect_match(conditionMessage(err), "package notapkg, which is not installed")
  expect_false(dir.exists(dir))
})

test_that("a large global is reported with its size", {
  skip_if_no_rsim()
  withr::local_options(rsim.large_global = 1e5)
  local_globalenv(list(big = as.numeric(1:20000), small = 2, sim = function(i) list(v = big[i] * small)))
  dir <- new_dir("rg")
  expect_message(job <- run_grid(sim, grid = list(i = c(1L, 20000L)), seed = 1, np = 1, dir = dir, background = FALSE),
                 "Large global shipped to every rank: big \\(160 kB\\)", class = "rsim_large_globals")
  expect_identical(job$result()$v, c(2, 40000))
})

test_that("the same call again is already complete; other globals or a changed function are refused, the files kept", {
  skip_if_no_rsim()
  local_globalenv(list(k = 2, sim = function(i) list(v = i * k)))
  dir <- new_dir("rg")
  run <- function(...) run_grid(sim, grid = list(i = 1:3), seed = 1, np = 1, dir = dir, background = FALSE, ...)
  expect_identical(run()$result()$v, c(2, 4, 6))
  files <- file.path(dir, c("grid.R", "grid.toml", "grid.globals.rds", "grid.globals.R"))
  before <- tools::md5sum(files)
  again <- run()
  expect_true(any(grepl("already complete", again$log())))
  expect_identical(tools::md5sum(files), before)
  assign("k", 5, envir = globalenv())
  err <- expect_error(run(), class = "rsim_changed_job")
  expect_match(conditionMessage(err), "loaded file grid.globals.rds changed since these results were made")
  expect_match(conditionMessage(err), "fresh = TRUE", fixed = TRUE)
  expect_identical(tools::md5sum(files), before)
  assign("k", 2, envir = globalenv())
  assign("sim", function(i) list(v = i * k + 1), envir = globalenv())
  err <- expect_error(run(), class = "rsim_changed_job")
  expect_match(conditionMessage(err), "sourced file grid.R changed since these results were made")
  expect_identical(tools::md5sum(files), before)
  expect_identical(run(fresh = TRUE)$result()$v, c(3, 5, 7))
})

test_that("run_grid() takes write_grid()'s settings, a set-up function, explicit globals and none", {
  skip_if_no_rsim()
  dir <- new_dir("rg")
  write.csv(data.frame(a = c(1, 2, 3)), file.path(dir, "tab.csv"), row.names = FALSE)
  local_globalenv(list(offset = 10, sim = function(i, w) list(v = tab$a[i] * w + offset + extra)))
  prep <- function() extra <<- 100 # a global made by set-up on every rank
  job <- run_grid(sim, grid = list(i = 1:3), seed = 1, np = 1, dir = file.path(dir, "a"), background = FALSE,
                  args = list(w = 2), data = list(tab = file.path(dir, "tab.csv")), setup = prep, timeout = "1m",
                  retries = 1, name = "named")
  expect_identical(job$result()$v, c(112, 114, 116))
  expect_true(file.exists(file.path(dir, "a", "named.h5")))
  expect_identical(names(readRDS(file.path(dir, "a", "grid.globals.rds"))), "offset")
  # explicit globals: exactly these, nothing searched
  f <- function(i) list(v = i + off)
  expect_identical(run_grid(f, grid = list(i = 1:2), seed = 1, np = 1, dir = file.path(dir, "b"), background = FALSE,
                            globals = list(off = 0.5))$result()$v, c(1.5, 2.5))
  # none: a self-contained function runs from grid.toml itself
  job <- run_grid(function(i) list(v = -i), grid = list(i = 1:2), seed = 1, np = 1, dir = file.path(dir, "c"),
                  background = FALSE, globals = FALSE)
  expect_identical(job$result()$v, c(-1L, -2L))
  expect_false(file.exists(file.path(dir, "c", "grid.globals.rds")))
  expect_error(run_grid(f, seed = 1, dir = file.path(dir, "d"), globals = "off"), "must be `TRUE`")
  expect_error(run_grid(f, dir = file.path(dir, "d")), "seed.*is missing")
})
