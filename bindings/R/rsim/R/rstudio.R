# RStudio's Jobs pane: a job registered by rsim_run() shows its progress.
# rstudioapi is optional (Suggests); nothing happens outside RStudio.

rstudio_available <- function() {
  requireNamespace("rstudioapi", quietly = TRUE) &&
    isTRUE(tryCatch(rstudioapi::isAvailable() && rstudioapi::hasFun("jobAdd"), error = function(e) FALSE))
}

rstudio_register <- function(job) {
  if (is.na(job$n_tasks) || !rstudio_available()) return(invisible())
  id <- tryCatch(
    rstudioapi::jobAdd(sprintf("rsim %s", job$name), status = "starting", progressUnits = as.integer(min(job$n_tasks, .Machine$integer.max)),
                       autoRemove = FALSE, show = FALSE, running = TRUE),
    error = function(e) NULL
  )
  if (is.null(id)) return(invisible())
  job$rstudio_id <- id
  # refresh the pane whenever R finishes a top-level command, until the job ends
  job$rstudio_callback <- addTaskCallback(function(...) {
    s <- tryCatch(job$status(), error = function(e) NULL)
    is.null(s) || s$state %in% c("starting", "running")
  }, name = sprintf("rsim-job-%s", id))
  invisible()
}

rstudio_update <- function(job, s) {
  id <- job$rstudio_id
  if (is.null(id) || isTRUE(job$rstudio_done)) return(invisible())
  scale <- if (job$n_tasks > .Machine$integer.max) .Machine$integer.max / job$n_tasks else 1
  tryCatch({
    rstudioapi::jobSetProgress(id, as.integer(s$done * scale))
    rstudioapi::jobSetStatus(id, sprintf("%s/%s tasks, %s failed", format(s$done, scientific = FALSE),
                                         format(s$total, scientific = FALSE), format(s$failed, scientific = FALSE)))
    if (!s$state %in% c("starting", "running")) {
      rstudioapi::jobSetState(id, if (s$state == "finished") "succeeded" else "failed")
      job$rstudio_done <- TRUE
    }
  }, error = function(e) NULL)
  invisible()
}
