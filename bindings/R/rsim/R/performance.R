#' Performance measures with Monte Carlo standard errors
#'
#' The performance measures of Morris, White & Crowther (2019, Table 6) per
#' group of replicates (by default each grid point) and per method: bias,
#' empirical SE, mean model SE, relative error of the model SE, mean squared
#' error, coverage, bias-eliminated coverage and rejection rate, each with
#' its Monte Carlo standard error.  A companion of [summarise_results()],
#' which gives plain means.  The print method shows one line per group and
#' method with `estimate (MCSE)` per measure; the plot method draws one
#' measure across the conditions with intervals of Monte Carlo error.
#'
#' Per group and method, with `n` replicates, `est` their estimates, `true`
#' the true value, `S2 = var(est)` (denominator `n - 1`), `S = sqrt(S2)`,
#' `se` the model SEs and `lower`, `upper` the interval bounds:
#'
#' | measure | estimate | Monte Carlo SE |
#' | --- | --- | --- |
#' | `bias` | `mean(est) - true` | `sqrt(S2 / n)` |
#' | `relbias` | `mean((est - true) / true)` | `sd((est - true) / true) / sqrt(n)` |
#' | `empse` | `S` | `S / sqrt(2 (n - 1))` |
#' | `mse` | `M = mean((est - true)^2)` | `sqrt(sum(((est - true)^2 - M)^2) / (n (n - 1)))` |
#' | `modelse` | `m = sqrt(mean(se^2))` | `sqrt(var(se^2) / (4 n m^2))` |
#' | `relerror` | `100 (m / S - 1)` | `100 (m / S) sqrt(var(se^2) / (4 n m^4) + 1 / (2 (n - 1)))` |
#' | `cover` | `C = mean(lower <= true & true <= upper)` | `sqrt(C (1 - C) / n)` |
#' | `becover` | `B = mean(lower <= mean(est) & mean(est) <= upper)` | `sqrt(B (1 - B) / n)` |
#' | `rejection` | `R = mean(p <= alpha)` | `sqrt(R (1 - R) / n)` |
#'
#' Without `p`, a replicate rejects when its interval excludes `null`:
#' `R = mean(!(lower <= null & null <= upper))`.
#'
#' Each measure uses the replicates whose estimate and other inputs of that
#' measure are all non-missing (`nsim` in the result; `mean(est)` and `S`
#' are taken over those replicates too): a missing SE drops the replicate
#' from `modelse`, `relerror` and the measures on intervals built from the
#' SE, not from `bias`.  A true value that varies within a group is used
#' replicate by replicate (the bias MCSE is then `sd(est - true) /
#' sqrt(n)`).  A measure of fewer than two replicates has no Monte Carlo SE
#' (`NA`).
#'
#' @param x a data frame with one row per replicate (such as [read_results()]
#'   returns), or a result file, grid.toml or `rsim_job` (see
#'   [read_results()]), of which only the columns needed are read.  Rows
#'   with a `status` column other than `"ok"` are dropped (the print method
#'   says how many).  For the methods, what `performance()` returned.
#' @param true the true value: a number, or the name of a column (usually a
#'   grid parameter).
#' @param estimate the column of the estimates; or, for methods stored side by
#'   side, a named vector of columns, one per method:
#'   `c(adj = "est_adj", unadj = "est_unadj")`.
#' @param se,lower,upper,p optional columns of the model standard errors,
#'   the confidence interval bounds and the p-values, in the form of
#'   `estimate` (a named vector with the same names when it is one).
#'   `lower` and `upper` come together; without them, intervals are
#'   `estimate +/- qnorm(1 - (1 - level) / 2) * se`.
#' @param method the column naming the method of each row, for methods
#'   stored one below the other; not with a named `estimate`.
#' @param by columns that define the groups (conditions).  The default:
#'   for a file, every grid parameter; for a data frame with a `point`
#'   column (from [read_results()]), the columns constant within every
#'   point (the grid parameters); for another data frame, every column but
#'   the ones named in `estimate`, `se`, `lower`, `upper`, `p`, `method` and
#'   those of [read_results()] (`task`, `point`, `replicate`, `status`,
#'   `elapsed`, ...).  `character()` pools all rows.
#' @param measures the measures to compute: any of `"bias"`, `"relbias"`,
#'   `"empse"`, `"mse"`, `"modelse"`, `"relerror"`, `"cover"`, `"becover"`,
#'   `"rejection"`.  By default, all of them but `relbias` whose inputs
#'   are given: `modelse` and `relerror` need `se`; `cover` and `becover`
#'   need `lower` and `upper` or `se`; `rejection` needs `p` or an
#'   interval.  `relbias` is `NA` for a group whose true value is 0.
#' @param level the confidence level of the intervals built from `se` (and
#'   the reference line of the coverage plot).
#' @param alpha the significance level: a replicate rejects when
#'   `p <= alpha`.
#' @param null without `p`, a replicate rejects when its interval excludes
#'   `null` (a test at level `1 - level`).
#' @return A data frame of class `rsim_performance` with one row per group,
#'   method and measure: the `by` columns, the method (column `method` for
#'   a named `estimate`, the `method` column otherwise), `measure`,
#'   `estimate`, `mcse` (its Monte Carlo standard error) and `nsim` (the
#'   replicates used).  Groups come in order of first appearance; methods
#'   in the order of `estimate`'s names, or of the `method` column's levels
#'   or first appearance.  `as.data.frame()` drops the class.
#' @references Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using
#'   simulation studies to evaluate statistical methods. *Statistics in
#'   Medicine* 38, 2074--2102. \doi{10.1002/sim.8086}
#' @seealso [summarise_results()] for the mean and its Monte Carlo SE of every
#'   result field.
#' @export
#' @examples
#' set.seed(1)
#' d <- expand.grid(rep = 1:200, n = c(20, 80), theta = c(0, 0.5))
#' d$est <- rnorm(nrow(d), d$theta, 1 / sqrt(d$n))
#' d$se <- 1 / sqrt(d$n) * sqrt(rchisq(nrow(d), d$n - 1) / (d$n - 1))
#' perf <- performance(d, true = "theta", estimate = "est", se = "se", by = c("n", "theta"))
#' perf
#' subset(as.data.frame(perf), measure == "cover")
#' plot(perf, measure = "cover")
#'
#' # two methods side by side: a naive SE that is too small
#' d$se_naive <- d$se * 0.8
#' perf2 <- performance(d, true = "theta", estimate = c(good = "est", naive = "est"),
#'                      se = c(good = "se", naive = "se_naive"), by = c("n", "theta"))
#' plot(perf2, measure = "relerror", type = "nestloop")
#'
#' # a result file: the t-test demo's mean differences against delta
#' f <- system.file("extdata", "power-demo.h5", package = "rsim")
#' performance(f, true = "delta", estimate = "estimate", p = "p_value")
performance <- function(x, true, estimate, se = NULL, lower = NULL, upper = NULL, p = NULL, method = NULL,
                        by = NULL, measures = NULL, level = 0.95, alpha = 0.05, null = 0) {
  if (missing(true)) cli::cli_abort("{.arg true} is missing: give the true value, a number or a column name.")
  if (missing(estimate)) cli::cli_abort("{.arg estimate} is missing: give the column of the estimates.")
  perf_check_args(true, level, alpha, null)
  roles <- perf_roles(estimate, se, lower, upper, p, method)
  true_col <- if (is.character(true)) true
  input <- perf_input(x, c(true_col, roles$columns), by)
  data <- input$data
  perf_check_columns(data, c(true_col, roles$columns), method)
  default_by <- is.null(by)
  if (default_by) by <- perf_default_by(data, input$params, roles$columns)
  mcol <- if (roles$wide) "method" else method
  perf_check_by(data, by, c(roles$columns, mcol))
  measures <- perf_measure_names(measures, roles)

  g <- perf_groups(data, by)
  if (default_by && nrow(data) > 1L && !anyDuplicated(g)) {
    cli::cli_abort(c("Every group has a single row: the default {.arg by} is {.val {by}}.",
      i = "Give the columns that define the conditions in {.arg by}."
    ))
  }
  theta <- if (is.character(true)) as.numeric(data[[true]]) else rep(as.numeric(true), nrow(data))
  d <- perf_stack(data, roles, method, theta, g, level)
  out <- perf_compute(d, measures, alpha, null)
  res <- data[match(out$group, g), by, drop = FALSE]
  rownames(res) <- NULL
  if (!is.null(mcol)) res[[mcol]] <- d$labels[out$method]
  res[perf_value_columns] <- out[perf_value_columns]
  attr(res, "performance") <- list(
    by = by, method = mcol, true = true, estimate = roles$cols$estimate, level = level, alpha = alpha, null = null,
    ci = if (!is.null(roles$cols$lower)) "lower/upper" else if (!is.null(roles$cols$se)) "se",
    rejection = if (!is.null(roles$cols$p)) "p" else if (!is.null(d$lower)) "ci",
    rows = input$rows, dropped = input$dropped
  )
  class(res) <- c("rsim_performance", "data.frame")
  res
}

