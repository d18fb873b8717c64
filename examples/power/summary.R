# Summarises t-test power result files through the rsim R package: per grid
# point the rejection rate of each file with its Monte Carlo standard error,
# next to R's analytic power.t.test() (two-sided), and the largest deviation
# in Monte Carlo standard errors.
#   Rscript examples/power/summary.R examples/power/ttest-power.h5 [examples/power-r/ttest-power-r.h5]
library(rsim)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 0) args <- "examples/power/ttest-power.h5"

out <- NULL
worst <- character(0)
for (path in args) {
  info <- job_info(path)
  cat(sprintf("%s: %d tasks (%d ok, %d failed), %s, %d rank(s), rsim %s\n", basename(path), info$n_tasks,
              info$n_ok, info$n_failed, info$task, info$n_ranks, info$rsim_version))
  s <- summarise_results(path, fields = "reject")
  label <- if (grepl("power-r", path)) "R" else "native"
  if (is.null(out)) {
    out <- s[c("n", "delta", "test")]
    out$analytic <- mapply(function(n, d) power.t.test(n = n, delta = d, sd = 1, sig.level = 0.05,
                                                       strict = TRUE)$power, out$n, out$delta)
  }
  out[[label]] <- s$reject_mean
  out[[paste0(label, "_se")]] <- s$reject_se
  z <- (s$reject_mean - out$analytic) / sqrt(out$analytic * (1 - out$analytic) / s$reject_n)
  worst[label] <- sprintf("%s %.2f", label, max(abs(z[is.finite(z)])))
}
cat("\nRejection rate per grid point (welch rows; student rows are in the files too):\n")
print(format(out[out$test == "welch", ], digits = 3), row.names = FALSE)
cat(sprintf("\nlargest |rate - analytic| in Monte Carlo SEs over all %d points: %s\n", nrow(out),
            paste(worst, collapse = ", ")))
