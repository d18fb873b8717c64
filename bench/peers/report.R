# The table, the checks and the RESULTS.md section of the peer benchmark
# (bench/run calls this; not meant to be run by hand).
#
#   Rscript bench/peers/report.R RAW.csv WORKDIR OUTDIR MODE TOTAL_S MACHINE LOADAVG
#
# Per row (workload x runner):
#   wall      the whole command's wall time (start-up included); for a subset
#             run, extrapolated: wall + run phase x (full tasks / tasks run - 1)
#   tasks/s   full tasks / wall
#   overhead  (wall - sequential compute / P) / tasks, per task; sequential
#             compute = the bare lapply() call in one R process (R workloads),
#             the sum of rsim's per-task times at -n 1 (native workloads)
#   x rsim    wall / wall of rsim -n 2 with the same backend (R or native)
# Checks (exit status 1 when one fails): every runner's own result check;
# rsim's results identical at -n 1 and -n 2; per grid point of the power
# study |p_runner - p_rsim| <= 4 sqrt(p (1 - p) (1/r_runner + 1/r_rsim)),
# p pooled (with one pseudo-count each), against rsim R at -n 2 (with fewer
# than 30 replicates per point, Fisher's exact test at the same level).
# Writes OUTDIR/results.csv and OUTDIR/section.md.
args <- commandArgs(trailingOnly = TRUE)
raw <- read.csv(args[[1]], stringsAsFactors = FALSE)
workdir <- args[[2]]; outdir <- args[[3]]; mode <- args[[4]]; total <- as.numeric(args[[5]])
machine <- args[[6]]; loadavg <- args[[7]]

raw$extrapolated <- raw$tasks_run < raw$tasks_full
raw$wall_full <- ifelse(raw$extrapolated, raw$wall + raw$inner * (raw$tasks_full / raw$tasks_run - 1), raw$wall)
seq_compute <- function(w, b) {
  if (b == "r") raw$compute[raw$workload == w & raw$runner == "lapply"]
  else raw$compute[raw$workload == w & raw$runner == "rsim_native_n1"]
}
raw$seq_compute <- mapply(seq_compute, raw$workload, raw$backend)
raw$tasks_per_s <- raw$tasks_full / raw$wall_full
raw$overhead_us <- (raw$wall_full - raw$seq_compute / raw$P) / raw$tasks_full * 1e6
raw$phase_overhead_us <- ifelse(grepl("^rsim", raw$runner),
                                (raw$inner - raw$seq_compute / raw$P) / raw$tasks_full * 1e6, NA)
ref_wall <- function(w, b) raw$wall_full[raw$workload == w & raw$runner == sprintf("rsim_%s_n2", b)]
raw$x_rsim <- raw$wall_full / mapply(ref_wall, raw$workload, raw$backend)

# --- checks ----------------------------------------------------------------
fails <- character()
for (i in seq_len(nrow(raw)))
  if (raw$check[i] != "ok") fails <- c(fails, sprintf("%s / %s: %s", raw$workload[i], raw$runner[i], raw$check[i]))
for (w in unique(raw$workload)) for (b in c("r", "native")) {
  d <- raw$digest[raw$workload == w & raw$runner %in% sprintf("rsim_%s_n%d", b, 1:2)]
  if (length(d) == 2L && d[1] != d[2])
    fails <- c(fails, sprintf("%s: rsim %s results differ between -n 1 and -n 2", w, b))
}
raw$power_max_z <- NA_real_
ref <- read.csv(file.path(workdir, "power_rsim_r_n2.csv"))
for (i in which(raw$workload == "power" & raw$runner != "rsim_r_n2")) {
  d <- read.csv(file.path(workdir, paste0("power_", raw$runner[i], ".csv")))
  pa <- d$rejects / d$reps; pb <- ref$rejects / ref$reps
  p <- (d$rejects + ref$rejects + 1) / (d$reps + ref$reps + 2)
  se <- sqrt(p * (1 - p) * (1 / d$reps + 1 / ref$reps))
  z <- abs(pa - pb) / se
  raw$power_max_z[i] <- max(z)
  # With few replicates per point (a subset run) the normal approximation is
  # poor: there, Fisher's exact test at the same level (two-sided 4 sigma).
  bad_pt <- if (min(d$reps) >= 30L) z > 4 else
    vapply(seq_along(z), function(k) fisher.test(matrix(c(d$rejects[k], d$reps[k] - d$rejects[k], ref$rejects[k],
                                                          ref$reps[k] - ref$rejects[k]), 2))$p.value < 2 * pnorm(-4), NA)
  if (any(bad_pt)) {
    bad <- which(bad_pt)
    fails <- c(fails, sprintf("power / %s: rejection rate differs from rsim's by more than 4 MC standard errors at point(s) %s (%s)",
                              raw$runner[i], paste(bad, collapse = ", "),
                              paste(sprintf("%.3f vs %.3f", pa[bad], pb[bad]), collapse = "; ")))
  }
}
raw$check_note <- ifelse(raw$check != "ok", "FAIL",
                         ifelse(is.na(raw$power_max_z), "ok", sprintf("ok (max z %.1f)", raw$power_max_z)))