perf_all_measures <- c("bias", "relbias", "empse", "mse", "modelse", "relerror", "cover", "becover", "rejection")

perf_check_args <- function(true, level, alpha, null, call = parent.frame()) {
  ok_true <- (is.numeric(true) || is.character(true)) && length(true) == 1L && !is.na(true)
  if (!ok_true) cli::cli_abort("{.arg true} must be a single number or the name of a column.", call = call)
  prob <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && v > 0 && v < 1
  if (!prob(level)) cli::cli_abort("{.arg level} must be a number between 0 and 1.", call = call)
  if (!prob(alpha)) cli::cli_abort("{.arg alpha} must be a number between 0 and 1.", call = call)
  if (!is.numeric(null) || length(null) != 1L || is.na(null)) cli::cli_abort("{.arg null} must be a single number.", call = call)
}

# The columns of each role (estimate, se, lower, upper, p), one per method
# for the wide form (named by method) or one each for the long form.
perf_roles <- function(estimate, se, lower, upper, p, method, call = parent.frame()) {
  cols <- list(estimate = estimate, se = se, lower = lower, upper = upper, p = p)
  cols <- cols[!vapply(cols, is.null, TRUE)]
  for (r in names(cols)) {
    v <- cols[[r]]
    if (!is.character(v) || !length(v) || anyNA(v) || !all(nzchar(v))) {
      cli::cli_abort("{.arg {r}} must be a column name (or a named vector of column names).", call = call)
    }
  }
  if (is.null(lower) != is.null(upper)) {
    cli::cli_abort("{.arg lower} and {.arg upper} come together: give both or neither.", call = call)
  }
  wide <- !is.null(names(estimate))
  if (!wide && length(estimate) > 1L) {
    cli::cli_abort(c("{.arg estimate} names {length(estimate)} columns: name them by method.",
      i = 'For example {.code estimate = c(adj = "est_adj", unadj = "est_unadj")}.'
    ), call = call)
  }
  if (wide) cols <- perf_wide_roles(cols, method, call) else perf_long_roles(cols, method, call)
  list(wide = wide, cols = cols, columns = unique(c(unlist(cols, use.names = FALSE), method)))
}

