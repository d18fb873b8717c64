#' Read the results of an rsim job as a data frame
#'
#' One row per task: its id, grid point and replicate, the grid parameters
#' of its point (typed as in grid.toml, in grid.toml order), every result
#' field, its status, the seconds it took and the number of warnings it
#' raised.  A fixed-length vector field becomes a matrix column with one
#' row per task.  Whole datasets are read at once and joined to the grid by
#' `point = task %/% replicates`, so a file of a million tasks loads in
#' about a second.
#'
#' A result file with tasks that never ran (`complete = 0`) is read with a
#' warning that says how many are missing; their fields are `NA`.  If the
#' job has not finished yet (no result file, only the checkpoint folder of a
#' running or interrupted job), `read_results()` reads what it has committed
#' so far from a snapshot taken by the rsim program (`rsim snapshot`; tasks
#' not committed yet have status `not_run`) and says so with a message of
#' class `rsim_partial` ("partial results, 469 of 800 tasks committed so
#' far").  Without the rsim program, or before the first commit, it stops
#' with the job's progress instead.
#'
#' @param path the result file (the `[job] output` of grid.toml), or the
#'   grid.toml itself (the rsim program names its result file), or an
#'   `rsim_job` from [rsim_run()].
#' @param status `"all"` (default) for every task, `"ok"` to drop tasks that
#'   failed or did not run.
#' @param columns `NULL` for all columns, or the names of the columns to
#'   return (result fields, grid parameters, `point`, `replicate`,
#'   `status`, `elapsed`, `warnings`, `rank`, `attempts`, `max_rss`: bytes
#'   the task added to its rank's resident memory at its peak).  `task`
#'   always comes first.  Only the datasets needed are read.
#' @return A data frame with columns `task`, `point`, `replicate` (integer;
#'   double beyond 2^31 tasks), the grid parameters, the result fields,
#'   `status` (a factor with levels `ok`, `error`, `timeout`, `not_run`),
#'   `elapsed` (seconds) and `warnings` (count).  A result field named like
#'   one of the other columns gets the suffix `_result`.  String fields of
#'   tasks that did not finish ok are `NA`.  A field of R objects (a model
#'   fit, a list, `NULL`, ...: anything a task returned that is not a
#'   scalar, a numeric vector or a data frame) is a list column of the
#'   objects, unserialized, with `NULL` for tasks that did not return one;
#'   it prints as `<class>`.  Name only the columns you need in `columns`
#'   to skip reading such fields.
#' @seealso [read_errors()] for the messages of failed tasks,
#'   [summarise_results()] for means per grid point, [job_info()] for the
#'   provenance.
#' @export
#' @examples
#' f <- system.file("extdata", "power-demo.h5", package = "rsim")
#' res <- read_results(f)
#' head(res)
#' # only the tasks that ran cleanly, two result fields
#' ok <- read_results(f, status = "ok", columns = c("n", "delta", "reject"))
#' aggregate(reject ~ n + delta, data = ok, FUN = mean)
read_results <- function(path, status = c("all", "ok"), columns = NULL) {
  status <- match.arg(status)
  file <- result_path(path)
  f <- open_result(file, partial = TRUE)
  need_tasks(f, file)
  on.exit(close_h5(f))
  warn_incomplete(f, file)

  reps <- as.numeric(h5_attr(f, "replicates"))
  n_tasks <- n_tasks_of(f)
  params <- grid_param_names(f)
  members <- group_members(f, "results")
  fields <- members$links # to read them
  cols <- result_columns(params, members$names)
  want <- select_columns(columns, cols$available, cols$default, file)

  use_int <- n_tasks <= .Machine$integer.max
  task <- if (use_int) seq_len(n_tasks) - 1L else seq(0, n_tasks - 1)
  point <- if (use_int) task %/% as.integer(reps) else task %/% reps
  st <- if ("status" %in% want || status == "ok") read_status(f) else NULL
  keep <- if (status == "ok") which(st == "ok") else NULL
  sel <- function(x) {
    if (is.null(keep)) return(x)
    if (is.matrix(x)) x[keep, , drop = FALSE] else x[keep]
  }

  grid <- NULL
  if (any(params %in% want)) grid <- read_grid_points(f)
  pt <- sel(point)
  not_ok <- NULL  # files before format attribute na_string: tasks whose string fields are "" and become NA
  out <- vector("list", length(want))
  names(out) <- want
  for (col in want) {
    out[[col]] <- if (col %in% params) {
      grid[[col]][pt + 1L]
    } else if (col %in% cols$fields) {
      x <- sel(h5_read(f, paste0("results/", fields[match(col, cols$fields)])))
      if (is.character(x)) {
        if (is.null(not_ok)) not_ok <- sel(if (is.null(st)) read_status(f) else st) != "ok"
        x[which(x == "" & not_ok)] <- NA_character_
      }
      x
    } else {
      switch(col,
        task = sel(task),
        point = pt,
        replicate = sel(if (use_int) task %% as.integer(reps) else task %% reps),
        status = sel(st),
        elapsed = sel(read_elapsed(f)),
        warnings = sel(read_optional(f, "tasks/warnings", n_tasks)),
        rank = sel(h5_read(f, "tasks/rank")),
        attempts = sel(h5_read(f, "tasks/attempts")),
        max_rss = sel(read_optional(f, "tasks/max_rss", n_tasks))
      )
    }
  }
  structure(out, row.names = .set_row_names(length(out$task)), class = "data.frame")
}

bookkeeping_columns <- c("task", "point", "replicate", "status", "elapsed", "warnings", "rank", "attempts",
                         "max_rss")

# The columns read_results() can return; a result field named like a
# bookkeeping column or grid parameter gets the suffix "_result".
result_columns <- function(params, fields) {
  field_cols <- ifelse(fields %in% c(bookkeeping_columns, params), paste0(fields, "_result"), fields)
  extra <- c("rank", "attempts", "max_rss")
  available <- c("task", "point", "replicate", params, field_cols, "status", "elapsed", "warnings", extra)
  list(fields = field_cols, available = available, default = setdiff(available, extra))
}

select_columns <- function(columns, available, default, file, call = parent.frame()) {
  if (is.null(columns)) return(default)
  if (!is.character(columns) || anyNA(columns)) {
    cli::cli_abort("{.arg columns} must be a character vector of column names, or NULL for all.", call = call)
  }
  unknown <- setdiff(columns, available)
  if (length(unknown)) {
    cli::cli_abort(c("{.file {file}} has no {cli::qty(length(unknown))}column{?s} {.val {unknown}}.",
      i = "Its columns are {.val {available}}."
    ), call = call)
  }
  unique(c("task", columns))
}

# /tasks/elapsed is float32: its NaN (a task not run) R widens to NaN,
# which read_results() gives as NA like every other missing value.
read_elapsed <- function(f) {
  x <- h5_read(f, "tasks/elapsed")
  x[is.nan(x)] <- NA_real_
  x
}

read_optional <- function(f, name, n) {
  if (f$exists(name)) h5_read(f, name) else rep(0L, n)
}
