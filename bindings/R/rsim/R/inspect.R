# Asking the rsim binary about a job: `rsim inspect` (the job, or one task)
# and `rsim --task`, their JSON turned into R values.  The binary is the one
# reader of grid.toml; this package writes grid.toml but never parses it.

# Runs the binary; a refusal (an exit code not in `ok`) becomes an R error
# of class rsim_binary_error that shows rsim's own message and keeps it
# verbatim in `$stderr` (and the exit code in `$status`).
rsim_exec <- function(args, ok = 0L, binary = rsim_binary(), call = parent.frame()) {
  r <- keeping_rng(tryCatch(processx::run(binary, args, error_on_status = FALSE),
    error = function(e) list(status = -1L, stdout = "", stderr = conditionMessage(e))
  ))
  if (!r$status %in% ok) abort_binary(r, args, call)
  r
}

# Evaluates `expr` and puts the session's random number state back as it
# was (processx draws random numbers when it starts a process).
keeping_rng <- function(expr) {
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE)
  on.exit(if (had) assign(".Random.seed", old, envir = genv) else suppressWarnings(rm(".Random.seed", envir = genv)))
  expr
}

abort_binary <- function(r, args, call) {
  msg <- trimws(r$stderr, which = "right")
  lines <- strsplit(msg, "\n", fixed = TRUE)[[1]]
  if (!length(lines)) lines <- sprintf("(no message; exit code %d)", r$status)
  cmd <- paste(c("rsim", args), collapse = " ")
  cli::cli_abort(
    "{.code {cmd}} failed (exit code {r$status}):",
    body = stats::setNames(lines, rep(" ", length(lines))),
    class = "rsim_binary_error", stderr = msg, status = r$status, call = call
  )
}

parse_json <- function(text, what) {
  tryCatch(jsonlite::parse_json(text, simplifyVector = FALSE), error = function(e) {
    cli::cli_abort(c("Cannot read the JSON {what} printed.", x = "{conditionMessage(e)}"))
  })
}

# `rsim inspect` of a grid.toml or a result file: the job as a list, cached
# by path, size and modification time (and binary).
inspect_job <- function(path, cache = TRUE, call = parent.frame()) {
  path <- normalizePath(path, mustWork = FALSE)
  bin <- rsim_binary()
  info <- file.info(path)
  key <- paste(bin, path, info$size, format(as.numeric(info$mtime), digits = 17L), sep = "|")
  hit <- .rsim_cache$inspect[[key]]
  if (!is.null(hit)) return(hit)
  r <- rsim_exec(c("inspect", path), binary = bin, call = call)
  job <- parse_json(r$stdout, "rsim inspect")
  if (!cache) return(job)
  if (length(.rsim_cache$inspect) > 50L) .rsim_cache$inspect <- list()
  .rsim_cache$inspect[[key]] <- job
  job
}

# `rsim inspect --task T` of a grid.toml or result file: task, point,
# replicate, the point's parameters (typed as `types`, a named character
# vector of JSON types) and r_seed (a .Random.seed, or NULL).
inspect_task <- function(path, task, types, call = parent.frame()) {
  r <- rsim_exec(c("inspect", "--task", format(task, scientific = FALSE), normalizePath(path, mustWork = FALSE)),
    call = call
  )
  j <- parse_json(r$stdout, "rsim inspect --task")
  params <- lapply(stats::setNames(names(j$params), names(j$params)), function(p) {
    json_value(list(j$params[[p]]), types[[p]])
  })
  seed <- if (!is.null(j$r_seed)) suppressWarnings(as.integer(unlist(j$r_seed))) # -2^31 is NA_integer_: the same bits
  list(task = as.numeric(j$task), point = as.numeric(j$point), replicate = as.numeric(j$replicate),
       params = params, r_seed = seed)
}

# `rsim --task T grid` (exit code 0 or 3): the task's status, message and
# fields as R values.
run_single_task <- function(grid, task, call = parent.frame()) {
  r <- rsim_exec(c("--task", format(task, scientific = FALSE), grid), ok = c(0L, 3L), call = call)
  lines <- strsplit(trimws(r$stdout, which = "right"), "\n", fixed = TRUE)[[1]]
  out <- parse_json(utils::tail(lines, 1L), "rsim --task")
  fields <- lapply(out$fields, function(f) json_value(if (is.list(f$value)) f$value else list(f$value), f$type))
  out$fields <- stats::setNames(fields, vapply(out$fields, function(f) f$name, ""))
  out
}

# A JSON array (a list of scalars or NULLs) as an R vector of rsim's type:
# null is NA, "NaN", "Inf" and "-Inf" are the non-finite doubles, integers
# are R integers when they all fit, else doubles.
json_value <- function(x, type) {
  if (type == "float") return(vapply(x, json_double, numeric(1)))
  if (type == "integer") {
    v <- vapply(x, function(e) if (is.null(e)) NA_real_ else as.numeric(e), numeric(1))
    return(if (all(is.na(v) | abs(v) <= .Machine$integer.max)) as.integer(v) else v)
  }
  if (type == "string") return(vapply(x, function(e) if (is.null(e)) NA_character_ else as.character(e), ""))
  if (type == "boolean") return(vapply(x, function(e) if (is.null(e)) NA else isTRUE(e), logical(1)))
  if (type %in% c("bytes", "R object")) {  # hex digits; null when missing
    b <- lapply(x, function(h) if (is.null(h)) NULL else as.raw(strtoi(substring(h, seq(1, nchar(h), 2), seq(2, nchar(h), 2)), 16L)))
    if (type == "R object") b <- lapply(b, function(r) if (is.null(r)) NULL else unserialize(r))
    return(if (length(b) == 1L) b[[1L]] else b)
  }
  cli::cli_abort("rsim's JSON has a value of unknown type {.val {type}}; update the rsim R package.")
}

json_double <- function(e) {
  if (is.null(e)) return(NA_real_)
  if (is.character(e)) return(switch(e, "NaN" = NaN, "Inf" = Inf, "-Inf" = -Inf, as.numeric(e)))
  as.numeric(e)
}

# `[{name, type, value}]` (the job's args) as a named list of R values.
json_named_values <- function(x) {
  out <- lapply(x, function(a) json_value(list(a$value), a$type))
  stats::setNames(out, vapply(x, function(a) a$name, ""))
}

# The JSON type of each grid parameter, by name.
json_param_types <- function(job) {
  params <- job$grid$params
  stats::setNames(vapply(params, function(p) p$type, ""), vapply(params, function(p) p$name, ""))
}

# The values of each grid parameter, typed: the axes of a Cartesian grid,
# or one value per point for explicit points.
json_param_values <- function(job) {
  params <- job$grid$params
  stats::setNames(lapply(params, function(p) json_value(p$values, p$type)), vapply(params, function(p) p$name, ""))
}
