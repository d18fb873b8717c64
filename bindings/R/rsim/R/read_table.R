#' Read a table of data-frame rows that R tasks returned
#'
#' An R task may return data frames (a bare data frame, or a data frame as
#' an element of its returned list); their rows land in
#' `/tables/<name>` of the result file with the id of the task that
#' returned them.  `read_table()` returns those rows with the task's point,
#' replicate and grid parameters joined.
#'
#' @inheritParams read_results
#' @param name the table: the name of the list element the data frames were
#'   returned under, or `"rows"` for a bare data frame.
#' @return A data frame: `task`, `point`, `replicate`, the grid parameters,
#'   then the table's columns (in the data frame's order),
#'   rows ordered by task.
#' @export
#' @examples
#' f <- system.file("extdata", "r-demo.h5", package = "rsim")
#' head(read_table(f, "draws"))
read_table <- function(path, name) {
  file <- result_path(path)
  f <- open_result(file, partial = TRUE)
  on.exit(close_h5(f))
  all_tables <- group_members(f, "tables")
  table_links <- all_tables$links
  tables <- all_tables$names
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    cli::cli_abort("{.arg name} must be a single table name; {.file {file}} has {cli::qty(length(tables))}{?no tables/table/tables} {.val {tables}}.")
  }
  if (!name %in% tables) {
    cli::cli_abort(c("{.file {file}} has no table {.val {name}}.",
      i = if (length(tables)) "Its tables: {.val {tables}}." else "It has no tables: its tasks returned no data frames."
    ))
  }
  at <- paste0("tables/", table_links[match(name, tables)])
  task <- h5_read(f, paste0(at, "/task"))
  members <- group_members(f, at)
  cols <- members$links[members$links != "task"]
  col_names <- members$names[members$links != "task"]
  reps <- as.numeric(h5_attr(f, "replicates"))
  point <- task %/% reps
  grid <- read_grid_points(f)
  if (is.double(task) && all(task <= .Machine$integer.max)) {
    task <- as.integer(task)
    point <- as.integer(point)
  }
  out <- c(
    list(task = task, point = point, replicate = task - point * reps),
    lapply(grid, function(x) x[point + 1L]),
    stats::setNames(lapply(cols, function(cn) h5_read(f, paste0(at, "/", cn))), col_names)
  )
  if (is.integer(task)) out$replicate <- as.integer(out$replicate)
  structure(out, row.names = .set_row_names(length(task)), class = "data.frame")
}
