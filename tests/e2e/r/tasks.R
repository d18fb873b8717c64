# Task script for tests/e2e/r_tasks.sh: one kind of behaviour per grid value.
shared_value <- 42
start_wd <- getwd()
setup <- function() assign("setup_ran", TRUE, envir = globalenv())

fields <- function(x, .task) {
  list(i = as.integer(.task$replicate), x = as.double(x), flag = x > 1,
       label = paste0("t", .task$task), v = c(x, -x), r = rnorm(1))
}
deep <- function(n) deep(n + 1)

simulate <- function(kind, x, .task) {
  # What a previous task changed must have been undone.
  stopifnot(isTRUE(setup_ran), shared_value == 42, !exists("leaked"),
            identical(getOption("rsim.test.opt"), NULL), getwd() == start_wd)
  switch(kind,
    ok = fields(x, .task),
    stop = stop("bad parameter x = ", x),
    assert = {
      stopifnot("x must be negative" = x < 0)
      fields(x, .task)
    },
    recurse = deep(1),
    warn = {
      warning("first warning")
      warning("second warning")
      fields(x, .task)
    },
    print = {
      print("hello from a task")
      cat("cat output\n")
      message("a message")
      fields(x, .task)
    },
    leak = {
      assign("leaked", 1, envir = globalenv())
      options(rsim.test.opt = "set")
      setwd(tempdir())
      fields(x, .task)
    },
    slow = repeat {},
    na = list(i = NA_integer_, x = NA_real_, flag = NA, label = NA_character_, v = c(NA, 1), r = rnorm(1)),
    mismatch = list(i = "text", x = x, flag = TRUE, label = "", v = c(1, 2), r = 0),
    null = NULL
  )
}
