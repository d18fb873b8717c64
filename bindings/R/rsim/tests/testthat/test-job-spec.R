# job_spec(): what the package knows of a job, from rsim (grid.toml) or
# from the result file.

# The parts of a job that must not depend on where they were read from.
spec_core <- function(s) {
  s[c("name", "seed", "seed_text", "replicates", "n_points", "n_tasks", "params", "param_types", "backend", "task", "args")]
}

# A copy of a result file with the job_json attribute an rsim with
# `rsim inspect` stores: `rsim inspect` of the grid.toml.
with_job_json <- function(file, grid, dir) {
  copy <- file.path(dir, basename(file))
  file.copy(file, copy)
  json <- processx::run(Sys.getenv("RSIM_BIN"), c("inspect", grid))$stdout
  h5 <- hdf5r::H5File$new(copy, mode = "r+")
  if (h5$attr_exists("job_json")) h5$attr_delete("job_json")
  h5$create_attr("job_json", robj = trimws(json), space = hdf5r::H5S$new("scalar"))
  h5$close_all()
  copy
}

test_that("job_spec() of a grid.toml and of its result file agree", {
  skip_if_no_rsim()
  for (j in list(r_job(), native_job())) {
    from_grid <- rsim:::job_spec(j$grid)
    from_file <- rsim:::job_spec(j$file)
    expect_identical(spec_core(from_file), spec_core(from_grid))
    expect_identical(from_file$output, normalizePath(j$file))
    expect_identical(from_grid$output, normalizePath(j$file))
    for (t in c(0, 7, from_grid$n_tasks - 1)) {
      expect_identical(rsim:::task_view(from_file, t), rsim:::task_view(from_grid, t), info = paste("task", t))
    }
  }
  r <- rsim:::job_spec(r_job()$grid)
  expect_identical(r$task$script, file.path(r_job()$dir, "grid.R")) # as rsim resolved it
  expect_identical(r$param_types, c(n = "integer", mu = "float", label = "string"))
  expect_identical(rsim:::task_view(r, 159)[c("point", "replicate", "params")],
                   list(point = 7, replicate = 19, params = list(n = 20L, mu = 1.5, label = "bad")))
})

test_that("a result file's job_json attribute is read without the binary", {
  skip_if_no_rsim()
  j <- r_job()
  copy <- with_job_json(j$file, j$grid, new_dir("jobjson"))
  from_grid <- rsim:::job_spec(j$grid)
  withr_binary <- function(code) {
    old <- c(options(rsim.binary = NULL), list(env = Sys.getenv("RSIM_BIN"), path = Sys.getenv("PATH")))
    on.exit({
      options(old[1])
      Sys.setenv(RSIM_BIN = old$env, PATH = old$path)
    })
    Sys.unsetenv("RSIM_BIN")
    Sys.setenv(PATH = "")
    code
  }
  from_file <- withr_binary(rsim:::job_spec(copy))
  expect_true(from_file$has_job_json)
  expect_identical(spec_core(from_file), spec_core(from_grid))
  expect_identical(rsim:::task_view(from_file, 42), rsim:::task_view(from_grid, 42))
  expect_identical(suppressWarnings(reproduce_task(copy, 42)), suppressWarnings(reproduce_task(j$grid, 42)))
})

test_that("a result file whose grid.toml and script are gone fails clearly", {
  skip_if_no_rsim()
  dir <- new_dir("gone")
  g <- write_grid(file.path(dir, "grid.toml"), function(a) list(x = a), grid = list(a = 1:2), seed = 3)
  rsim_run(g, np = 1, background = FALSE)
  away <- new_dir("away")
  file.copy(file.path(dir, "grid.h5"), away)
  unlink(dir, recursive = TRUE)
  # rsim reads the grid.toml text the file records, which names the script that is gone
  e <- expect_error(task_seed(file.path(away, "grid.h5"), 0), "rsim refused the grid.toml this result file records")
  expect_match(conditionMessage(e), "grid.R")
  expect_identical(list.files(away, all.files = TRUE, no.. = TRUE), "grid.h5") # no temporary grid left behind
})
