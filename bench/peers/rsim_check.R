# Reads one rsim result file of the peer benchmark and checks it the way
# run_peer.R checks the R runners (bench/peers/workloads.R, check_values).
#
#   Rscript bench/peers/rsim_check.R FILE.h5 WORKLOAD BACKEND LABEL OUTDIR
#
# Prints one line
#   RSIMCHECK check=ok|FAIL.. compute=S digest=HEX
# compute: the sum of the per-task times rsim recorded (/tasks/elapsed), the
# time spent inside the tasks themselves (used as the sequential compute time
# of the native workloads); digest: a hash of the result columns, equal at
# -n 1 and -n 2 when the results are identical.  For power, the per-point
# rejection counts go to OUTDIR/power_LABEL.csv.
suppressPackageStartupMessages(library(hdf5r))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 5L) stop("usage: rsim_check.R FILE.h5 WORKLOAD BACKEND LABEL OUTDIR")
path <- args[[1]]; workload <- args[[2]]; backend <- args[[3]]; label <- args[[4]]; outdir <- args[[5]]
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])))
source(file.path(here, "workloads.R"))

f <- H5File$new(path, mode = "r")
tasks <- as.integer(h5attr(f, "n_tasks"))
status <- as.character(f[["tasks/status"]]$read())
elapsed <- f[["tasks/elapsed"]]$read()
fields <- sort(names(f[["results"]]))
cols <- lapply(fields, function(x) f[[paste0("results/", x)]]$read())
names(cols) <- fields
f$close_all()

check <- if (any(status != "ok")) sprintf("FAIL %d tasks not ok", sum(status != "ok")) else
  switch(paste(workload, backend),
    "tiny r" = check_values("tiny", cols$value, tasks),
    "medium r" = check_values("medium", cbind(cols$est, cols$se), tasks),
    "volume r" = check_values("volume", cbind(cols$a, cols$b, cols$c, cols$d), tasks),
    "power r" = , "power native" = check_values("power", as.integer(cols$reject), tasks),
    "volume native" = if (length(cols$p_value) != tasks || anyNA(cols$p_value) || any(cols$p_value < 0 | cols$p_value > 1))
                        "FAIL bad p-values" else if (anyDuplicated(cols$estimate)) "FAIL duplicated results" else "ok",
    stop("unknown workload/backend ", workload, "/", backend))
if (workload == "power") {
  write.csv(power_counts(as.integer(cols$reject), tasks), file.path(outdir, paste0("power_", label, ".csv")),
            row.names = FALSE)
}
cat(sprintf("RSIMCHECK check=%s compute=%.4f digest=%s\n", gsub(" ", "_", check), sum(elapsed),
            digest::digest(unname(cols))))