perf_wide_roles <- function(cols, method, call) {
  m <- names(cols$estimate)
  if (!all(nzchar(m)) || anyDuplicated(m)) {
    cli::cli_abort("The names of {.arg estimate} (the methods) must be unique and non-empty.", call = call)
  }
  if (!is.null(method)) {
    cli::cli_abort("Give either a named {.arg estimate} (methods side by side) or {.arg method}, not both.",
                   call = call)
  }
  for (r in setdiff(names(cols), "estimate")) {
    if (is.null(names(cols[[r]])) || !setequal(names(cols[[r]]), m) || length(cols[[r]]) != length(m)) {
      cli::cli_abort("{.arg {r}} must name one column per method, like {.arg estimate}: {.val {m}}.", call = call)
    }
    cols[[r]] <- cols[[r]][m]
  }
  cols
}

perf_long_roles <- function(cols, method, call) {
  for (r in names(cols)) {
    if (length(cols[[r]]) != 1L || !is.null(names(cols[[r]]))) {
      cli::cli_abort("{.arg {r}} must be a single column name, as {.arg estimate} is.", call = call)
    }
  }
  if (!is.null(method) && (!is.character(method) || length(method) != 1L || is.na(method))) {
    cli::cli_abort("{.arg method} must be the name of one column.", call = call)
  }
}

