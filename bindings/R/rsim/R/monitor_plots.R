# The dashboard's plots (base graphics): throughput, tasks per rank, the
# estimate per grid point and the running mean of one point, with the
# rates and running Monte Carlo errors they draw.  Used by monitor() only.

# Tasks per second over a trailing window of `window` seconds at each sample.
windowed_rate <- function(seconds, done, window = 5) {
  vapply(seq_along(seconds), function(i) {
    j <- which(seconds >= seconds[i] - window)[1]
    if (j >= i) j <- max(1L, i - 1L)
    dt <- seconds[i] - seconds[j]
    if (dt > 0) (done[i] - done[j]) / dt else NA_real_
  }, 0)
}

# Running mean and Monte Carlo standard error of x after 1, 2, ... values.
running_mean_se <- function(x) {
  x <- x[!is.na(x)]
  k <- seq_along(x)
  if (!length(x)) return(data.frame(k = integer(), mean = numeric(), se = numeric()))
  shift <- x[1]  # centring keeps the sums of squares accurate
  s1 <- cumsum(x - shift)
  s2 <- cumsum((x - shift)^2)
  var <- ifelse(k > 1, pmax(0, (s2 - s1^2 / k) / (k - 1)), NA_real_)
  data.frame(k = k, mean = shift + s1 / k, se = sqrt(var / k))
}

empty_plot <- function(text) {
  graphics::par(mar = c(0, 0, 0, 0))
  graphics::plot.new()
  graphics::text(0.5, 0.5, text, col = "grey40")
}

plot_throughput <- function(p) {
  h <- p$history
  rate <- if (is.null(h) || nrow(h) < 2L) numeric() else windowed_rate(h$seconds, h$done)
  if (sum(is.finite(rate)) < 2L) {
    msg <- if (identical(p$state, "running")) "Collecting samples\u2026" else
      "The throughput history is recorded while the dashboard is open during a run."
    if (is.finite(p$rate)) msg <- sprintf("%s\nAverage rate of the run: %s tasks/s", msg, format(signif(p$rate, 3), big.mark = ","))
    return(empty_plot(msg))
  }
  graphics::par(mar = c(4, 4.5, 1, 1))
  graphics::plot(h$seconds, rate, type = "l", lwd = 2, col = "#2c7be5", xlab = "seconds since the run started",
                 ylab = "tasks / s", ylim = c(0, max(c(rate, p$rate), 1, na.rm = TRUE) * 1.1), las = 1)
  if (is.finite(p$rate)) graphics::abline(h = p$rate, lty = 2, col = "grey40")
  graphics::legend("bottomright", c("last 5 s", "average"), lty = c(1, 2), lwd = c(2, 1),
                   col = c("#2c7be5", "grey40"), bty = "n", cex = 0.8)
}

plot_ranks <- function(p) {
  d <- p$done_per_rank
  if (!length(d)) return(empty_plot("No per-rank counts\n(they come from the status file)."))
  graphics::par(mar = c(4, 5.5, 1, 1))
  graphics::barplot(d, names.arg = seq_along(d) - 1L, col = "#2c7be5", border = NA, las = 1)
  graphics::title(xlab = "rank", line = 2.5)
  graphics::title(ylab = "tasks done", line = 4.2)
}

plot_estimates <- function(v, field) {
  s <- v$summary
  s <- stats::setNames(s[ncol(s) - 2:0], c("mean", "se", "n"))
  k <- nrow(s)
  y <- rev(seq_len(k))
  ok <- is.finite(s$mean)
  if (!any(ok)) return(empty_plot("No task finished ok."))
  lo <- s$mean - 2 * ifelse(is.finite(s$se), s$se, 0)
  hi <- s$mean + 2 * ifelse(is.finite(s$se), s$se, 0)
  left <- min(22, max(6, max(nchar(v$labels)) * 0.5))
  graphics::par(mar = c(4, left, 2, 1))
  graphics::plot(s$mean, y, xlim = range(c(lo, hi), na.rm = TRUE), yaxt = "n", pch = 19, col = "#2c7be5",
                 xlab = sprintf("%s: mean \u00b1 2 MC SE", field), ylab = "", ylim = c(0.5, k + 0.5))
  graphics::segments(lo, y, hi, y, col = "#2c7be5", lwd = 2)
  graphics::axis(2, at = y, labels = v$labels, las = 1, cex.axis = 0.75)
  graphics::mtext("per grid point", side = 3, line = 0.5, cex = 0.85)
}

plot_running <- function(v, k, field) {
  if (is.null(v$values)) return(empty_plot("The job keeps per-point summaries: no per-task values to plot."))
  x <- v$values
  x <- x[x$point == k - 1L, , drop = FALSE]
  r <- running_mean_se(x$value[order(x$replicate)])
  if (!nrow(r)) return(empty_plot("No task of this point finished ok."))
  graphics::par(mar = c(4, 4.5, 2, 1))
  band <- is.finite(r$se)
  lo <- r$mean - 2 * ifelse(band, r$se, 0)
  hi <- r$mean + 2 * ifelse(band, r$se, 0)
  graphics::plot(r$k, r$mean, type = "n", ylim = range(c(lo[band], hi[band], r$mean), na.rm = TRUE),
                 xlab = "replicates (tasks ok)", ylab = field, las = 1)
  if (sum(band) > 1L) {
    graphics::polygon(c(r$k[band], rev(r$k[band])), c(lo[band], rev(hi[band])), col = "#2c7be533", border = NA)
  }
  graphics::lines(r$k, r$mean, lwd = 2, col = "#2c7be5")
  graphics::abline(h = r$mean[nrow(r)], lty = 2, col = "grey40")
  graphics::mtext(sprintf("running mean \u00b1 2 MC SE: %s", v$labels[k]), side = 3, line = 0.5, cex = 0.85)
}
