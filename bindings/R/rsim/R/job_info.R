#' Where a result file came from: the job's provenance
#'
#' @inheritParams read_results
#' @return A list of class `rsim_info`: `job_name`, `grid_toml` (the full
#'   text of the grid.toml that ran), `grid_hash`, `grid_path`, `seed`,
#'   `replicates`, `n_points`, `n_tasks`, `n_ok`, `n_failed`, `n_not_run`,
#'   `complete`, `backend`, `task`, `rsim_version`, `format_version`,
#'   `r_version` and `r_packages` (R tasks), `n_ranks`, `created` and
#'   `finished` (UTC, as `POSIXct`) of the run that wrote the file, `elapsed`
#'   (seconds between them), `runs` (every run that made the file, one row
#'   each: `started`, `ended`, `state` ("finished", "interrupted",
#'   "killed"), `ranks`, `hosts`, `tasks` it ran and `options`; a resumed
#'   or `rerun_failed` job has several), `identity` (what the results
#'   depend on: a data frame of `part`, `value` and whether a change is
#'   refused; docs/crash-safety.md in the rsim sources lists the parts), plus
#'   `grid` (the grid points, a data frame), `fields` (a data frame of the
#'   result fields with their R type and width; of a job that keeps
#'   per-point summaries, the summarised fields, as `double`) and `tables`
#'   (names).  Its
#'   print method shows a readable summary; `x$grid_toml` is the text.
#' @export
#' @examples
#' f <- system.file("extdata", "power-demo.h5", package = "rsim")
#' info <- job_info(f)
#' info
#' cat(info$grid_toml)
job_info <- function(path) {
  file <- result_path(path)
  f <- open_result(file)
  on.exit(close_h5(f))
  a <- h5_attrs(f)
  a$grid_params <- NULL
  time <- function(x) if (is.null(x)) NULL else as.POSIXct(x, format = "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
  a$created <- time(a$created)
  a$finished <- time(a$finished)
  a$elapsed <- if (!is.null(a$created) && !is.null(a$finished)) {
    as.numeric(difftime(a$finished, a$created, units = "secs"))
  }
  a$complete <- isTRUE(a$complete == 1)
  a$runs <- parse_runs(a$runs, time)
  a$identity <- parse_identity(a$identity)
  a$path <- normalizePath(file)
  a$grid <- read_grid_points(f)
  if (f$exists("summary")) { # per-point summaries: the summarised fields, as their means are
    members <- group_members(f, "summary/fields")
    a$fields <- data.frame(field = members$names, type = rep("double", length(members$names)),
                           width = rep(1L, length(members$names)), stringsAsFactors = FALSE)
  } else {
    members <- group_members(f, "results")
    paths <- if (length(members$links)) paste0("results/", members$links) else character() # a job without fields
    a$fields <- data.frame(
      field = members$names,
      type = vapply(paths, function(p) h5_r_type(f, p), ""),
      width = vapply(paths, function(p) h5_width(f, p), integer(1)),
      row.names = NULL, stringsAsFactors = FALSE
    )
  }
  a$tables <- group_members(f, "tables")$names
  order <- c(
    "job_name", "path", "grid_toml", "grid_hash", "grid_path", "seed", "replicates", "n_points",
    "n_tasks", "n_ok", "n_failed", "n_not_run", "complete", "backend", "task", "rsim_version",
    "format_version", "r_version", "r_packages", "n_ranks", "created", "finished", "elapsed",
    "runs", "identity", "grid_kind", "grid", "fields", "tables"
  )
  a <- a[c(intersect(order, names(a)), setdiff(names(a), order))]
  structure(a, class = "rsim_info")
}

# The `runs` attribute (JSON) as a data frame; NULL in files without it.
parse_runs <- function(json, time) {
  if (is.null(json) || !nzchar(json)) return(NULL)
  r <- jsonlite::fromJSON(json, simplifyVector = FALSE)
  if (!length(r)) return(NULL)
  field <- function(x, k, empty) if (is.null(x[[k]])) empty else x[[k]]
  data.frame(
    started = time(vapply(r, field, "", "started", NA_character_)),
    ended = time(vapply(r, field, "", "ended", NA_character_)),
    state = vapply(r, field, "", "state", NA_character_),
    ranks = vapply(r, function(x) as.integer(field(x, "ranks", NA_integer_)), 1L),
    hosts = vapply(r, function(x) paste(unlist(x$hosts), collapse = ","), ""),
    tasks = vapply(r, function(x) as.numeric(field(x, "tasks", NA_real_)), 1),
    options = vapply(r, field, "", "options", ""),
    stringsAsFactors = FALSE
  )
}

# The `identity` attribute (name TAB value TAB refuse|warn lines) as a data frame.
parse_identity <- function(text) {
  if (is.null(text) || !nzchar(text)) return(NULL)
  parts <- strsplit(strsplit(text, "\n", fixed = TRUE)[[1]], "\t", fixed = TRUE)
  parts <- parts[lengths(parts) == 3L]
  data.frame(
    part = vapply(parts, `[`, "", 1L),
    value = vapply(parts, `[`, "", 2L),
    refused_if_changed = vapply(parts, `[`, "", 3L) == "refuse",
    stringsAsFactors = FALSE
  )
}

#' @param x an `rsim_info` object.
#' @param ... ignored.
#' @rdname job_info
#' @export
print.rsim_info <- function(x, ...) {
  fmt <- function(n) format(as.numeric(n), big.mark = ",", scientific = FALSE)
  cat(sprintf("rsim job %s (%s)\n", x$job_name, x$path))
  cat(sprintf("  task:     %s (backend %s)\n", x$task, x$backend))
  cat(sprintf("  grid:     %s point%s x %s replicate%s = %s tasks; parameters: %s\n",
    fmt(x$n_points), if (x$n_points == 1) "" else "s", fmt(x$replicates),
    if (x$replicates == 1) "" else "s", fmt(x$n_tasks),
    if (length(x$grid)) paste(names(x$grid), collapse = ", ") else "none"))
  cat(sprintf("  status:   %s ok, %s failed, %s not run%s\n", fmt(x$n_ok), fmt(x$n_failed),
    fmt(x$n_not_run), if (isTRUE(x$complete)) "" else "  (INCOMPLETE)"))
  if (nrow(x$fields)) {
    desc <- ifelse(x$fields$width > 1, sprintf("%s[%d]", x$fields$type, x$fields$width), x$fields$type)
    cat(sprintf("  fields:   %s\n", paste(sprintf("%s (%s)", x$fields$field, desc), collapse = ", ")))
  }
  if (length(x$tables)) cat(sprintf("  tables:   %s\n", paste(x$tables, collapse = ", ")))
  cat(sprintf("  seed:     %s\n", format(x$seed, scientific = FALSE)))
  if (!is.null(x$created)) {
    cat(sprintf("  ran:      %s to %s UTC (%s s) on %s rank%s\n",
      format(x$created, "%Y-%m-%d %H:%M:%S"), format(x$finished, "%H:%M:%S"),
      format(x$elapsed), format(x$n_ranks), if (isTRUE(x$n_ranks == 1)) "" else "s"))
  }
  if (!is.null(x$runs) && nrow(x$runs) > 1) {
    cat(sprintf("  runs:     %d\n", nrow(x$runs)))
    for (i in seq_len(nrow(x$runs))) {
      r <- x$runs[i, ]
      cat(sprintf("    %s  %-11s %s task%s on %d rank%s (%s)%s\n", format(r$started, "%Y-%m-%d %H:%M:%S"),
        r$state, fmt(r$tasks), if (isTRUE(r$tasks == 1)) "" else "s", r$ranks,
        if (isTRUE(r$ranks == 1)) "" else "s", r$hosts, if (nzchar(r$options)) paste0(" ", r$options) else ""))
    }
  }
  cat(sprintf("  rsim:     %s (result format %s)\n", x$rsim_version, x$format_version))
  if (!is.null(x$r_version)) {
    cat(sprintf("  R:        %s%s\n", x$r_version,
      if (!is.null(x$r_packages) && nzchar(x$r_packages)) paste0("; packages ", x$r_packages) else ""))
  }
  cat(sprintf("  grid.toml: %s (%s)\n", x$grid_path, substr(x$grid_hash, 1, 19)))
  invisible(x)
}
