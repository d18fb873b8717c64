# What a job is, from its grid.toml or its result file: seed, counts, the
# task, [args], and the grid parameters of any task.  The rsim binary reads
# grid.toml (`rsim inspect`); a result file holds the same view in its
# `job_json` attribute, read here without the binary.  For a result file
# written before rsim stored that attribute, the binary inspects the
# grid.toml text the file recorded.

is_absolute <- function(p) grepl("^(/|~|[A-Za-z]:[/\\\\])", p)

normalize_path_soft <- function(p) {
  d <- dirname(p)
  if (dir.exists(d)) file.path(normalizePath(d), basename(p)) else p
}

job_spec <- function(x, call = parent.frame()) {
  if (inherits(x, "rsim_job")) x <- x$grid
  if (!is.character(x) || length(x) != 1L || is.na(x)) {
    cli::cli_abort("{.arg path_or_grid} must be the path of a result file or a grid.toml.", call = call)
  }
  if (is_grid_file(x)) spec_from_grid(x, call = call) else spec_from_file(x, call = call)
}

is_grid_file <- function(x) {
  grepl("\\.toml$", x, ignore.case = TRUE) ||
    (file.exists(x) && !dir.exists(x) && !isTRUE(tryCatch(hdf5r::is.h5file(x), error = function(e) FALSE)))
}

# The parts of `rsim inspect`'s job view this package uses.
spec_from_json <- function(j) {
  task <- Filter(Negate(is.null), j$task)
  task$packages <- as.character(unlist(j$task$packages))
  types <- json_param_types(j)
  list(
    json = j, name = j$job$name, seed = as.numeric(j$job$seed_text), seed_text = j$job$seed_text,
    replicates = as.numeric(j$job$replicates), n_points = as.numeric(j$n_points),
    n_tasks = as.numeric(j$n_tasks), params = names(types), param_types = types,
    backend = j$task$backend, task = task, args = json_named_values(j$args), output = j$files$output
  )
}

spec_from_grid <- function(path, call) {
  if (!file.exists(path) || dir.exists(path)) cli::cli_abort("The grid file {.file {path}} does not exist.", call = call)
  path <- normalizePath(path)
  spec <- spec_from_json(inspect_job(path, call = call))
  c(spec, list(source = "grid", grid_path = path, grid_dirs = dirname(path), file = NULL, format_version = NULL))
}

spec_from_file <- function(path, call) {
  f <- open_result(path, call = call)
  on.exit(close_h5(f))
  need <- c("job_json", "grid_toml", "grid_path", "task", "format_version", "identity")
  a <- stats::setNames(lapply(need, function(x) h5_attr(f, x)), need) # ~3 ms per attribute with hdf5r
  grid <- read_grid_points(f)
  file <- normalizePath(path)
  if (!is.null(a$job_json)) {
    j <- parse_json(a$job_json, "the result file's job_json attribute")
    dirs <- recorded_grid_dirs(c(j$source$path, a$grid_path), file, grid_dir_by_output(j, file))
  } else {
    dirs <- recorded_grid_dirs(a$grid_path, file)
    check_binary_format(rsim_binary(), a$format_version, call = call)
    j <- with_recorded_grid(a$grid_toml, dirs, function(p) inspect_job(p, cache = FALSE, call = call), call = call)
    dirs <- unique(c(attr(j, "dir"), dirs))
  }
  spec <- spec_from_json(j)
  spec$output <- file
  c(spec, list(
    source = "file", file = file, has_job_json = !is.null(a$job_json), grid_text = a$grid_toml,
    grid_path = a$grid_path, grid_dirs = dirs, format_version = a$format_version, task_detail = a$task,
    identity = parse_identity(a$identity),
    point_values = function(point) lapply(grid, function(x) x[[point + 1]])
  ))
}

