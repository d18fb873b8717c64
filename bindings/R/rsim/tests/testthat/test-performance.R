# performance(): every measure of Morris, White & Crowther (2019, Table 6)
# against hand computations, the input forms, grouping, missing values,
# the print and plot methods and the error messages.  No binary needed.

# One value of x (from performance()) by measure and column filters; the
# dotted names keep the filters (n = 50, m = "a") from matching arguments.
pv <- function(.x, .measure, .col = "estimate", ...) {
  keep <- .x$measure == .measure
  f <- list(...)
  for (k in names(f)) keep <- keep & .x[[k]] == f[[k]]
  stopifnot(sum(keep) == 1L)
  .x[[.col]][keep]
}

# The data frame without the class and the attribute of the call.
plain <- function(x) {
  x <- as.data.frame(x)
  attr(x, "performance") <- NULL
  x
}

# Table 6 written out with sums, for one group.
hand_measures <- function(est, theta, se, lo, hi, p, alpha = 0.05) {
  n <- length(est)
  mean_est <- sum(est) / n
  s2 <- sum((est - mean_est)^2) / (n - 1)
  empse <- sqrt(s2)
  mse <- sum((est - theta)^2) / n
  modelse <- sqrt(sum(se^2) / n)
  v <- sum((se^2 - sum(se^2) / n)^2) / (n - 1)
  cover <- sum(lo <= theta & theta <= hi) / n
  becover <- sum(lo <= mean_est & mean_est <= hi) / n
  power <- sum(p <= alpha) / n
  list(
    bias = c(mean_est - theta, sqrt(s2 / n)),
    empse = c(empse, empse / sqrt(2 * (n - 1))),
    mse = c(mse, sqrt(sum(((est - theta)^2 - mse)^2) / (n * (n - 1)))),
    modelse = c(modelse, sqrt(v / (4 * n * modelse^2))),
    relerror = c(100 * (modelse / empse - 1),
                 100 * (modelse / empse) * sqrt(v / (4 * n * modelse^4) + 1 / (2 * (n - 1)))),
    cover = c(cover, sqrt(cover * (1 - cover) / n)),
    becover = c(becover, sqrt(becover * (1 - becover) / n)),
    rejection = c(power, sqrt(power * (1 - power) / n))
  )
}

expect_hand <- function(.x, .h, .n, ...) {
  for (m in names(.h)) {
    expect_equal(c(pv(.x, m, ...), pv(.x, m, "mcse", ...)), .h[[m]], tolerance = 1e-12, label = m)
    expect_identical(pv(.x, m, "nsim", ...), as.integer(.n), label = paste(m, "nsim"))
  }
}

sim_data <- function() {
  set.seed(20190101)
  d <- data.frame(g = rep(c("a", "b"), each = 12), theta = rep(c(1, 2), each = 12))
  d$est <- rnorm(24, d$theta, 0.5)
  d$se <- runif(24, 0.3, 0.7)
  d$lo <- d$est - 1.8 * d$se
  d$hi <- d$est + 2.1 * d$se
  d$p <- runif(24)^2
  d
}

test_that("every measure matches Table 6 on four replicates computed by hand", {
  d <- data.frame(est = c(1, 2, 3, 4), se = c(1, 1, 2, 2), p = c(0.01, 0.2, 0.05, 0.5))
  d$lo <- d$est - 1.5
  d$hi <- d$est + 1.5
  x <- performance(d, true = 2, estimate = "est", se = "se", lower = "lo", upper = "hi", p = "p", by = character())
  expect_s3_class(x, "rsim_performance")
  expect_identical(names(x), c("measure", "estimate", "mcse", "nsim"))
  expect_identical(x$measure, c("bias", "empse", "mse", "modelse", "relerror", "cover", "becover", "rejection"))
  expect_equal(c(pv(x, "bias"), pv(x, "bias", "mcse")), c(0.5, sqrt(5 / 12)))
  expect_equal(c(pv(x, "empse"), pv(x, "empse", "mcse")), c(sqrt(5 / 3), sqrt(5 / 3) / sqrt(6)))
  expect_equal(c(pv(x, "mse"), pv(x, "mse", "mcse")), c(1.5, sqrt(9 / 12)))
  expect_equal(c(pv(x, "modelse"), pv(x, "modelse", "mcse")), c(sqrt(2.5), sqrt(3 / 40)))
  expect_equal(c(pv(x, "relerror"), pv(x, "relerror", "mcse")),
               c(100 * (sqrt(1.5) - 1), 100 * sqrt(1.5) * sqrt(3 / 100 + 1 / 6)))
  # intervals [-0.5, 2.5], [0.5, 3.5], [1.5, 4.5], [2.5, 5.5]: 2 in the first three,
  # the mean 2.5 in all four (bounds included)
  expect_equal(c(pv(x, "cover"), pv(x, "cover", "mcse")), c(0.75, sqrt(0.75 * 0.25 / 4)))
  expect_equal(c(pv(x, "becover"), pv(x, "becover", "mcse")), c(1, 0))
  expect_equal(c(pv(x, "rejection"), pv(x, "rejection", "mcse")), c(0.5, 0.25)) # p <= 0.05 included
  expect_identical(x$nsim, rep(4L, 8))
})