# The rows to summarise: x itself, or the needed columns of a result file;
# rows whose status is not ok are dropped.
perf_input <- function(x, needed, by, call = parent.frame()) {
  params <- NULL
  if (!is.data.frame(x)) {
    if (!inherits(x, "rsim_job") && !(is.character(x) && length(x) == 1L && !is.na(x))) {
      cli::cli_abort("{.arg x} must be a data frame, a result file, a grid.toml or an {.cls rsim_job}.", call = call)
    }
    if (is.null(by)) params <- names(job_info(x)$grid)
    x <- read_results(x, columns = unique(c(if (is.null(by)) params else by, needed, "status")))
  }
  x <- as.data.frame(x)
  rows <- nrow(x)
  dropped <- 0L
  if ("status" %in% names(x)) {
    bad <- is.na(x$status) | as.character(x$status) != "ok"
    dropped <- sum(bad)
    x <- x[!bad, , drop = FALSE]
  }
  list(data = x, params = params, rows = rows, dropped = dropped)
}

perf_check_columns <- function(data, cols, method, call = parent.frame()) {
  unknown <- setdiff(cols, names(data))
  if (length(unknown)) {
    cli::cli_abort(c("No {cli::qty(length(unknown))}column{?s} {.val {unknown}} in {.arg x}.",
      i = "Its columns are {.val {names(data)}}."
    ), call = call)
  }
  for (col in setdiff(cols, method)) {
    v <- data[[col]]
    if (!is.numeric(v) || is.matrix(v)) {
      cli::cli_abort("Column {.val {col}} must be numeric, not {.cls {class(v)}}.", call = call)
    }
  }
  if (!is.null(method) && (is.list(data[[method]]) || is.matrix(data[[method]]))) {
    cli::cli_abort("The {.arg method} column {.val {method}} must be a plain vector.", call = call)
  }
}

perf_default_by <- function(data, params, used) {
  if (!is.null(params)) return(params)
  cand <- setdiff(names(data), c(bookkeeping_columns, used))
  cand <- cand[vapply(cand, function(col) is.atomic(data[[col]]) && !is.matrix(data[[col]]), TRUE)]
  if (!"point" %in% names(data)) return(cand)
  pt <- data$point
  cand[vapply(cand, function(col) {
    first <- !duplicated(data.frame(pt, data[[col]]))
    !anyDuplicated(pt[first])
  }, TRUE)]
}

perf_check_by <- function(data, by, roles, call = parent.frame()) {
  if (!is.character(by) || anyNA(by)) cli::cli_abort("{.arg by} must be a character vector of column names.", call = call)
  unknown <- setdiff(by, names(data))
  if (length(unknown)) cli::cli_abort("{.arg by}: no column{?s} {.val {unknown}} in {.arg x}.", call = call)
  bad <- intersect(by, c(roles, perf_value_columns))
  if (length(bad)) {
    cli::cli_abort(c("{.arg by} cannot hold {.val {bad}}: {?it is/they are} an input or a column of the result.",
      i = "Rename the column first."
    ), call = call)
  }
  for (col in by) {
    if (!is.atomic(data[[col]]) || is.matrix(data[[col]])) {
      cli::cli_abort("{.arg by} column {.val {col}} must be a plain vector.", call = call)
    }
  }
}

