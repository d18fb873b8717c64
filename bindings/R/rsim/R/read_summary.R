#' Read the per-point summaries of an rsim job
#'
#' A job whose grid.toml says `[output] keep = "summary"` stores no row per
#' task: each grid point gets the count, mean, variance, Monte Carlo
#' standard error, minimum and maximum of every numeric result field
#' (integer, double or logical; a logical's mean is a proportion), computed
#' by the ranks as tasks finish and merged in a fixed order, so the numbers
#' are the same at any rank count (`docs/summaries.md`).  With precision
#' targets (`target_mcse`) the number of replicates differs by point;
#' `reached` says whether a point met every target or ran out of
#' replicates.
#'
#' While the job runs (no result file yet, a checkpoint folder), the
#' summaries of the blocks committed so far are read from a snapshot the
#' rsim program takes, with a message of class `rsim_partial`.
#'
#' @param path the result file, the grid.toml, or an `rsim_job` from
#'   [rsim_run()].
#' @param fields `NULL` for every summarised field, or the names of the
#'   fields to return.
#' @return A data frame with one row per grid point: `point`, the grid
#'   parameters, `replicates` (tasks folded in), `failed`, `warnings`,
#'   `elapsed` (seconds, summed), `reached` (logical; `NA` without
#'   targets), then for each field `<field>_n` (values that were not
#'   missing), `<field>_na`, `<field>_mean`, `<field>_var` (sample
#'   variance), `<field>_mcse` (`sqrt(var / n)`), `<field>_min` and
#'   `<field>_max`.  Statistics of fewer values than they need are `NA`.
#' @seealso [read_results()] for jobs that keep every task, [read_errors()]
#'   for the first failed task of each block.
#' @export
#' @examples
#' \dontrun{
#' s <- read_summary("power.h5")
#' s[, c("n", "delta", "reject_mean", "reject_mcse")]
#' }
read_summary <- function(path, fields = NULL) {
  file <- result_path(path)
  f <- open_result(file, partial = TRUE)
  on.exit(close_h5(f))
  if (!f$exists("summary")) {
    cli::cli_abort(c("{.file {file}} keeps a row per task, not per-point summaries.",
      i = "Read it with {.fn read_results}; {.code [output] keep = \"summary\"} in grid.toml makes a job keep summaries."
    ))
  }
  members <- group_members(f, "summary/fields")
  fields <- select_summary_fields(fields, members$names, file)
  grid <- read_grid_points(f)
  out <- c(list(point = seq_len(nrow(grid)) - 1L), as.list(grid))
  for (col in c("replicates", "failed", "warnings")) out[[col]] <- as.numeric(h5_read(f, paste0("summary/", col)))
  out$elapsed <- h5_read(f, "summary/elapsed")
  out$reached <- as.logical(h5_read(f, "summary/reached"))
  stats <- c("n", "na", "mean", "var", "mcse", "min", "max")
  for (i in match(fields, members$names)) {
    for (s in stats) {
      x <- h5_read(f, paste0("summary/fields/", members$links[[i]], "/", s))
      out[[paste0(members$names[[i]], "_", s)]] <- if (s %in% c("n", "na")) as.numeric(x) else x
    }
  }
  structure(out, row.names = .set_row_names(nrow(grid)), class = "data.frame")
}

select_summary_fields <- function(fields, available, file, call = parent.frame()) {
  if (is.null(fields)) return(available)
  if (!is.character(fields) || anyNA(fields)) {
    cli::cli_abort("{.arg fields} must be a character vector of field names, or NULL for all.", call = call)
  }
  unknown <- setdiff(fields, available)
  if (length(unknown)) {
    cli::cli_abort(c("{.file {file}} has no summarised {cli::qty(length(unknown))}field{?s} {.val {unknown}}.",
      i = "Its fields are {.val {available}}; only numeric fields (integer, double, logical) are summarised."
    ), call = call)
  }
  unique(fields)
}

# TRUE if `path` is a finished result file of per-point summaries.
keeps_summary <- function(path) {
  if (!file.exists(path)) return(FALSE)
  f <- tryCatch(hdf5r::H5File$new(path, mode = "r"), error = function(e) NULL)
  if (is.null(f)) return(FALSE)
  on.exit(close_h5(f))
  f$exists("summary")
}
