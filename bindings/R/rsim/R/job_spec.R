# What a job is, from its result file or its grid.toml: seed, counts, the
# task, [args], and the grid parameters of any point.

read_grid_toml <- function(path, call = parent.frame()) {
  if (!file.exists(path) || dir.exists(path)) cli::cli_abort("The grid file {.file {path}} does not exist.", call = call)
  text <- readLines(path, warn = FALSE, encoding = "UTF-8")
  spec <- tryCatch(parse_toml(text, path), error = function(e) {
    cli::cli_abort(c("Cannot read {.file {path}}.", x = "{conditionMessage(e)}"), call = call)
  })
  list(toml = spec, text = paste(text, collapse = "\n"), path = normalizePath(path), dir = dirname(normalizePath(path)))
}

# The result file a grid.toml writes ([job] output, relative to its folder).
grid_output <- function(g) {
  job <- g$toml$job
  out <- job$output
  if (is.null(out)) out <- paste0(job$name, ".h5")
  if (!is_absolute(out)) out <- file.path(g$dir, out)
  normalize_path_soft(out)
}

is_absolute <- function(p) grepl("^(/|~|[A-Za-z]:[/\\\\])", p)

normalize_path_soft <- function(p) {
  d <- dirname(p)
  if (dir.exists(d)) file.path(normalizePath(d), basename(p)) else p
}

toml_seed <- function(x, where, call = parent.frame()) {
  if (is.character(x) && grepl("^[0-9]+$", x)) return(as.numeric(x))
  if (is.numeric(x) && length(x) == 1L && !is.na(x) && x >= 0) return(as.numeric(x))
  cli::cli_abort("{where} has no valid {.field [job] seed}.", call = call)
}

job_spec <- function(x, call = parent.frame()) {
  if (inherits(x, "rsim_job")) x <- x$grid
  if (!is.character(x) || length(x) != 1L || is.na(x)) {
    cli::cli_abort("{.arg path_or_grid} must be the path of a result file or a grid.toml.", call = call)
  }
  is_toml <- grepl("\\.toml$", x, ignore.case = TRUE) ||
    (file.exists(x) && !dir.exists(x) && !isTRUE(tryCatch(hdf5r::is.h5file(x), error = function(e) FALSE)))
  if (is_toml) spec_from_grid(x, call = call) else spec_from_file(x, call = call)
}

spec_from_grid <- function(path, call) {
  g <- read_grid_toml(path, call = call)
  t <- g$toml
  if (is.null(t$job) || is.null(t$task)) {
    cli::cli_abort("{.file {path}} is not an rsim grid.toml: it needs [job] and [task].", call = call)
  }
  reps <- if (is.null(t$job$replicates)) 1 else as.numeric(t$job$replicates)
  if (!is.null(t$grid) && length(t$grid)) {
    grid <- lapply(t$grid, strip_toml)
    params <- names(grid)
    lens <- vapply(grid, length, numeric(1))
    n_points <- prod(lens)
    point_values <- function(point) {
      out <- vector("list", length(params))
      names(out) <- params
      rest <- point
      for (j in rev(seq_along(params))) {
        out[[j]] <- grid[[j]][[rest %% lens[j] + 1]]
        rest <- rest %/% lens[j]
      }
      out
    }
  } else if (!is.null(t$points)) {
    pts <- lapply(t$points, strip_toml)
    params <- names(pts[[1]])
    n_points <- length(pts)
    point_values <- function(point) pts[[point + 1]][params]
  } else {
    params <- character()
    n_points <- 1
    point_values <- function(point) list()
  }
  list(
    seed = toml_seed(t$job$seed, path, call = call), replicates = reps, n_points = n_points,
    n_tasks = n_points * reps, params = params, point_values = point_values,
    backend = t$task$backend, task = strip_toml(t$task), args = strip_toml(if (is.null(t$args)) list() else t$args),
    grid_text = g$text, grid_path = g$path, grid_dirs = g$dir, file = NULL, format_version = NULL,
    output = grid_output(g)
  )
}

strip_toml <- function(x) {
  attr(x, "toml_defined") <- NULL
  attr(x, "toml_array") <- NULL
  x
}

spec_from_file <- function(path, call) {
  f <- open_result(path, call = call)
  on.exit(close_h5(f))
  need <- c("grid_toml", "grid_path", "seed", "replicates", "n_points", "n_tasks", "backend", "task", "format_version")
  a <- stats::setNames(lapply(need, function(x) h5_attr(f, x)), need)  # ~3 ms per attribute with hdf5r
  g <- tryCatch(parse_toml(a$grid_toml, "grid_toml attribute"), error = function(e) list())
  grid <- read_grid_points(f)
  params <- names(grid)
  # where the grid.toml was: its recorded path (relative to where rsim
  # ran), the folder of the result file, or above it by [job] output
  dirs <- character()
  gp <- a$grid_path
  if (!is.null(gp) && nzchar(gp)) {
    if (is_absolute(gp) || file.exists(gp)) dirs <- c(dirs, dirname(gp))
  }
  file_dir <- dirname(normalizePath(path))
  dirs <- c(dirs, file_dir)
  out <- g$job$output
  if (!is.null(out) && !is_absolute(out) && grepl("/", out)) {
    up <- file_dir
    for (i in seq_len(lengths(regmatches(out, gregexpr("/", out))))) up <- dirname(up)
    dirs <- c(dirs, up)
  }
  list(
    seed = as.numeric(if (!is.null(g$job$seed)) toml_seed(g$job$seed, path, call = call) else a$seed),
    replicates = as.numeric(a$replicates), n_points = as.numeric(a$n_points),
    n_tasks = as.numeric(a$n_tasks), params = params,
    point_values = function(point) lapply(grid, function(x) x[[point + 1]]),
    backend = a$backend, task = strip_toml(g$task), args = strip_toml(if (is.null(g$args)) list() else g$args),
    grid_text = a$grid_toml, grid_path = gp, grid_dirs = unique(dirs), file = normalizePath(path),
    format_version = a$format_version, task_detail = a$task, output = normalizePath(path)
  )
}