perf_measure_names <- function(measures, roles, call = parent.frame()) {
  have <- vapply(c(se = "se", lower = "lower", p = "p"), function(r) !is.null(roles$cols[[r]]), TRUE)
  interval <- have[["lower"]] || have[["se"]]
  avail <- c(bias = TRUE, relbias = TRUE, empse = TRUE, mse = TRUE, modelse = have[["se"]],
             relerror = have[["se"]], cover = interval, becover = interval, rejection = have[["p"]] || interval)
  if (is.null(measures)) return(setdiff(names(avail)[avail], "relbias"))
  if (!is.character(measures) || !length(measures) || anyNA(measures)) {
    cli::cli_abort("{.arg measures} must be a character vector of measure names.", call = call)
  }
  unknown <- setdiff(measures, perf_all_measures)
  if (length(unknown)) {
    cli::cli_abort(c("Unknown {cli::qty(length(unknown))}measure{?s} {.val {unknown}}.",
      i = "The measures are {.val {perf_all_measures}}."
    ), call = call)
  }
  missing_input <- measures[!avail[measures]]
  if (length(missing_input)) {
    cli::cli_abort(c("{.val {missing_input}} need{?s/} inputs that were not given.",
      i = "modelse and relerror need {.arg se}; cover and becover {.arg lower}/{.arg upper} or {.arg se}; rejection {.arg p} or an interval."
    ), call = call)
  }
  perf_all_measures[perf_all_measures %in% measures]
}

# Group of each row: 1, 2, ... in order of first appearance.
perf_groups <- function(data, by) {
  key <- perf_key(data, by)
  match(key, unique(key))
}

perf_key <- function(data, cols) {
  if (!length(cols)) return(rep("", nrow(data)))
  do.call(paste, c(lapply(unname(as.list(data[cols])), as.character), sep = "\r"))
}

# The long form: one element per replicate and method, the interval built
# from se if not given.
perf_stack <- function(data, roles, method, theta, g, level) {
  k <- length(roles$cols$estimate)
  get <- function(r) {
    if (is.null(roles$cols[[r]])) return(NULL)
    unlist(lapply(roles$cols[[r]], function(col) as.numeric(data[[col]])), use.names = FALSE)
  }
  d <- list(est = get("estimate"), se = get("se"), lower = get("lower"), upper = get("upper"), p = get("p"),
            true = rep(theta, k), group = rep(g, k))
  if (roles$wide) {
    d$method <- rep(seq_len(k), each = nrow(data))
    d$labels <- names(roles$cols$estimate)
  } else if (!is.null(method)) {
    m <- data[[method]]
    d$labels <- unique(as.character(if (is.factor(m)) sort(m, na.last = TRUE) else m))
    d$method <- match(as.character(m), d$labels)
  } else {
    d$method <- rep(1L, nrow(data))
  }
  if (is.null(d$lower) && !is.null(d$se)) {
    z <- stats::qnorm(1 - (1 - level) / 2)
    d$lower <- d$est - z * d$se
    d$upper <- d$est + z * d$se
  }
  d
}

# Every measure of every non-empty group x method cell.
perf_compute <- function(d, measures, alpha, null) {
  m <- max(1L, length(d$labels))
  cell <- (d$group - 1L) * m + d$method
  ids <- sort(unique(cell))
  idx <- split(seq_along(cell), factor(cell, levels = ids))
  rows <- c("est", "se", "lower", "upper", "p", "true")
  vals <- lapply(idx, function(i) {
    dc <- lapply(d[intersect(rows, names(d))], `[`, i)
    vapply(measures, function(ms) perf_measure[[ms]](dc, alpha = alpha, null = null), numeric(3))
  })
  k <- length(measures)
  col <- function(j) as.numeric(unlist(lapply(vals, function(v) v[j, ]), use.names = FALSE))
  data.frame(
    group = rep((ids - 1L) %/% m + 1L, each = k), method = rep((ids - 1L) %% m + 1L, each = k),
    measure = rep(measures, length(ids)), estimate = col(1L), mcse = col(2L), nsim = as.integer(col(3L)),
    stringsAsFactors = FALSE
  )
}

# The replicates a measure uses: non-missing estimate and inputs.
perf_ok <- function(d, inputs) {
  ok <- !is.na(d$est)
  for (v in inputs) ok <- ok & !is.na(d[[v]])
  ok
}

