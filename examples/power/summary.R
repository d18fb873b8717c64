# Summarises a ttest-power result file: the rejection rate per grid point
# with its Monte Carlo standard error, next to R's analytic power.t.test().
#   Rscript examples/power/summary.R examples/power/ttest-power.h5
suppressPackageStartupMessages(library(hdf5r))

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[[1]] else "examples/power/ttest-power.h5"
f <- H5File$new(path, mode = "r")
on.exit(f$close_all())

reps <- as.integer(h5attr(f, "replicates"))
grid <- data.frame(n = f[["grid/n"]]$read(), delta = f[["grid/delta"]]$read(),
                   test = f[["grid/test"]]$read(), stringsAsFactors = FALSE)
status <- as.character(f[["tasks/status"]]$read())
reject <- f[["results/reject"]]$read()
point <- (seq_along(reject) - 1L) %/% reps + 1L
ok <- status == "ok"

rate <- tapply(reject[ok], point[ok], mean)
count <- tapply(reject[ok], point[ok], length)
grid$power <- as.numeric(rate[as.character(seq_len(nrow(grid)))])
grid$mc_se <- sqrt(grid$power * (1 - grid$power) / as.numeric(count[as.character(seq_len(nrow(grid)))]))
grid$analytic <- mapply(function(n, d)
  power.t.test(n = n, delta = d, sd = 1, sig.level = 0.05, strict = TRUE)$power, grid$n, grid$delta)
grid$z <- (grid$power - grid$analytic) / sqrt(grid$analytic * (1 - grid$analytic) / reps)

cat(sprintf("%s: %d tasks (%d ok, %d failed, %d not run) on %s rank(s), rsim %s\n",
            h5attr(f, "job_name"), length(status), sum(ok),
            sum(status %in% c("error", "timeout")), sum(status == "not_run"),
            format(h5attr(f, "n_ranks")), h5attr(f, "rsim_version")))
print(format(grid[grid$test == "welch", ], digits = 3), row.names = FALSE)
cat(sprintf("student rows: %d; largest |power - analytic| / MC SE over all %d points: %.2f\n",
            sum(grid$test == "student"), nrow(grid), max(abs(grid$z))))