raw$check_note[raw$workload == "power" & raw$runner == "rsim_r_n2"] <- "reference"

# --- table -----------------------------------------------------------------
wl_label <- c(tiny = "tiny R tasks", medium = "medium R tasks (~10 ms)", power = "t-test power study",
              volume = "result volume (4 numbers)")
runner_label <- c(rsim_r_n1 = "rsim -n 1 (R)", rsim_r_n2 = "rsim -n 2 (R)", rsim_native_n1 = "rsim -n 1 (native)",
                  rsim_native_n2 = "rsim -n 2 (native)", lapply = "lapply", mclapply = "mclapply (prescheduled)",
                  mclapply_nopre = "mclapply (not prescheduled)", parLapply = "parLapply (PSOCK)",
                  future = "future.apply (multisession)", foreach = "foreach + doParallel (PSOCK)",
                  bt_chunked = "batchtools multicore (2 chunks)", bt_job = "batchtools multicore (1 task/job)")
fmt_n <- function(x) formatC(x, format = "d", big.mark = ",")
fmt_s <- function(x) ifelse(x >= 100, sprintf("%.0f", x), ifelse(x >= 10, sprintf("%.1f", x), sprintf("%.2f", x)))
fmt_rate <- function(x) ifelse(x >= 100, formatC(round(x), format = "d", big.mark = ","), sprintf("%.1f", x))
fmt_us <- function(x) ifelse(abs(x) >= 1000, formatC(round(x), format = "d", big.mark = ","),
                             ifelse(abs(x) >= 10, sprintf("%.1f", x), sprintf("%.2f", x)))
tab <- data.frame(
  workload = wl_label[raw$workload],
  runner = runner_label[raw$runner],
  P = raw$P,
  tasks = ifelse(raw$extrapolated, sprintf("%s (ran %s)", fmt_n(raw$tasks_full), fmt_n(raw$tasks_run)), fmt_n(raw$tasks_full)),
  wall_s = paste0(fmt_s(raw$wall_full), ifelse(raw$extrapolated, "*", "")),
  tasks_per_s = fmt_rate(raw$tasks_per_s),
  overhead_us = fmt_us(raw$overhead_us),
  x_rsim = sprintf("%.2f", raw$x_rsim),
  check = raw$check_note,
  stringsAsFactors = FALSE)
md <- c("| workload | runner | P | tasks | wall (s) | tasks/s | overhead per task (us) | wall / rsim -n 2 | check |",
        "|---|---|---|---|---|---|---|---|---|",
        sprintf("| %s |", apply(tab, 1, paste, collapse = " | ")))
csv <- raw[c("workload", "backend", "runner", "P", "tasks_full", "tasks_run", "extrapolated", "wall", "wall_full",
             "inner", "setup", "write", "seq_compute", "tasks_per_s", "overhead_us", "phase_overhead_us",
             "x_rsim", "power_max_z", "check")]
names(csv)[names(csv) == "inner"] <- "run_phase"
write.csv(csv, file.path(outdir, "results.csv"), row.names = FALSE)