perf_mean <- function(x) if (length(x)) mean(x) else NA_real_
perf_var <- function(x) if (length(x) > 1L) stats::var(x) else NA_real_
perf_mean_se <- function(e) c(perf_mean(e), sqrt(perf_var(e) / length(e)), length(e))

# A proportion and its binomial Monte Carlo SE.
perf_prop <- function(hit) {
  n <- length(hit)
  pr <- perf_mean(hit)
  c(pr, sqrt(pr * (1 - pr) / n), n)
}

# Morris, White & Crowther (2019), Table 6: c(estimate, Monte Carlo SE, n).
perf_measure <- list(
  bias = function(d, ...) perf_mean_se((d$est - d$true)[perf_ok(d, "true")]),
  relbias = function(d, ...) {
    ok <- perf_ok(d, "true")
    if (any(d$true[ok] == 0)) return(c(NA_real_, NA_real_, sum(ok)))
    perf_mean_se(((d$est - d$true) / d$true)[ok])
  },
  empse = function(d, ...) {
    s <- sqrt(perf_var(d$est[perf_ok(d, NULL)]))
    n <- sum(perf_ok(d, NULL))
    c(s, if (n > 1L) s / sqrt(2 * (n - 1)) else NA_real_, n)
  },
  mse = function(d, ...) {
    e2 <- ((d$est - d$true)^2)[perf_ok(d, "true")]
    n <- length(e2)
    m <- perf_mean(e2)
    c(m, if (n > 1L) sqrt(sum((e2 - m)^2) / (n * (n - 1))) else NA_real_, n)
  },
  modelse = function(d, ...) {
    s2 <- (d$se^2)[perf_ok(d, "se")]
    m <- sqrt(perf_mean(s2))
    c(m, sqrt(perf_var(s2) / (4 * length(s2) * m^2)), length(s2))
  },
  relerror = function(d, ...) {
    ok <- perf_ok(d, "se")
    n <- sum(ok)
    s2 <- d$se[ok]^2
    m <- sqrt(perf_mean(s2))
    r <- m / sqrt(perf_var(d$est[ok]))
    c(100 * (r - 1), if (n > 1L) 100 * r * sqrt(perf_var(s2) / (4 * n * m^4) + 1 / (2 * (n - 1))) else NA_real_, n)
  },
  cover = function(d, ...) {
    ok <- perf_ok(d, c("true", "lower", "upper"))
    perf_prop(d$lower[ok] <= d$true[ok] & d$true[ok] <= d$upper[ok])
  },
  becover = function(d, ...) {
    ok <- perf_ok(d, c("lower", "upper"))
    mid <- perf_mean(d$est[ok])
    perf_prop(d$lower[ok] <= mid & mid <= d$upper[ok])
  },
  rejection = function(d, alpha, null) {
    if (!is.null(d$p)) return(perf_prop(d$p[perf_ok(d, "p")] <= alpha))
    ok <- perf_ok(d, c("lower", "upper"))
    perf_prop(null < d$lower[ok] | null > d$upper[ok])
  }
)

#' @param digits significant digits of the estimates and Monte Carlo SEs.
#' @param ... ignored by `format()` and `print()`; passed to [graphics::plot.window()] by `plot()`.
#' @rdname performance
#' @export
format.rsim_performance <- function(x, digits = 3, ...) {
  info <- attr(x, "performance")
  df <- as.data.frame(x)
  id <- if (is.null(info)) setdiff(names(df), perf_value_columns) else intersect(c(info$by, info$method), names(df))
  key <- perf_key(df, id)
  ukey <- unique(key)
  out <- df[match(ukey, key), id, drop = FALSE]
  num <- function(v) vapply(v, function(z) format(z, digits = digits), "")
  cell <- ifelse(is.na(df$mcse), num(df$estimate), paste0(num(df$estimate), " (", num(df$mcse), ")"))
  for (m in unique(df$measure)) {
    sel <- df$measure == m
    out[[m]] <- cell[sel][match(ukey, key[sel])]
  }
  lo <- vapply(split(df$nsim, factor(key, ukey)), min, 1L)
  hi <- vapply(split(df$nsim, factor(key, ukey)), max, 1L)
  out$nsim <- ifelse(lo == hi, as.character(hi), paste0(lo, "-", hi))
  rownames(out) <- NULL
  out
}

