#' Read the failed tasks of an rsim job with their error messages
#'
#' @inheritParams read_results
#' @return A data frame with one row per failed task (status `error` or
#'   `timeout`), ordered by task id: `task`, `point`, `replicate`, the grid
#'   parameters, `status`, `message` (the error message) and `calls` (for R
#'   tasks the call stack at the error, one call per line, innermost last;
#'   for native kernels `"kernel <name>"`).  No rows when no task failed.
#'   A job that keeps per-point summaries stores the first failed task of
#'   each block (at most 100 per point), with status `NA`.
#' @seealso [reproduce_task()] to rerun a failed task in this R session.
#' @export
#' @examples
#' f <- system.file("extdata", "power-demo.h5", package = "rsim")
#' err <- read_errors(f)
#' nrow(err)
#' err[1, c("task", "sd", "message")]
read_errors <- function(path) {
  file <- result_path(path)
  f <- open_result(file, partial = TRUE)
  on.exit(close_h5(f))
  read_records(f, "errors", with_calls = TRUE)
}

#' Read the warnings that R tasks raised
#'
#' rsim records how many warnings each R task raised (`warnings` column of
#' [read_results()]) and the first five messages of each task.
#'
#' @inheritParams read_results
#' @return A data frame with one row per task that raised warnings:
#'   `task`, `point`, `replicate`, the grid parameters, `warnings` (the
#'   count) and `messages` (up to five messages, one per line).
#' @export
#' @examples
#' f <- system.file("extdata", "r-demo.h5", package = "rsim")
#' head(read_warnings(f))
read_warnings <- function(path) {
  file <- result_path(path)
  f <- open_result(file, partial = TRUE)
  on.exit(close_h5(f))
  read_records(f, "warnings", with_calls = FALSE)
}

read_records <- function(f, group, with_calls) {
  reps <- as.numeric(h5_attr(f, "replicates"))
  # hdf5r cannot read an empty string dataset: look at the length first
  has <- f$exists(paste0(group, "/task")) && h5_length(f, paste0(group, "/task")) > 0
  task <- if (has) h5_read(f, paste0(group, "/task")) else integer()
  message <- if (has) h5_read(f, paste0(group, "/message")) else character()
  if (is.double(task) && all(task <= .Machine$integer.max)) task <- as.integer(task)
  point <- task %/% reps
  replicate <- task - point * reps
  if (is.integer(task)) {
    point <- as.integer(point)
    replicate <- as.integer(replicate)
  }
  grid <- read_grid_points(f)
  st <- if (!length(task)) {
    factor(character(), levels = status_levels)
  } else if (f$exists("tasks")) {
    read_status(f)[task + 1L]
  } else { # per-point summaries keep no status per task: a failed task's, error or timeout
    factor(rep(NA_character_, length(task)), levels = status_levels)
  }
  out <- c(list(task = task, point = point, replicate = replicate), lapply(grid, function(x) x[point + 1L]))
  if (with_calls) {
    out$status <- st
    out$message <- message
    out$calls <- if (has) h5_read(f, paste0(group, "/calls")) else character()
  } else {
    out$warnings <- if (length(task)) h5_read(f, "tasks/warnings")[task + 1L] else integer()
    out$messages <- message
  }
  structure(out, row.names = .set_row_names(length(task)), class = "data.frame")
}