test_that("every measure matches the hand computation per group", {
  d <- sim_data()
  x <- performance(d, true = "theta", estimate = "est", se = "se", lower = "lo", upper = "hi", p = "p", by = "g")
  expect_identical(names(x), c("g", "measure", "estimate", "mcse", "nsim"))
  expect_identical(unique(x$g), c("a", "b"))
  for (grp in c("a", "b")) {
    s <- d[d$g == grp, ]
    expect_hand(x, hand_measures(s$est, s$theta[1], s$se, s$lo, s$hi, s$p), 12, g = grp)
  }
  # alpha
  y <- performance(d, true = "theta", estimate = "est", p = "p", by = "g", alpha = 0.2)
  expect_equal(pv(y, "rejection", g = "a"), mean(d$p[1:12] <= 0.2))
  expect_identical(unique(y$measure), c("bias", "empse", "mse", "rejection"))
})

test_that("relbias is the mean relative error, NA where the true value is 0", {
  d <- sim_data()
  x <- performance(d, true = "theta", estimate = "est", by = "g", measures = c("relbias", "bias"))
  expect_identical(unique(x$measure), c("bias", "relbias"))
  s <- d[d$g == "b", ]
  r <- (s$est - 2) / 2
  expect_equal(c(pv(x, "relbias", g = "b"), pv(x, "relbias", "mcse", g = "b")),
               c(sum(r) / 12, sqrt(sum((r - mean(r))^2) / 11 / 12)))
  z <- performance(d, true = 0, estimate = "est", by = "g", measures = "relbias")
  expect_true(all(is.na(z$estimate)) && all(is.na(z$mcse)))
  expect_identical(z$nsim, c(12L, 12L))
})

test_that("without lower and upper the intervals are estimate +/- z se at level", {
  d <- sim_data()
  for (level in c(0.95, 0.8)) {
    z <- qnorm(1 - (1 - level) / 2)
    x <- performance(d, true = "theta", estimate = "est", se = "se", by = "g", level = level)
    s <- d[d$g == "a", ]
    lo <- s$est - z * s$se
    hi <- s$est + z * s$se
    h <- hand_measures(s$est, 1, s$se, lo, hi, p = numeric(12))
    expect_equal(c(pv(x, "cover", g = "a"), pv(x, "cover", "mcse", g = "a")), h$cover)
    expect_equal(c(pv(x, "becover", g = "a"), pv(x, "becover", "mcse", g = "a")), h$becover)
    # no p: reject when the interval excludes null (0 by default)
    expect_equal(pv(x, "rejection", g = "a"), mean(lo > 0 | hi < 0))
    expect_equal(attr(x, "performance")$ci, "se")
  }
  x <- performance(d, true = "theta", estimate = "est", se = "se", by = "g", null = 1)
  s <- d[d$g == "a", ]
  expect_equal(pv(x, "rejection", g = "a"), mean(abs(s$est - 1) > qnorm(0.975) * s$se))
  # lower/upper win over se for intervals
  y <- performance(d, true = "theta", estimate = "est", se = "se", lower = "lo", upper = "hi", by = "g")
  expect_equal(pv(y, "cover", g = "a"), mean(s$lo <= 1 & 1 <= s$hi))
})

