# Per-task overhead by runner, log scale, one point per workload, from the
# CSV that bench/run writes; base graphics only.
#
#   Rscript bench/plot_overhead.R [bench/out/results.csv] [bench/out/overhead.png]
#
# Overheads at or below the floor (a runner whose tasks ran no slower than
# the sequential lapply baseline) are drawn at the floor as open symbols.
args <- commandArgs(trailingOnly = TRUE)
csv <- if (length(args) >= 1L) args[[1]] else "bench/out/results.csv"
png_out <- if (length(args) >= 2L) args[[2]] else "bench/out/overhead.png"
d <- read.csv(csv, stringsAsFactors = FALSE)

runners <- c(rsim_native_n2 = "rsim -n 2 (native)", rsim_native_n1 = "rsim -n 1 (native)",
             rsim_r_n2 = "rsim -n 2 (R)", rsim_r_n1 = "rsim -n 1 (R)", lapply = "lapply (sequential)",
             mclapply = "mclapply, prescheduled", mclapply_nopre = "mclapply, not prescheduled",
             parLapply = "parLapply (PSOCK)", future = "future.apply (multisession)",
             foreach = "foreach + doParallel", bt_chunked = "batchtools, 2 chunks",
             bt_job = "batchtools, 1 task per job")
runners <- runners[names(runners) %in% d$runner]
workloads <- c(tiny = "tiny R tasks (5 us)", medium = "medium R tasks (10 ms)",
               power = "t-test power study", volume = "result volume (4 numbers)")
cols <- c(tiny = "#1b9e77", medium = "#d95f02", power = "#7570b3", volume = "#e7298a")
pch_w <- c(tiny = 19, medium = 15, power = 17, volume = 18)
floor_us <- 0.01

y <- rev(seq_along(runners)); names(y) <- names(runners)
ov <- d$overhead_us
at_floor <- !is.finite(ov) | ov <= floor_us
ov[at_floor] <- floor_us
xr <- c(floor_us, max(1e7, max(ov, na.rm = TRUE) * 2))

png(png_out, width = 1400, height = 850, res = 130, type = "cairo")
par(mar = c(8, 13.5, 3, 1))
plot(NA, xlim = xr, ylim = c(0.5, length(runners) + 0.5), log = "x", yaxt = "n", xaxt = "n",
     xlab = "per-task overhead (microseconds, log scale) = (wall - sequential compute / P) / tasks",
     ylab = "", main = "Per-task overhead by runner (2 cores; * = extrapolated from a subset)")
ticks <- 10^(-2:7)
axis(1, at = ticks, labels = c("0.01", "0.1", "1", "10", "100", "1 ms", "10 ms", "100 ms", "1 s", "10 s"))
axis(2, at = y, labels = runners, las = 1, cex.axis = 0.85)
abline(h = y, col = "grey92"); abline(v = ticks, col = "grey92")
# targets and published figures
abline(v = 20, lty = 2, col = "grey30"); text(20, 0.55, "rsim R target 20 us", pos = 4, cex = 0.7, col = "grey30")
abline(v = 2, lty = 3, col = "grey30"); text(2, 0.55, "native target 2 us", pos = 2, cex = 0.7, col = "grey30")
rect(66, -1, 98, 20, col = adjustcolor("grey50", 0.15), border = NA)
text(80, length(runners) + 0.45, "mirai 66-98 us", cex = 0.7, col = "grey30")
abline(v = 26000, lty = 4, col = "grey50"); text(26000, length(runners) + 0.45, "future 26 ms", cex = 0.7, col = "grey30")
rect(1000, -1, 1e6, 20, col = adjustcolor("orange", 0.06), border = NA)
text(3e4, 0.55, "batchtools published: ms to s per job", cex = 0.7, col = "grey30")
off <- c(tiny = 0.24, medium = 0.08, power = -0.08, volume = -0.24)
for (i in seq_len(nrow(d))) {
  r <- d$runner[i]; w <- d$workload[i]
  if (!r %in% names(y)) next
  points(ov[i], y[r] + off[w], pch = if (at_floor[i]) 1 else pch_w[w], col = cols[w], cex = 1.3)
  if (isTRUE(d$extrapolated[i])) text(ov[i], y[r] + off[w], "*", pos = 4, cex = 0.9, col = cols[w], offset = 0.3)
}
keep <- names(workloads) %in% d$workload
legend(x = 10^mean(log10(xr)), y = par("usr")[3] - 0.25 * diff(par("usr")[3:4]), xjust = 0.5, yjust = 0.5,
       xpd = TRUE, ncol = 3, bty = "n", cex = 0.8,
       legend = c(workloads[keep], "<= 0.01 us (at the floor)"), col = c(cols[keep], "black"), pch = c(pch_w[keep], 1))
invisible(dev.off())
cat("wrote", png_out, "\n")
