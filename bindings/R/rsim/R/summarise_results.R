#' Mean and Monte Carlo standard error of every numeric result per grid point
#'
#' For each group of tasks (by default each grid point) and each numeric
#' or logical result field: the mean over the tasks that finished ok, its
#' Monte Carlo standard error `sd / sqrt(n)`, and `n`, the number of
#' non-missing values.  A vector field is summarised element by element
#' (`field.1`, `field.2`, ...).
#'
#' @inheritParams read_results
#' @param by grid parameters to group by; the default, every grid
#'   parameter, gives one row per grid point.  `character()` pools all tasks.
#' @param fields result fields to summarise; default every numeric or
#'   logical field.
#' @return A data frame with the `by` columns (in grid order of first
#'   appearance) and, per field, columns `<field>_mean`, `<field>_se` and
#'   `<field>_n`.
#' @seealso [performance()] for bias, coverage and the other performance
#'   measures of Morris et al. (2019), with their Monte Carlo SEs.
#' @export
#' @examples
#' f <- system.file("extdata", "power-demo.h5", package = "rsim")
#' summarise_results(f)
#' summarise_results(f, by = "n", fields = "reject")
summarise_results <- function(path, by = NULL, fields = NULL) {
  file <- readable_now(result_path(path)) # one snapshot of a running job for all three reads
  f <- open_result(file)
  params <- grid_param_names(f)
  members <- group_members(f, "results")
  types <- stats::setNames(vapply(members$links, function(x) h5_r_type(f, paste0("results/", x)), ""),
                           members$names)
  close_h5(f)
  if (is.null(by)) by <- params
  if (!is.character(by) || anyNA(by)) cli::cli_abort("{.arg by} must be a character vector of grid parameters.")
  bad <- setdiff(by, params)
  if (length(bad)) {
    cli::cli_abort(c("{.arg by}: {.val {bad}} {?is not a/are not} grid parameter{?s} of {.file {file}}.",
      i = if (length(params)) "Its grid parameters are {.val {params}}." else "The job has no grid parameters."
    ))
  }
  numeric_fields <- names(types)[types %in% c("integer", "double", "logical")]
  if (is.null(fields)) {
    fields <- numeric_fields
  } else {
    bad <- setdiff(fields, names(types))
    if (length(bad)) {
      cli::cli_abort(c("{.file {file}} has no {cli::qty(length(bad))}result field{?s} {.val {bad}}.", i = "Its fields are {.val {names(types)}}."))
    }
    bad <- setdiff(fields, numeric_fields)
    if (length(bad)) cli::cli_abort("{.arg fields}: {.val {bad}} {?is/are} not numeric or logical.")
  }
  res <- read_results(file, status = "ok", columns = c("point", fields))
  f <- open_result(file)
  grid <- read_grid_points(f)
  close_h5(f)

  # group of each point, then of each task
  if (length(by)) {
    key <- do.call(paste, c(unname(as.list(grid[by])), sep = "\r"))
    ukey <- unique(key)
    gpoint <- match(key, ukey)
    first <- match(ukey, key)
    out <- grid[first, by, drop = FALSE]
  } else {
    gpoint <- rep(1L, max(1L, nrow(grid)))
    out <- data.frame(row.names = 1L)
  }
  ng <- nrow(out)
  g <- gpoint[res$point + 1L]
  for (fld in fields) {
    x <- res[[fld]]
    if (is.matrix(x)) {
      cols <- lapply(seq_len(ncol(x)), function(j) x[, j])
      names(cols) <- paste0(fld, ".", seq_len(ncol(x)))
    } else {
      cols <- stats::setNames(list(x), fld)
    }
    for (nm in names(cols)) {
      s <- group_mean_se(as.numeric(cols[[nm]]), g, ng)
      out[[paste0(nm, "_mean")]] <- s$mean
      out[[paste0(nm, "_se")]] <- s$se
      out[[paste0(nm, "_n")]] <- s$n
    }
  }
  rownames(out) <- NULL
  out
}

# Vectorised per-group mean, sd / sqrt(n) and count of the non-NA values.
group_mean_se <- function(x, g, ng) {
  ok <- !is.na(x)
  x <- x[ok]
  g <- factor(g[ok], levels = seq_len(ng))
  n <- tabulate(g, nbins = ng)
  s <- as.numeric(rowsum(x, g, reorder = TRUE))
  # rowsum drops empty groups: put the sums back by group
  sums <- numeric(ng)
  sums[as.integer(levels(droplevels(g)))] <- s
  mean <- ifelse(n > 0, sums / n, NA_real_)
  dev <- x - mean[as.integer(g)]
  ss <- numeric(ng)
  ss[as.integer(levels(droplevels(g)))] <- as.numeric(rowsum(dev^2, g, reorder = TRUE))
  sd <- ifelse(n > 1, sqrt(ss / (n - 1)), NA_real_)
  list(mean = mean, se = sd / sqrt(n), n = n)
}