test_that("missing values drop a replicate from the measures that need them, n says so", {
  d <- sim_data()
  d$est[2] <- NA # dropped everywhere
  d$se[3] <- NA  # dropped from modelse, relerror, and (intervals from se) cover, becover, rejection
  d$p[4] <- NA
  x <- performance(d, true = "theta", estimate = "est", se = "se", p = "p", by = "g")
  s <- d[1:12, ]
  n <- c(bias = 11L, empse = 11L, mse = 11L, modelse = 10L, relerror = 10L, cover = 10L, becover = 10L,
         rejection = 10L)
  expect_identical(x$nsim[x$g == "a"], unname(n))
  expect_identical(x$nsim[x$g == "b"], rep(12L, 8))
  e <- s$est[-2]
  expect_equal(pv(x, "bias", g = "a"), mean(e) - 1)
  expect_equal(pv(x, "empse", g = "a"), sd(e))
  k <- -(2:3)
  z <- qnorm(0.975)
  h <- hand_measures(s$est[k], 1, s$se[k], s$est[k] - z * s$se[k], s$est[k] + z * s$se[k], p = s$p[k])
  for (m in c("modelse", "relerror", "cover", "becover")) {
    expect_equal(c(pv(x, m, g = "a"), pv(x, m, "mcse", g = "a")), h[[m]], label = m)
  }
  expect_equal(pv(x, "rejection", g = "a"), mean(s$p[-c(2, 4)] <= 0.05)) # the missing se does not matter
  # a missing true value drops the replicate from bias, mse, cover only
  d$theta[5] <- NA
  y <- performance(d, true = "theta", estimate = "est", se = "se", by = "g")
  expect_identical(pv(y, "bias", "nsim", g = "a"), 10L)
  expect_identical(pv(y, "empse", "nsim", g = "a"), 11L)
  expect_identical(pv(y, "cover", "nsim", g = "a"), 9L)
  # a group with one replicate: estimates, no Monte Carlo SEs
  one <- performance(d[1, ], true = 1, estimate = "est", se = "se", by = character())
  expect_equal(pv(one, "bias"), d$est[1] - 1)
  expect_true(is.na(pv(one, "bias", "mcse")) && is.na(pv(one, "empse")) && is.na(pv(one, "mse", "mcse")))
})

test_that("methods side by side (named estimate) equal methods one below the other (method column)", {
  d <- sim_data()
  d$est2 <- d$est + 0.1
  d$se2 <- d$se * 1.2
  wide <- performance(d, true = "theta", estimate = c(plain = "est", shifted = "est2"),
                      se = c(shifted = "se2", plain = "se"), by = "g") # se matched by name
  long_d <- rbind(data.frame(d[c("g", "theta", "est", "se")], m = "plain"),
                  data.frame(g = d$g, theta = d$theta, est = d$est2, se = d$se2, m = "shifted"))
  long <- performance(long_d, true = "theta", estimate = "est", se = "se", method = "m", by = "g")
  expect_identical(names(wide), c("g", "method", "measure", "estimate", "mcse", "nsim"))
  expect_identical(names(long), c("g", "m", "measure", "estimate", "mcse", "nsim"))
  expect_identical(unique(wide$method), c("plain", "shifted"))
  expect_equal(plain(wide)[-2], plain(long)[-2])
  expect_identical(wide$method, long$m)
  s <- d[d$g == "b", ]
  z <- qnorm(0.975)
  h <- hand_measures(s$est2, 2, s$se2, s$est2 - z * s$se2, s$est2 + z * s$se2, p = s$est2 * 0)
  h$rejection <- NULL
  expect_hand(wide, h, 12, g = "b", method = "shifted")
  # a factor method column keeps its level order
  long_d$m <- factor(long_d$m, levels = c("shifted", "plain"))
  f <- performance(long_d, true = "theta", estimate = "est", method = "m", by = "g")
  expect_identical(unique(f$m), c("shifted", "plain"))
  expect_equal(pv(f, "bias", g = "a", m = "plain"), mean(d$est[1:12]) - 1)
})

