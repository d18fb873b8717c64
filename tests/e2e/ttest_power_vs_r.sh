#!/usr/bin/env bash
# ttest_power's rejection rate is within 4 Monte Carlo standard errors of
# R's power.t.test() (two-sided, strict) at every grid point.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/g.toml" <<'TOML'
[job]
name = "power-vs-r"
seed = 99
replicates = 4000
[task]
backend = "native"
kernel = "ttest_power"
[args]
alpha = 0.05
[grid]
n = [10, 30]
delta = [0.0, 0.5, 1.0]
test = ["welch", "student"]
TOML
mpirun_rsim 2 -- "$WORK/g.toml" -q >/dev/null
Rscript - "$WORK/power-vs-r.h5" <<'R'
suppressPackageStartupMessages(library(hdf5r))
f <- H5File$new(commandArgs(TRUE)[1], mode = "r")
reps <- h5attr(f, "replicates")
n <- f[["grid/n"]]$read(); delta <- f[["grid/delta"]]$read(); test <- f[["grid/test"]]$read()
reject <- f[["results/reject"]]$read()
stopifnot(length(reject) == length(n) * reps, all(reject %in% c(0, 1)))
point <- (seq_along(reject) - 1) %/% reps + 1
rate <- as.numeric(tapply(reject, point, mean))
bad <- 0
for (i in seq_along(n)) {
  p <- power.t.test(n = n[i], delta = delta[i], sd = 1, sig.level = 0.05, strict = TRUE)$power
  se <- sqrt(p * (1 - p) / reps)
  z <- (rate[i] - p) / se
  cat(sprintf("n=%3d delta=%.1f %-7s rate=%.4f power.t.test=%.4f z=%+.2f\n", n[i], delta[i], test[i], rate[i], p, z))
  if (abs(z) > 4) bad <- bad + 1
}
if (bad > 0) stop(bad, " grid point(s) outside 4 Monte Carlo SEs of power.t.test")
cat("ok: all", length(n), "points within 4 MC SEs\n")
R
