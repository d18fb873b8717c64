# Shared fixtures: small jobs run once per test session with the real rsim
# binary (RSIM_BIN) and cached.

skip_if_no_rsim <- function() {
  bin <- Sys.getenv("RSIM_BIN")
  skip_if(!nzchar(bin) || !file.exists(bin), "RSIM_BIN is not set to the rsim binary")
}

skip_if_no_mpirun <- function() {
  skip_if(!nzchar(Sys.which(getOption("rsim.mpirun", "mpirun"))), "mpirun is not on the PATH")
}

fixtures <- new.env(parent = emptyenv())

# Runs grid on 2 ranks until both ranks ran tasks that finished ok (which
# rank gets which tasks is up to the scheduler: on a busy machine one rank
# may take them all), at most 5 times.
run_on_both_ranks <- function(g) {
  for (i in 1:5) {
    res <- suppressMessages(rsim_run(g, np = 2, background = FALSE, fresh = TRUE))
    ranks <- read_results(g, status = "ok", columns = "rank")$rank
    if (all(c(0L, 1L) %in% ranks)) return(res)
  }
  stop("5 runs of ", g, " left one rank without tasks")
}

new_dir <- function(prefix) {
  d <- tempfile(prefix)
  dir.create(d)
  normalizePath(d)
}

# An R job with every kind of result: integer, double, logical, string and
# vector fields, a table, warnings, failures, on 2 ranks.
r_job <- function() {
  if (!is.null(fixtures$r_job)) return(fixtures$r_job)
  dir <- new_dir("rjob")
  sim <- function(n, mu, label, .task) {
    Sys.sleep(0.005) # long enough for both ranks to get tasks
    x <- rnorm(n, mu)
    if (mu > 1) warning("mu above 1")
    if (label == "bad" && .task$replicate %% 5 == 2) stop("bad label on replicate ", .task$replicate)
    list(
      mean = mean(x), k = as.integer(sum(x > 0)), pos = mean(x) > 0, tag = paste0(label, "-", n),
      q = stats::quantile(x, c(0.25, 0.75), names = FALSE),
      draws = data.frame(j = seq_len(2), x = x[1:2], lab = c("a", "b"))
    )
  }
  g <- write_grid(file.path(dir, "grid.toml"), sim,
    grid = list(n = c(5, 20), mu = c(0, 1.5), label = c("good", "bad")),
    replicates = 20, seed = 20261129, name = "rjob"
  )
  res <- run_on_both_ranks(g)
  fixtures$r_job <- list(dir = dir, grid = g, file = file.path(dir, "rjob.h5"), res = res)
  fixtures$r_job
}

# The native t-test kernel on 2 ranks, with one failing point.
native_job <- function() {
  if (!is.null(fixtures$native_job)) return(fixtures$native_job)
  dir <- new_dir("njob")
  pts <- data.frame(n = c(10L, 10L, 40L, 10L), delta = c(0, 0.5, 0.5, 0.5), sd = c(1, 1, 1, 1e300))
  g <- write_grid(file.path(dir, "grid.toml"), native_kernel("ttest_power"),
    grid = pts, replicates = 300, seed = 99, args = list(alpha = 0.05), name = "njob", chunk = 10
  )
  res <- run_on_both_ranks(g)
  fixtures$native_job <- list(dir = dir, grid = g, file = file.path(dir, "njob.h5"), res = res, points = pts)
  fixtures$native_job
}

# .Random.seed of task t by the loop the definition states.
loop_seed <- function(seed, t) {
  old <- RNGkind()
  had <- exists(".Random.seed", globalenv())
  if (had) saved <- get(".Random.seed", globalenv())
  on.exit({
    RNGkind(old[1], old[2], old[3])
    if (had) assign(".Random.seed", saved, globalenv())
  })
  set.seed(seed, kind = "L'Ecuyer-CMRG", normal.kind = "Inversion", sample.kind = "Rejection")
  s <- .Random.seed
  for (i in 0:t) s <- parallel::nextRNGStream(s)
  s
}

# A grid.toml of busy_wait tasks in a new folder, for tests that run jobs on
# 2 ranks (skipped without the binary or mpirun).
busy_grid <- function(prefix, ms, replicates, chunk, checkpoint) {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  dir <- new_dir(prefix)
  write_grid(file.path(dir, "grid.toml"), native_kernel("busy_wait"), grid = list(ms = ms),
             replicates = replicates, seed = 1, chunk = chunk, checkpoint = checkpoint)
}

# In shiny::testServer(): advances the dashboard's clock a second at a time
# (real time passing too: snapshots are taken by a background process)
# until `get()` matches `pattern`; returns its last value.
flush_until <- function(session, get, pattern, seconds = 30) {
  deadline <- Sys.time() + seconds
  repeat {
    session$elapse(1000)
    v <- get()
    if (grepl(pattern, v) || Sys.time() > deadline) return(v)
    Sys.sleep(0.1)
  }
}