# --- targets ---------------------------------------------------------------
g <- function(w, r, col) raw[[col]][raw$workload == w & raw$runner == r]
met <- function(ok) if (isTRUE(ok)) "**met**" else "**not met**"
ov_r <- g("tiny", "rsim_r_n2", "overhead_us"); ov_r1 <- g("tiny", "rsim_r_n1", "overhead_us")
ph_r <- g("tiny", "rsim_r_n2", "phase_overhead_us")
ov_n <- g("volume", "rsim_native_n2", "overhead_us"); ov_n1 <- g("volume", "rsim_native_n1", "overhead_us")
ph_n <- g("volume", "rsim_native_n2", "phase_overhead_us")
ov_pn <- g("power", "rsim_native_n2", "overhead_us")
thr <- g("tiny", "rsim_r_n2", "tasks_per_s")
thr_mc <- thr / g("tiny", "mclapply", "tasks_per_s"); thr_nopre <- thr / g("tiny", "mclapply_nopre", "tasks_per_s")
eff <- g("medium", "rsim_r_n1", "wall") / (2 * g("medium", "rsim_r_n2", "wall"))
eff_ph <- g("medium", "rsim_r_n1", "inner") / (2 * g("medium", "rsim_r_n2", "inner"))
# Share of the -n 2 task phase the 2 ranks spent inside tasks (sum of rsim's
# per-task times / (2 x task phase)): the same question without the -n 1 run,
# so other work slowing one of the two runs does not distort it.
busy <- g("medium", "rsim_r_n2", "compute") / (2 * g("medium", "rsim_r_n2", "inner"))
sp <- g("power", "rsim_r_n2", "wall") / g("power", "rsim_native_n2", "wall")
sp_ph <- g("power", "rsim_r_n2", "inner") / g("power", "rsim_native_n2", "inner")
targets <- c(
  "| target | measured | |",
  "|---|---|---|",
  sprintf("| rsim overhead per R task < 20 us (tiny workload, whole command, -n 2) | %.2f us at -n 2 (-n 1: %.2f us; task phase only: %.2f us at -n 2) | %s |",
          ov_r, ov_r1, ph_r, met(ov_r < 20)),
  sprintf("| rsim overhead per native task < 2 us (volume workload, whole command, -n 2) | %.2f us at -n 2 (-n 1: %.2f us; task phase only: %.2f us at -n 2; power study, %s tasks: %.2f us) | %s |",
          ov_n, ov_n1, ph_n, fmt_n(g("power", "rsim_native_n2", "tasks_full")), ov_pn, met(ov_n < 2)),
  sprintf("| tiny-task throughput >= 0.8x prescheduled mclapply | rsim -n 2 %s tasks/s = %.2fx | %s |",
          fmt_rate(thr), thr_mc, met(thr_mc >= 0.8)),
  sprintf("| tiny-task throughput >= 50x mclapply without prescheduling | %.0fx | %s |", thr_nopre, met(thr_nopre >= 50)),
  sprintf("| parallel efficiency at -n 2 >= 90%% (medium workload) | T(-n 1) / (2 T(-n 2)) = %.1f%% whole command (%.1f%% task phase); ranks busy in tasks %.1f%% of the -n 2 task phase | %s |",
          100 * eff, 100 * eff_ph, 100 * busy,
          if (eff > 1.05) sprintf("%s by the busy share; the ratio is **inconclusive** (above 100%%: the -n 1 run was slowed by other work)", met(busy >= 0.9))
          else met(eff >= 0.9)),
  sprintf("| native power study >= 20x faster than in R (rsim -n 2) | %.1fx whole command (%.0fx task phase) | %s |",
          sp, sp_ph, met(sp >= 20)))

cat("\n", paste(md, collapse = "\n"), "\n\n", paste(targets, collapse = "\n"), "\n", sep = "")
if (length(fails)) {
  cat("\nCHECK FAILED:\n", paste0("  ", fails, "\n"), sep = "", file = stderr())
} else {
  cat("\nChecks: every runner's results complete, distinct and statistically right; rsim identical at -n 1 and -n 2;",
      "power estimates of every runner within 4 Monte Carlo standard errors of rsim's at all 32 grid points",
      "(Fisher's exact test at that level for subsets with < 30 replicates per point).\n")
}

# --- RESULTS.md section ----------------------------------------------------
section <- c(
  "", sprintf("## %s — peer benchmark (issue 7)", format(Sys.Date())), "",
  sprintf("Machine: %s.  Load average (1, 5, 15 min) %s; the benchmark itself keeps about 2 cores busy, so more means other work shared the machine and the timings carry its noise.", machine, loadavg), "",
  sprintf("Command: `bench/run%s` (%s mode, %.0f s in all).  Every runner is one shell command timed from start to end (R or MPI start-up, workers, gathering the results included: what a user waits for); rsim runs under `scripts/mpirun.sh`, the others under `Rscript bench/peers/run_peer.R RUNNER WORKLOAD TASKS`.  Per-task overhead = (wall - sequential compute / P) / tasks, with the sequential compute the bare `lapply()` call in one R process (native: the sum of rsim's per-task times at -n 1); it is negative when a runner's tasks ran faster than lapply's.  `*` = extrapolated from a subset (start-up + run phase x full/subset).  Workloads: `bench/peers/workloads.R`; the native volume row uses `ttest_power` with n = 2 (3 fields; no built-in kernel returns 4).  Results were checked: %s.",
          if (mode == "quick") " --quick" else "", mode, total,
          if (length(fails)) paste("FAILED:", paste(fails, collapse = "; ")) else
            "every runner returned all tasks with distinct, statistically right values; rsim identical at -n 1 and -n 2; power estimates within 4 Monte Carlo SE of rsim's at every grid point (Fisher's exact test at that level for subsets with fewer than 30 replicates per point)"),
  "", md, "", "Targets (issue 7):", "", targets, "")
writeLines(section, file.path(outdir, "section.md"))
quit(status = if (length(fails)) 1L else 0L)