perf_value_columns <- c("measure", "estimate", "mcse", "nsim")

#' @rdname performance
#' @export
print.rsim_performance <- function(x, digits = 3, ...) {
  info <- attr(x, "performance")
  cat("Performance measures, estimate (Monte Carlo SE) [Morris, White & Crowther 2019]\n")
  if (!is.null(info)) {
    est <- if (is.null(names(info$estimate))) info$estimate else
      paste(sprintf("%s = %s", names(info$estimate), info$estimate), collapse = ", ")
    cat(sprintf("  estimate: %s; true value: %s\n", est, format(info$true)))
    cat(sprintf("  rows: %d used%s\n", info$rows - info$dropped,
                if (info$dropped) sprintf(", %d dropped (status not ok)", info$dropped) else ""))
    if (identical(info$ci, "se") && any(c("cover", "becover", "rejection") %in% x$measure)) {
      cat(sprintf("  intervals: estimate +/- %s se (%s%%)\n", format(stats::qnorm(1 - (1 - info$level) / 2),
                                                                      digits = 3), format(100 * info$level)))
    }
    if ("rejection" %in% x$measure) {
      cat("  rejection:", if (identical(info$rejection, "p")) sprintf("p <= %s\n", format(info$alpha)) else
        sprintf("interval excludes %s\n", format(info$null)))
    }
  }
  if (nrow(x)) print(format(x, digits = digits), row.names = FALSE) else cat("  (no rows)\n")
  invisible(x)
}

#' @param measure the measure to plot; default the first one.
#' @param type `"forest"`: one line per condition (group) with the
#'   estimate and its interval of `z` Monte Carlo SEs, methods in colour
#'   and symbol; `"nestloop"`: a nested-loop plot, the conditions ordered by
#'   the `by` columns (the first varies slowest) along the x axis, each
#'   method a step line with its intervals, and each `by` column drawn as a
#'   step line below.
#' @param z the half width of the intervals, in Monte Carlo SEs.
#' @param ref where to draw a dashed reference line: by default 0 for
#'   `bias`, `relbias` and `relerror`, `level` for `cover` and `becover`,
#'   none otherwise; `NA` for none.
#' @param main the title; by default the measure.
#' @rdname performance
#' @export
plot.rsim_performance <- function(x, measure = NULL, type = c("forest", "nestloop"), z = stats::qnorm(0.975),
                                  ref = NULL, main = NULL, ...) {
  type <- match.arg(type)
  info <- attr(x, "performance")
  df <- as.data.frame(x)
  if (is.null(measure)) measure <- df$measure[1]
  if (!is.character(measure) || length(measure) != 1L || !measure %in% df$measure) {
    cli::cli_abort(c("{.arg measure} must be one of the measures of {.arg x}.",
                     i = "They are {.val {unique(df$measure)}}."))
  }
  df <- df[df$measure == measure, , drop = FALSE]
  by <- if (is.null(info)) setdiff(names(df), perf_value_columns) else info$by
  if (is.null(ref)) ref <- perf_reference(measure, info)
  pd <- perf_plot_data(df, by, info$method)
  pd[c("est", "lo", "hi")] <- list(df$estimate, df$estimate - z * df$mcse, df$estimate + z * df$mcse)
  pd$ref <- ref[!is.na(ref)]
  if (is.null(main)) main <- measure
  if (type == "forest") perf_forest(pd, measure, main, ...) else perf_nestloop(pd, by, measure, main, ...)
  invisible(x)
}

perf_reference <- function(measure, info) {
  level <- if (is.null(info)) 0.95 else info$level
  switch(measure, bias = , relbias = , relerror = 0, cover = , becover = level, NA_real_)
}

