# Summarises t-test power result files: per grid point the rejection rate
# of each file, next to R's analytic power.t.test() (two-sided), with the
# largest deviation in Monte Carlo standard errors.
#   Rscript examples/power/summary.R examples/power/ttest-power.h5 [examples/power-r/ttest-power-r.h5]
suppressPackageStartupMessages(library(hdf5r))

read_power <- function(path) {
  f <- H5File$new(path, mode = "r")
  on.exit(f$close_all())
  reps <- as.integer(h5attr(f, "replicates"))
  grid <- data.frame(n = f[["grid/n"]]$read(), delta = f[["grid/delta"]]$read(),
                     test = f[["grid/test"]]$read(), stringsAsFactors = FALSE)
  status <- as.character(f[["tasks/status"]]$read())
  reject <- f[["results/reject"]]$read()
  point <- (seq_along(reject) - 1L) %/% reps + 1L
  ok <- status == "ok"
  grid$power <- as.numeric(tapply(reject[ok], factor(point[ok], seq_len(nrow(grid))), mean))
  grid$reps <- as.numeric(tapply(ok, factor(point, seq_len(nrow(grid))), sum))
  cat(sprintf("%s: %d tasks (%d ok, %d failed, %d not run), %s, %s rank(s), rsim %s\n",
              basename(path), length(status), sum(ok), sum(status %in% c("error", "timeout")),
              sum(status == "not_run"), h5attr(f, "task"), format(h5attr(f, "n_ranks")),
              h5attr(f, "rsim_version")))
  grid
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 0) args <- "examples/power/ttest-power.h5"
runs <- lapply(args, read_power)
out <- runs[[1]][c("n", "delta", "test")]
out$analytic <- mapply(function(n, d) power.t.test(n = n, delta = d, sd = 1, sig.level = 0.05,
                                                   strict = TRUE)$power, out$n, out$delta)
worst <- numeric(0)
for (i in seq_along(runs)) {
  label <- if (grepl("power-r", args[[i]])) "R" else "native"
  out[[label]] <- runs[[i]]$power
  z <- (runs[[i]]$power - out$analytic) / sqrt(out$analytic * (1 - out$analytic) / runs[[i]]$reps)
  worst[label] <- max(abs(z[is.finite(z)]))
}
cat("\nRejection rate per grid point (welch rows; student rows are in the files too):\n")
print(format(out[out$test == "welch", ], digits = 3), row.names = FALSE)
cat(sprintf("\nlargest |rate - analytic| in Monte Carlo SEs over all %d points: %s\n", nrow(out),
            paste(sprintf("%s %.2f", names(worst), worst), collapse = ", ")))