# Where the grid.toml of a result file may be: the folders of its recorded
# paths (relative ones count when they exist from here), the folder of the
# result file, and `extra`.
recorded_grid_dirs <- function(paths, file, extra = character()) {
  paths <- as.character(unlist(paths))
  paths <- paths[nzchar(paths)]
  known <- paths[is_absolute(paths) | file.exists(paths)]
  dirs <- dirname(normalizePath(known, mustWork = FALSE))
  dirs <- c(dirs[dir.exists(dirs)], dirname(file), extra)
  unique(dirs[dir.exists(dirs)])
}

# The folder above a result file by its [job] output path relative to the
# grid.toml that ran (output "out/res.h5": one folder up).
grid_dir_by_output <- function(j, file) {
  src <- j$source$path
  out <- j$job$output
  if (is.null(src) || is.null(out) || !is_absolute(src)) return(character())
  base <- paste0(dirname(src), "/")
  if (!startsWith(out, base)) return(character())
  rel <- substring(out, nchar(base) + 1L)
  up <- dirname(file)
  for (i in seq_len(lengths(regmatches(rel, gregexpr("/", rel, fixed = TRUE))))) up <- dirname(up)
  up
}

# Calls `fun` on the recorded grid.toml text written to a temporary file in
# the first of `dirs` (then a temporary folder) where rsim accepts it:
# relative paths in it ([task] script, [data]) resolve there.  The value
# carries the folder as attribute "dir".  The temporary file is removed.
with_recorded_grid <- function(text, dirs, fun, call = parent.frame()) {
  if (is.null(text) || !nzchar(text)) {
    cli::cli_abort("The result file records no grid.toml text ({.field grid_toml} attribute).", call = call)
  }
  refusal <- NULL
  for (d in c(dirs, tempdir())) {
    if (file.access(d, 2L) != 0L) next
    tmp <- tempfile(".rsim-recorded-", tmpdir = d, fileext = ".toml")
    writeBin(charToRaw(enc2utf8(text)), tmp)
    out <- tryCatch(fun(tmp), rsim_binary_error = function(e) e, finally = unlink(tmp))
    if (!inherits(out, "rsim_binary_error")) return(structure(out, dir = if (d %in% dirs) d))
    if (!identical(out$status, 1L)) stop(out) # a failure, not a refusal of the grid here
    if (is.null(refusal)) refusal <- out
  }
  cli::cli_abort(c(
    "rsim refused the grid.toml this result file records, in each folder tried ({.file {dirs}}).",
    i = "Put the job's grid.toml and its files (R script, [data]) next to the result file, or give the grid.toml instead."
  ), parent = refusal, call = call)
}

# The task part of the job: task, point, replicate, the point's grid
# parameters and the task's R seed (NULL above R's seed range).  From
# `rsim inspect --task`; for a result file, the parameters as its /grid
# datasets store them.
task_view <- function(job, task, call = parent.frame()) {
  ask <- function(p) inspect_task(p, task, job$param_types, call = call)
  if (identical(job$source, "grid")) return(ask(job$grid_path))
  check_binary_format(rsim_binary(), job$format_version, call = call)
  view <- if (isTRUE(job$has_job_json)) tryCatch(ask(job$file), rsim_binary_error = function(e) NULL)
  if (is.null(view)) view <- with_recorded_grid(job$grid_text, job$grid_dirs, ask, call = call)
  attr(view, "dir") <- NULL
  view$params <- job$point_values(view$point)
  view
}

# The recorded grid.toml of a result file when it still exists unchanged,
# else NULL.
recorded_grid_unchanged <- function(job) {
  paths <- as.character(c(job$json$source$path, job$grid_path))
  paths <- paths[nzchar(paths) & file.exists(paths) & !dir.exists(paths)]
  for (p in paths) {
    if (identical(paste(readLines(p, warn = FALSE), collapse = "\n"), sub("\n$", "", job$grid_text))) {
      return(normalizePath(p))
    }
  }
  NULL
}