# Conditions (groups) and methods of the rows of one measure.
perf_plot_data <- function(df, by, mcol) {
  key <- perf_key(df, by)
  ukey <- unique(key)
  first <- df[match(ukey, key), by, drop = FALSE]
  labels <- if (length(by)) do.call(paste, c(Map(function(n, v) paste(n, "=", v), by, first), sep = ", ")) else "all"
  methods <- if (is.null(mcol)) "" else unique(as.character(df[[mcol]]))
  meth <- if (is.null(mcol)) rep(1L, nrow(df)) else match(as.character(df[[mcol]]), methods)
  m <- length(methods)
  list(cond = match(key, ukey), labels = labels, first = first, methods = methods, meth = meth,
       col = rep_len(unname(grDevices::palette.colors(NULL, "Okabe-Ito")), m),
       pch = rep_len(c(19, 17, 15, 18, 1, 2, 0, 5), m))
}

perf_range <- function(v) {
  v <- v[is.finite(v)]
  if (!length(v)) return(c(0, 1))
  r <- range(v)
  if (r[1] == r[2]) r + c(-1, 1) * max(abs(r[1]) * 0.1, 0.1) else r
}

perf_forest <- function(pd, measure, main, ...) {
  g <- length(pd$labels)
  k <- length(pd$methods)
  y <- g - pd$cond + 1 - (pd$meth - (k + 1) / 2) * 0.6 / k
  op <- graphics::par(mar = c(4.1, min(25, 1.5 + 0.45 * max(nchar(pd$labels))), 2.1, 1.1))
  on.exit(graphics::par(op))
  graphics::plot.new()
  graphics::plot.window(perf_range(c(pd$lo, pd$hi, pd$est, pd$ref)), c(0.5, g + 0.5), ...)
  graphics::abline(v = pd$ref, lty = 2, col = "grey50")
  graphics::segments(pd$lo, y, pd$hi, y, col = pd$col[pd$meth], lwd = 1.5)
  graphics::points(pd$est, y, pch = pd$pch[pd$meth], col = pd$col[pd$meth])
  graphics::axis(1)
  graphics::axis(2, at = g:1, labels = pd$labels, las = 1, tick = FALSE)
  graphics::box()
  graphics::title(main = main, xlab = measure)
  perf_legend(pd)
}

perf_nestloop <- function(pd, by, measure, main, ...) {
  g <- length(pd$labels)
  o <- if (length(by)) do.call(order, unname(as.list(pd$first))) else 1L
  x <- match(pd$cond, o)
  yr <- perf_range(c(pd$lo, pd$hi, pd$est, pd$ref))
  band <- 0.08 * diff(yr)
  graphics::plot.new()
  graphics::plot.window(c(0.5, g + 0.5), c(yr[1] - 1.6 * band * length(by), yr[2]), ...)
  graphics::abline(h = pd$ref, lty = 2, col = "grey50")
  for (j in seq_along(pd$methods)) {
    r <- which(pd$meth == j)
    r <- r[order(x[r])]
    perf_steps(x[r], pd$est[r], col = pd$col[j])
    graphics::segments(x[r], pd$lo[r], x[r], pd$hi[r], col = pd$col[j])
    graphics::points(x[r], pd$est[r], pch = pd$pch[j], col = pd$col[j])
  }
  for (i in seq_along(by)) {
    v <- pd$first[[by[i]]][o]
    lev <- sort(unique(v))
    base <- yr[1] - 1.6 * band * i
    perf_steps(seq_len(g), base + band * (match(v, lev) - 1) / max(1, length(lev) - 1))
    graphics::text(0.5, base + band, paste0(by[i], ": ", paste(lev, collapse = ", ")), adj = c(0, 0), cex = 0.7)
  }
  graphics::axis(1, at = seq_len(g))
  graphics::axis(2)
  graphics::box()
  graphics::title(main = main, xlab = "condition", ylab = measure)
  perf_legend(pd)
}

perf_legend <- function(pd) {
  if (length(pd$methods) > 1L) graphics::legend("topright", pd$methods, col = pd$col, pch = pd$pch, bg = "white")
}

# A step line with y[i] over [x[i] - 0.5, x[i] + 0.5].
perf_steps <- function(x, y, ...) {
  if (length(x)) graphics::lines(c(x - 0.5, x[length(x)] + 0.5), c(y, y[length(y)]), type = "s", ...)
}
