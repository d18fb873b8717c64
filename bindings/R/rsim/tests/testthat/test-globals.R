# Finding the globals of a task function, and the files that ship them.

test_that("globals are found recursively, with the packages the code calls", {
  local_attached("jsonlite")
  local_globalenv(list(
    rate = 0.5, unused = 1,
    inner = function(x) x * rate,                  # a helper's global
    middle = function(x) inner(x) + stats::median(x), # a helper that uses another helper
    setup_tab = c(1, 2)
  ))
  task <- function(n, .task) {
    y <- rnorm(n)
    list(v = middle(y), j = toJSON(y), t = tools::file_ext("a.csv"), fit = coef(lm(y ~ x, data.frame(x = seq_len(n), y = y))))
  }
  setup <- function() lookup <<- setup_tab * 2
  found <- rsim:::find_globals(task, setup)
  expect_identical(names(found$globals), c("inner", "middle", "rate", "setup_tab"))
  expect_identical(found$globals$rate, 0.5)
  expect_identical(found$packages, c("stats", "jsonlite")) # in the session's order: jsonlite attached last
  expect_identical(found$namespaces, "tools")               # stats is attached anyway
  expect_identical(nrow(found$missing), 0L)                 # y ~ x: x is a column, not a global
  # what set-up assigns with <<- is no missing global of the task
  uses <- function(n) list(v = lookup[n])
  expect_identical(nrow(rsim:::find_globals(uses, setup)$missing), 0L)
  expect_identical(rsim:::find_globals(uses)$missing$name, "lookup")
  # names rsim gives ([data], the script's functions) are excluded
  expect_identical(nrow(rsim:::find_globals(uses, exclude = "lookup")$missing), 0L)
})

test_that("the same globals give the same bytes: no source references, no byte code", {
  f1 <- eval(parse(text = "function(x) {\n  x + 1 # one\n}", keep.source = TRUE))
  Sys.sleep(1.1) # another source timestamp
  f2 <- eval(parse(text = "function(x) {\n  x + 1 # one\n}", keep.source = TRUE))
  f2 <- compiler::cmpfun(f2)
  environment(f1) <- environment(f2) <- globalenv()
  bytes <- function(f) serialize(rsim:::plain_globals(list(f = f, k = 1:3)), NULL, version = 3)
  expect_false(identical(serialize(f1, NULL), serialize(f2, NULL)))
  expect_identical(bytes(f1), bytes(f2))
  g <- rsim:::plain_globals(list(f = structure(f1, class = c("myfun", "function"))))$f
  expect_s3_class(g, "myfun")
  expect_null(attr(g, "srcref"))
  expect_identical(g(1), 2)
})

test_that("a refused rsim_run(globals = other) leaves the globals files as the results were made", {
  skip_if_no_rsim()
  dir <- new_dir("glob")
  g <- write_grid(file.path(dir, "grid.toml"), function(i) list(v = i * scale), grid = list(i = 1:2), seed = 8)
  expect_identical(rsim_run(g, np = 1, background = FALSE, globals = list(scale = 2))$v, c(2, 4))
  files <- file.path(dir, c("grid.globals.rds", "grid.globals.R", "grid.globals.toml"))
  before <- tools::md5sum(files)
  err <- expect_error(rsim_run(g, np = 1, background = FALSE, globals = list(scale = 3)), class = "rsim_changed_job")
  expect_match(conditionMessage(err), "loaded file grid.globals.rds changed since these results were made")
  expect_identical(tools::md5sum(files), before)
  expect_identical(readRDS(files[1]), list(scale = 2))
  expect_length(list.files(dir, pattern = "^\\.rsim-staged-", all.files = TRUE), 0L)
  # the results still reproduce, and the same globals again are the finished job
  expect_identical(reproduce_task(file.path(dir, "grid.h5"), 1), list(v = 4))
  expect_identical(rsim_run(g, np = 1, background = FALSE, globals = list(scale = 2))$v, c(2, 4))
  # another output, or fresh = TRUE, takes other globals
  out <- rsim_run(g, np = 1, background = FALSE, globals = list(scale = 3), output = file.path(dir, "other.h5"))
  expect_identical(out$v, c(3, 6))
  expect_identical(rsim_run(g, np = 1, background = FALSE, globals = list(scale = 4), fresh = TRUE)$v, c(4, 8))
})

test_that("rsim_run(namespaces = ) loads them on every rank before the script", {
  skip_if_no_rsim()
  dir <- new_dir("ns")
  g <- write_grid(file.path(dir, "grid.toml"), function(i) list(v = isNamespaceLoaded("splines")), grid = list(i = 1L), seed = 1)
  expect_identical(rsim_run(g, np = 1, background = FALSE, output = file.path(dir, "plain.h5"))$v, FALSE)
  expect_identical(rsim_run(g, np = 1, background = FALSE, namespaces = "splines")$v, TRUE)
  expect_false(file.exists(file.path(dir, "grid.globals.rds"))) # no globals: only the wrapper
  expect_error(rsim_run(g, np = 1, background = FALSE, namespaces = "notapkg", fresh = TRUE), "notapkg")
  expect_error(rsim_run(g, np = 1, namespaces = 1), "character vector")
})
