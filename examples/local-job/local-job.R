# A local rsim job from RStudio (or any R session): describe the study from
# a data frame of conditions, run it in the background on this machine,
# watch it in a dashboard, then read and plot the results.  Run it line by
# line; the console stays free while the job runs.  The vignette
# vignette("local-job", package = "rsim") walks through the same steps.
#
# Needs the rsim program (options(rsim.binary = ".../build/rsim"), the
# environment variable RSIM_BIN, or rsim on the PATH), mpirun, and the R
# packages rsim and shiny (for monitor()); ggplot2 for the plot if
# installed, else base graphics.
library(rsim)

# 1. The study: coverage of the 95% t-interval for a mean under skewed data.
coverage <- function(n, dist, level) {
  x <- switch(dist,
    normal = rnorm(n),
    exponential = rexp(n) - 1,          # mean 0, skewed
    lognormal = rlnorm(n) - exp(0.5)    # mean 0, more skewed
  )
  ci <- t.test(x, conf.level = level)$conf.int
  list(covered = ci[1] <= 0 && 0 <= ci[2], width = ci[2] - ci[1])
}
conditions <- expand.grid(
  n = c(5, 10, 20, 50, 100),
  dist = c("normal", "exponential", "lognormal"),
  stringsAsFactors = FALSE
)

# 2. grid.toml (and the function's script) from the data frame: one grid
#    point per row, 10,000 replicates each: 150,000 tasks.
dir <- file.path(tempdir(), "t-coverage")
dir.create(dir, showWarnings = FALSE)
grid <- write_grid(file.path(dir, "grid.toml"), coverage,
  grid = conditions, replicates = 10000, seed = 20261129,
  args = list(level = 0.95), name = "t-coverage"
)

# 3. Run it in the background on every core; in RStudio it also shows in
#    the Jobs pane.
job <- rsim_run(grid, np = parallel::detectCores())
job$status()

# 4. Watch it: progress, throughput, failures, and the results once the
#    job has written its result file (RStudio: the Viewer pane).
m <- monitor(job)

# 5. Wait, read, summarise.
job$wait()
res <- read_results(job)
s <- summarise_results(job, fields = c("covered", "width"))
print(s, digits = 3)

# 6. Plot coverage with 2 Monte Carlo standard errors.
if (requireNamespace("ggplot2", quietly = TRUE)) {
  library(ggplot2)
  p <- ggplot(s, aes(n, covered_mean, colour = dist)) +
    geom_hline(yintercept = 0.95, linetype = "dashed") +
    geom_pointrange(aes(ymin = covered_mean - 2 * covered_se, ymax = covered_mean + 2 * covered_se)) +
    geom_line() +
    scale_x_log10(breaks = unique(s$n)) +
    labs(x = "sample size n", y = "coverage of the 95% t-interval", colour = "data")
  print(p)
} else {
  cols <- c(normal = "#1b9e77", exponential = "#d95f02", lognormal = "#7570b3")
  plot(NULL, xlim = range(s$n), ylim = range(0.95, s$covered_mean - 2 * s$covered_se, s$covered_mean + 2 * s$covered_se), log = "x",
       xlab = "sample size n", ylab = "coverage of the 95% t-interval")
  abline(h = 0.95, lty = 2)
  for (d in names(cols)) {
    k <- s[s$dist == d, ]
    lines(k$n, k$covered_mean, col = cols[d], type = "b", pch = 19)
    segments(k$n, k$covered_mean - 2 * k$covered_se, k$n, k$covered_mean + 2 * k$covered_se, col = cols[d])
  }
  legend("bottomright", names(cols), col = cols, lty = 1, pch = 19, bty = "n")
}

# 7. Stop the dashboard (it also stops when the R session ends).
m$stop()
