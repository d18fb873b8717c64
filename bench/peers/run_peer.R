# One R runner on one workload of the peer benchmark (issue 7):
#
#   Rscript bench/peers/run_peer.R RUNNER WORKLOAD TASKS OUTDIR [SEED]
#
# RUNNER: lapply | mclapply | mclapply_nopre | parLapply | future | foreach |
#         bt_chunked | bt_job   (2 workers each, lapply 1)
# WORKLOAD: tiny | medium | power | volume (bench/peers/workloads.R)
# TASKS: number of tasks (power: a multiple of 32, TASKS/32 replicates per point)
#
# Prints one machine-readable line
#   RESULT runner=.. workload=.. tasks=.. setup=S run=S compute=S check=ok|FAIL..
# setup: starting workers / registry (s); run: the apply call with gathering the
# results (and, for volume, writing them to disk) (s); compute: lapply only,
# the time of the bare lapply() call = the sequential compute time.  The
# whole command's wall time (R start-up and package loading included) is
# measured by the caller, bench/run.  For power, the per-point rejection
# counts go to OUTDIR/power_RUNNER.csv for the cross-runner agreement check.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4L) stop("usage: run_peer.R RUNNER WORKLOAD TASKS OUTDIR [SEED]")
runner <- args[[1]]; workload <- args[[2]]; tasks <- as.integer(args[[3]]); outdir <- args[[4]]
seed <- if (length(args) >= 5L) as.integer(args[[5]]) else 20261129L
P <- 2L

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])))
source(file.path(here, "workloads.R"))
if (workload == "power" && tasks %% nrow(power_grid) != 0L) stop("power: TASKS must be a multiple of 32")
f <- make_task(workload, tasks)
ids <- seq_len(tasks) - 1L
RNGkind("L'Ecuyer-CMRG")
set.seed(seed)
now <- function() proc.time()[["elapsed"]]
compute <- NA_real_
setup <- 0
t_setup <- now()

run_apply <- switch(runner,
  lapply = function() {
    t0 <- now(); r <- lapply(ids, f); compute <<- now() - t0; r
  },
  mclapply = function() parallel::mclapply(ids, f, mc.cores = P, mc.preschedule = TRUE, mc.set.seed = TRUE),
  mclapply_nopre = function() parallel::mclapply(ids, f, mc.cores = P, mc.preschedule = FALSE, mc.set.seed = TRUE),
  parLapply = {
    cl <- parallel::makePSOCKcluster(P)
    parallel::clusterSetRNGStream(cl, seed)
    function() parallel::parLapply(cl, ids, f)
  },
  future = {
    suppressPackageStartupMessages(library(future.apply))
    plan(multisession, workers = P)
    # future.seed: one L'Ecuyer stream per element, future's sound-RNG mode
    function() future_lapply(ids, f, future.seed = seed)
  },
  foreach = {
    suppressPackageStartupMessages(library(doParallel))
    cl <- parallel::makePSOCKcluster(P)
    parallel::clusterSetRNGStream(cl, seed)
    registerDoParallel(cl)
    function() foreach(t = ids, .export = "f") %dopar% f(t)
  },
  bt_chunked = , bt_job = {
    suppressPackageStartupMessages(library(batchtools))
    options(batchtools.progress = FALSE, batchtools.verbose = FALSE)
    reg <- suppressMessages(makeRegistry(file.dir = file.path(outdir, paste0("bt-", runner, "-", workload)),
                                         seed = seed, conf.file = NA, make.default = FALSE))
    reg$cluster.functions <- makeClusterFunctionsMulticore(ncpus = P)
    function() {
      jobs <- suppressMessages(batchMap(f, t = ids, reg = reg))
      if (runner == "bt_chunked") jobs$chunk <- chunk(jobs$job.id, n.chunks = P)
      suppressMessages(submitJobs(jobs, reg = reg))
      # sleep = 0.1 s between polls instead of the default 5-120 s, in batchtools' favour
      ok <- suppressMessages(waitForJobs(reg = reg, sleep = 0.1))
      if (!ok) stop("batchtools: some jobs failed: ", paste(getErrorMessages(reg = reg)$message, collapse = "; "))
      reduceResultsList(reg = reg)
    }
  },
  stop("unknown runner ", runner))
setup <- now() - t_setup

t0 <- now()
res <- run_apply()
values <- switch(workload,
  tiny = unlist(res, use.names = FALSE),
  medium = do.call(rbind, res),
  volume = do.call(rbind, res),
  power = vapply(res, function(r) r$reject, 0L))
if (workload == "volume") {  # the results of a big study go to disk, as rsim's do
  saveRDS(values, file.path(outdir, paste0("volume_", runner, ".rds")), compress = FALSE)
}
run <- now() - t0

if (exists("cl")) parallel::stopCluster(cl)
if (runner == "future") plan(sequential)
check <- check_values(workload, values, tasks)
if (workload == "power") {
  write.csv(power_counts(values, tasks), file.path(outdir, paste0("power_", runner, ".csv")), row.names = FALSE)
}
cat(sprintf("RESULT runner=%s workload=%s tasks=%d setup=%.4f run=%.4f compute=%s check=%s\n",
            runner, workload, tasks, setup, run, if (is.na(compute)) "NA" else sprintf("%.4f", compute),
            gsub(" ", "_", check)))
