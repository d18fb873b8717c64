# The workloads of the peer benchmark (issue 7), shared by every runner:
# rsim sources this file once per rank and calls the task functions by name
# (with the grid parameters as named arguments); the R runners in
# run_peer.R source it and call make_task(workload), a function of the task
# id t = 0, 1, ... that calls the very same task functions.
#
#   tiny    function(i) mean(rnorm(10))                           (~5 us)
#   medium  lm fit on 200 simulated rows, 5 covariates, plus a
#           bootstrap standard error from 25 refits               (~10 ms)
#   power   one replicate of the two-sample t-test power study,
#           4 x 4 x 2 grid (examples/power-r/power.R)             (~70 us)
#   volume  4 numbers per task (named, so rsim stores 4 fields)   (~3 us)

tiny <- function(i) mean(rnorm(10))

medium <- function(i) {
  n <- 200L
  x <- matrix(rnorm(n * 5L), n)
  y <- drop(x %*% c(0.5, -0.25, 0, 0, 0.1)) + rnorm(n)
  est <- unname(coef(lm(y ~ x))[2L])
  b <- numeric(25L)
  for (k in seq_along(b)) {
    s <- sample.int(n, replace = TRUE)
    b[k] <- coef(lm(y[s] ~ x[s, ]))[2L]
  }
  c(est = est, se = sd(b))
}

simulate <- function(n, delta, test, sd = 1, alpha = 0.05) {
  x <- rnorm(n, 0, sd)
  y <- rnorm(n, delta, sd)
  tt <- t.test(y, x, var.equal = (test == "student"))
  list(reject = as.integer(tt$p.value < alpha), p_value = tt$p.value,
       estimate = unname(tt$estimate[1] - tt$estimate[2]))
}

volume <- function(i) {
  x <- rnorm(4L)
  names(x) <- c("a", "b", "c", "d")
  x
}

# The power grid, in rsim's order (first key slowest): point p = t %/% reps.
power_grid <- expand.grid(test = c("welch", "student"), delta = c(0.0, 0.2, 0.5, 0.8),
                          n = c(10L, 20L, 50L, 100L), stringsAsFactors = FALSE)[, c("n", "delta", "test")]

# A task of `workload` as a function of the task id t (0-based), for the R
# runners.  The closure carries what it needs (its environment is serialised
# with it), so PSOCK workers, future and batchtools need no extra exports.
make_task <- function(workload, tasks) {
  env <- new.env(parent = globalenv())
  env$tiny <- tiny; env$medium <- medium; env$simulate <- simulate; env$volume <- volume
  f <- switch(workload,
    tiny = function(t) tiny(t),
    medium = function(t) medium(t),
    volume = function(t) volume(t),
    power = {
      env$reps <- tasks %/% nrow(power_grid)
      env$gn <- power_grid$n; env$gd <- power_grid$delta; env$gt <- power_grid$test
      function(t) {
        p <- t %/% reps + 1L
        simulate(n = gn[p], delta = gd[p], test = gt[p], sd = 1, alpha = 0.05)
      }
    },
    stop("unknown workload ", workload))
  environment(f) <- env
  f
}

# Checks that a runner really did the work: every task returned, results
# distinct (each task drew its own random numbers) and statistically right.
# `values`: tiny -> numeric(n); medium -> n x 2 (est, se); volume -> n x 4;
# power -> integer reject per task.  Returns "ok" or a message starting "FAIL".
check_values <- function(workload, values, tasks) {
  z_ok <- function(m, mu, se, what) {
    z <- (m - mu) / se
    if (!is.finite(z) || abs(z) > 5) sprintf("FAIL %s: mean %.5g, expected %.5g (z = %.1f)", what, m, mu, z) else "ok"
  }
  nrows <- if (is.matrix(values)) nrow(values) else length(values)
  if (nrows != tasks) return(sprintf("FAIL %d results for %d tasks", nrows, tasks))
  if (anyNA(values)) return("FAIL missing values in the results")
  switch(workload,
    tiny = if (anyDuplicated(values)) "FAIL duplicated results (tasks shared random numbers)"
           else z_ok(mean(values), 0, sqrt(0.1 / tasks), "mean(rnorm(10))"),
    medium = if (anyDuplicated(values[, 1])) "FAIL duplicated results (tasks shared random numbers)"
             else z_ok(mean(values[, 1]), 0.5, sd(values[, 1]) / sqrt(tasks), "lm slope"),
    volume = if (ncol(values) != 4L) "FAIL results do not have 4 columns"
             else if (anyDuplicated(values[, 1])) "FAIL duplicated results (tasks shared random numbers)"
             else z_ok(mean(values), 0, 1 / sqrt(4 * tasks), "rnorm(4)"),
    power = if (!all(values %in% 0:1)) "FAIL reject is not 0/1" else "ok")
}

# Per grid point rejection counts of the power study: data frame point, reps, rejects.
power_counts <- function(reject, tasks) {
  reps <- tasks %/% nrow(power_grid)
  point <- (seq_len(tasks) - 1L) %/% reps + 1L
  data.frame(point = seq_len(nrow(power_grid)), reps = reps,
             rejects = as.integer(tabulate(point[reject == 1L], nrow(power_grid))))
}