test_that("true is a number or a column; by groups, pools or defaults predictably", {
  d <- sim_data()
  by_col <- performance(d, true = "theta", estimate = "est", by = "g")
  a <- performance(d[d$g == "a", ], true = 1, estimate = "est", by = "g")
  b <- performance(d[d$g == "b", ], true = 2, estimate = "est", by = "g")
  expect_equal(plain(by_col), rbind(plain(a), plain(b)))
  # pooled over groups: the true value is taken replicate by replicate
  all <- performance(d, true = "theta", estimate = "est", by = character())
  expect_equal(pv(all, "bias"), mean(d$est - d$theta))
  expect_equal(pv(all, "bias", "mcse"), sd(d$est - d$theta) / sqrt(24))
  expect_equal(pv(all, "mse"), mean((d$est - d$theta)^2))
  # default by, plain data frame: every column but the inputs (here g and theta)
  def <- performance(d[c("g", "theta", "est", "se")], true = "theta", estimate = "est", se = "se")
  expect_identical(attr(def, "performance")$by, c("g", "theta"))
  expect_equal(pv(def, "bias", g = "b"), pv(by_col, "bias", g = "b"))
  # ... which refuses groups of one row (a replicate column)
  d$rep_id <- seq_len(24)
  expect_error(performance(d[c("g", "rep_id", "est")], true = 0, estimate = "est"), "single row")
  # groups come in order of first appearance, several by columns
  d$n <- rep(c(20, 10), 12)
  x <- performance(d, true = "theta", estimate = "est", by = c("g", "n"), measures = "bias")
  expect_identical(x$g, c("a", "a", "b", "b"))
  expect_identical(x$n, c(20, 10, 20, 10))
  expect_equal(x$estimate[2], mean(d$est[d$g == "a" & d$n == 10]) - 1)
})

test_that("result files: ok tasks only, grid parameters by default, the same as the data frame", {
  f <- system.file("extdata", "power-demo.h5", package = "rsim")
  x <- performance(f, true = "delta", estimate = "estimate", p = "p_value")
  expect_identical(names(x), c("n", "delta", "sd", "measure", "estimate", "mcse", "nsim"))
  info <- attr(x, "performance")
  expect_identical(c(info$rows, info$dropped), c(200L, 40L))
  res <- read_results(f, status = "ok")
  s <- res[res$n == 50 & res$delta == 0.5, ]
  h <- hand_measures(s$estimate, 0.5, s$estimate, s$estimate, s$estimate, s$p_value)
  expect_hand(x, h[c("bias", "empse", "mse", "rejection")], 40, n = 50, delta = 0.5)
  expect_equal(pv(x, "rejection", n = 50, delta = 0.5), mean(s$reject))
  # read_results() of all tasks: status drops the failed ones, the point column gives the grid parameters
  y <- performance(read_results(f), true = "delta", estimate = "estimate", p = "p_value")
  expect_equal(plain(y), plain(x))
  expect_identical(attr(y, "performance")$dropped, 40L)
  expect_output(print(x), "rows: 160 used, 40 dropped \\(status not ok\\)")
  expect_output(print(x), "rejection: p <= 0.05")
  # by on a file reads only what it needs
  z <- performance(f, true = "delta", estimate = "estimate", by = "n")
  expect_identical(unique(z$n), c(10L, 50L))
  r <- system.file("extdata", "r-demo.h5", package = "rsim")
  w <- performance(r, true = "mu", estimate = "mean")
  expect_identical(unique(w[c("k", "mu")])$k, rep(1:3, each = 2))
  expect_identical(pv(w, "bias", "nsim", k = 3L, mu = 0), 3L) # replicate 3 failed
})

test_that("format and print show one row per group and method", {
  d <- sim_data()
  x <- performance(d, true = "theta", estimate = c(u = "est", v = "est"), se = c(u = "se", v = "se"), by = "g")
  fm <- format(x, digits = 2)
  expect_identical(names(fm), c("g", "method", "bias", "empse", "mse", "modelse", "relerror", "cover",
                                "becover", "rejection", "nsim"))
  expect_identical(nrow(fm), 4L)
  expect_identical(fm$bias[1], sprintf("%s (%s)", format(pv(x, "bias", g = "a", method = "u"), digits = 2),
                                       format(pv(x, "bias", "mcse", g = "a", method = "u"), digits = 2)))
  expect_identical(fm$nsim, rep("12", 4))
  expect_output(print(x), "estimate: u = est, v = est; true value: theta")
  expect_output(print(x), "intervals: estimate \\+/- 1.96 se \\(95%\\)")
  expect_output(print(x), "rejection: interval excludes 0")
  expect_output(expect_invisible(print(x)), "Performance measures")
  expect_s3_class(as.data.frame(x), "data.frame")
  expect_false(inherits(as.data.frame(x), "rsim_performance"))
})

