# RStudio's Jobs pane: a job registered by rsim_run() or rsim_job() shows its
# progress, refreshed every second while the console is idle (with the later
# package; else after each top-level command), and a Stop button that sends
# the clean stop.  rstudioapi is optional (Suggests); nothing happens outside
# RStudio.

rstudio_available <- function() {
  requireNamespace("rstudioapi", quietly = TRUE) &&
    isTRUE(tryCatch(rstudioapi::isAvailable() && rstudioapi::hasFun("jobAdd"), error = function(e) FALSE))
}

# The rstudioapi functions rsim calls; tests pass a recording fake.
rstudio_api <- function() {
  list(jobAdd = rstudioapi::jobAdd, jobSetProgress = rstudioapi::jobSetProgress,
       jobSetStatus = rstudioapi::jobSetStatus, jobSetState = rstudioapi::jobSetState)
}

rstudio_register <- function(job, api = if (rstudio_available()) rstudio_api(), poll = 1) {
  if (is.na(job$n_tasks) || is.null(api)) return(invisible())
  stop_action <- function(id) {
    # the clean stop, without waiting: the pane shows the job ending
    tryCatch(suppressWarnings(job$stop(timeout = 0)), error = function(e) NULL)
    invisible()
  }
  id <- tryCatch(
    api$jobAdd(sprintf("rsim %s", job$name), status = "starting",
               progressUnits = as.integer(min(job$n_tasks, .Machine$integer.max)),
               actions = list(stop = stop_action), autoRemove = FALSE, show = FALSE, running = TRUE),
    error = function(e) NULL
  )
  if (is.null(id)) return(invisible())
  job$rstudio_id <- id
  job$rstudio_api <- api
  if (requireNamespace("later", quietly = TRUE)) {
    rstudio_poll(job, poll)
  } else { # refresh whenever R finishes a top-level command, until the job ends
    job$rstudio_callback <- addTaskCallback(function(...) rstudio_refresh(job), name = sprintf("rsim-job-%s", id))
  }
  invisible()
}

# Refreshes the pane (job$status() calls rstudio_update()); TRUE while the
# job may still change.
rstudio_refresh <- function(job) {
  s <- tryCatch(job$status(), error = function(e) NULL)
  !isTRUE(job$rstudio_done) && (is.null(s) || s$state %in% c("starting", "running"))
}

# Every `every` seconds while the console is idle (later's event loop),
# until the job ends.
rstudio_poll <- function(job, every = 1) {
  if (rstudio_refresh(job)) later::later(function() rstudio_poll(job, every), every)
  invisible()
}

rstudio_update <- function(job, s) {
  id <- job$rstudio_id
  api <- job$rstudio_api
  if (is.null(id) || is.null(api) || isTRUE(job$rstudio_done)) return(invisible())
  scale <- if (job$n_tasks > .Machine$integer.max) .Machine$integer.max / job$n_tasks else 1
  tryCatch({
    api$jobSetProgress(id, as.integer(s$done * scale))
    api$jobSetStatus(id, sprintf("%s/%s tasks, %s failed", format(s$done, scientific = FALSE),
                                 format(s$total, scientific = FALSE), format(s$failed, scientific = FALSE)))
    if (!s$state %in% c("starting", "running")) {
      api$jobSetState(id, switch(s$state, finished = "succeeded", interrupted = "cancelled", "failed"))
      job$rstudio_done <- TRUE
    }
  }, error = function(e) NULL)
  invisible()
}