test_that("the plot method draws every measure, both types, with and without methods", {
  d <- sim_data()
  one <- performance(d, true = "theta", estimate = "est", se = "se", by = "g")
  two <- performance(d, true = "theta", estimate = c(a = "est", b = "est"), se = c(a = "se", b = "se"),
                     by = c("g", "theta"))
  pooled <- performance(d, true = "theta", estimate = "est", by = character())
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  for (m in unique(one$measure)) {
    expect_invisible(plot(one, measure = m))
    expect_invisible(plot(two, measure = m, type = "nestloop"))
  }
  expect_invisible(plot(two))
  expect_invisible(plot(pooled, type = "nestloop", ref = NA, main = "pooled"))
  expect_invisible(plot(pooled))
  expect_error(plot(one, measure = "power"), "must be one of the measures")
})

test_that("bad input gives clear errors", {
  d <- sim_data()
  d$txt <- letters[1:24]
  expect_error(performance(d, estimate = "est"), "true.*missing")
  expect_error(performance(d, true = "theta"), "estimate.*missing")
  expect_error(performance(d, true = "nope", estimate = "est", by = "g"), "No column .*nope")
  expect_error(performance(d, true = 1, estimate = "est", se = "sd", by = "g"), "No column .*sd")
  expect_error(performance(d, true = 1, estimate = "txt", by = "g"), "must be numeric")
  expect_error(performance(d, true = "g", estimate = "est", by = "g"), "must be numeric")
  expect_error(performance(d, true = NA, estimate = "est"), "single number or the name")
  expect_error(performance(d, true = c(1, 2), estimate = "est"), "single number or the name")
  expect_error(performance(d, true = 1, estimate = "est", lower = "lo", by = "g"), "come together")
  expect_error(performance(d, true = 1, estimate = c("est", "se")), "name them by method")
  expect_error(performance(d, true = 1, estimate = c(a = "est", b = "est"), se = c(a = "se")), "one column per method")
  expect_error(performance(d, true = 1, estimate = c(a = "est"), method = "g"), "not both")
  expect_error(performance(d, true = 1, estimate = "est", se = c(a = "se")), "single column name")
  expect_error(performance(d, true = 1, estimate = "est", by = "zz"), "no column .*zz")
  expect_error(performance(d, true = 1, estimate = "est", by = c("g", "est")), "cannot hold")
  expect_error(performance(d, true = 1, estimate = "est", method = "g", by = "g"), "cannot hold")
  expect_error(performance(d, true = 1, estimate = "est", by = "g", measures = "power"), "Unknown measure")
  expect_error(performance(d, true = 1, estimate = "est", by = "g", measures = "cover"), "need")
  expect_error(performance(d, true = 1, estimate = "est", level = 95), "level")
  expect_error(performance(d, true = 1, estimate = "est", alpha = 0), "alpha")
  expect_error(performance(d$est, true = 1, estimate = "est"), "must be a data frame")
  r <- read_results(system.file("extdata", "r-demo.h5", package = "rsim"))
  expect_error(performance(r, true = "mu", estimate = "range"), "must be numeric")
  expect_error(performance(r, true = "mu", estimate = "label"), "must be numeric")
  expect_error(performance(system.file("extdata", "r-demo.h5", package = "rsim"), true = "mu", estimate = "nope"),
               "nope")
})

test_that("coverage of normal-theory intervals for a normal mean is 0.95 within 3 Monte Carlo SEs", {
  set.seed(2019)
  reps <- 2000
  d <- expand.grid(rep = seq_len(reps), n = c(30L, 100L), mu = c(0, 1))
  d$est <- vapply(seq_len(nrow(d)), function(i) mean(rnorm(d$n[i], d$mu[i], 2)), 0)
  d$se <- 2 / sqrt(d$n) # the known SE: the model SE is exact
  x <- as.data.frame(performance(d, true = "mu", estimate = "est", se = "se", by = c("n", "mu")))
  within <- function(m, target) {
    r <- x[x$measure == m, ]
    all(abs(r$estimate - target) <= 3 * r$mcse)
  }
  expect_true(within("cover", 0.95))
  expect_true(within("bias", 0))
  expect_true(within("relerror", 0))
  expect_true(within("empse", 2 / sqrt(x$n[x$measure == "empse"])))
  null <- x[x$measure == "rejection" & x$mu == 0, ]
  expect_true(all(abs(null$estimate - 0.05) <= 3 * null$mcse))
  expect_true(all(x$nsim == reps))
})
