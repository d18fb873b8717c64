#' Serve a job's progress, results and errors over HTTP
#'
#' A small JSON API (built with plumber) on a job's result file, for
#' dashboards, scripts and other languages.  It works while the job runs
#' (progress, the results committed so far and the failures logged so far)
#' and after it has finished (results and errors from the result file).
#'
#' Endpoints (all `GET`, all answer JSON):
#' * `/status`: the job's status file (`<output>.status.json`, see
#'   `docs/cli.md`) with `"source": "status file"`; without one (a finished
#'   job whose status file was removed), the counts of the result file
#'   (`state`, `n_tasks`, `done`, `failed`, `n_ok`, `n_not_run`, `complete`,
#'   ...) with `"source": "result file"`.
#' * `/results`: one object per task with `task`, `point`, `replicate`, the
#'   grid parameters and the result fields.  Query parameters: any grid
#'   parameter, `task`, `point`, `replicate` or `status` filters
#'   (`?n=20&delta=0.5`; a comma gives several values: `?n=20,50`);
#'   `fields=a,b` selects result fields (also `status`, `elapsed`,
#'   `warnings`, `rank`, `attempts`; default: every result field and
#'   `status`); `page` (from 1) and `per_page` (1 to 10000, default 100).
#'   The answer has `job`, `complete`, `partial`, `total` (matching tasks),
#'   `page`, `per_page`, `pages`, `columns` and `results`.  Doubles are
#'   written with as many digits as they need to read back exactly; missing
#'   values are `null`.
#'   A job that is running or was interrupted has no result file yet: the
#'   answer is then read from a snapshot of its checkpoints
#'   (`rsim snapshot`, as [read_results()] does; this needs the rsim program),
#'   taken at most every 5 seconds, and lists only the tasks committed so
#'   far, with the values the finished file will hold: `partial` is `true`,
#'   `complete` `false`, and `committed`, `n_tasks` and `snapshot_taken`
#'   (UTC) say how far it has got.  For a finished job `partial` is
#'   `false`.  Before the first commit (or without the rsim program) the
#'   answer is 503 with the progress (`state`, `done`, `n_tasks`; "no
#'   results committed yet ...").  The query is checked first all the
#'   same: paging always, and the filters too when `path` is the grid.toml
#'   or the job (whose grid parameters the rsim program reads); result
#'   fields are known only once there are results.
#' * `/summary`: for a job that keeps per-point summaries (`[output] keep =
#'   "summary"`), one object per grid point as [read_summary()] gives it;
#'   filters: any grid parameter and `point`; paging and, while the job
#'   runs, `partial`, `committed` and `snapshot_taken` as for `/results`.
#'   `/results` of such a job, and `/summary` of a job that keeps tasks,
#'   answer 400 naming the other.
#' * `/errors`: the failed tasks.  From the result file (as
#'   [read_errors()]: grid parameters, `status`, `message`, `calls`; same
#'   filters and paging as `/results`), or while the job runs, the failures
#'   its ranks have logged so far (`task`, `status`, `message`, `time`;
#'   filters `task` and `status`).
#'
#' A bad query (an unknown parameter or field, a value of the wrong type
#' for its parameter, a page that is not a whole number) gets status 400
#' and `{"error": "..."}` saying what is wrong and what is allowed.
#'
#' @inheritParams monitor
#' @param port the TCP port; default a free port (see `$url`).  A port another
#'   process listens on is an error.
#' @param host the address to listen on; default `127.0.0.1` (this machine
#'   only).  `"0.0.0.0"` serves every network interface.
#' @param background if `TRUE` (default), serve from a background R process
#'   and return at once; if `FALSE`, serve from this R session until
#'   interrupted.
#' @param timeout seconds to wait for the background server to start.
#' @return With `background = TRUE`, an object of class `rsim_server`:
#'   `s$url`, `s$stop()`, `s$alive()`, `s$process`, `s$log()`.  With
#'   `background = FALSE`, nothing (it returns when the server is stopped).
#' @seealso [monitor()] for a dashboard in the browser.
#' @export
#' @examples
#' \donttest{
#' if (requireNamespace("plumber", quietly = TRUE)) {
#'   f <- system.file("extdata", "power-demo.h5", package = "rsim")
#'   s <- serve(f)
#'   s$url
#'   json <- readLines(url(paste0(s$url, "/results?n=50&delta=0.5&fields=reject&per_page=5")), warn = FALSE)
#'   str(jsonlite::fromJSON(json))
#'   s$stop()
#' }
#' }
serve <- function(path, port = NULL, host = "127.0.0.1", background = TRUE, timeout = 60) {
  check_installed("plumber", "serve()", "r-cran-plumber")
  file <- normalize_path_soft(result_path(path))
  grid <- grid_of(path)
  check_host_port(host, port)
  port <- app_port(host, port)
  if (!isTRUE(background)) {
    run_api(file, host = host, port = port, grid = grid)
    return(invisible())
  }
  expr <- sprintf("rsim:::run_api(%s, host = %s, port = %dL, grid = %s)", deparse(file), deparse(host),
                  as.integer(port), if (is.null(grid)) "NULL" else deparse(grid))
  start_app_process(expr, host, port, file, what = "API server", class = "rsim_server", timeout = timeout)
}

#' @export
print.rsim_server <- function(x, ...) {
  cat(sprintf("<rsim API of %s>\n  url: %s (%s)\n  GET %s/status, %s/results, %s/summary, %s/errors\n", x$path,
              x$url, if (x$alive()) "running; stop it with $stop()" else "stopped", x$url, x$url, x$url, x$url))
  invisible(x)
}

# Serves the API in this R process until interrupted; with a token (from
# start_app_process()), every answer names it in an X-Rsim-Token header.
run_api <- function(path, host = "127.0.0.1", port = 8000L, grid = NULL, token = Sys.getenv("RSIM_APP_TOKEN")) {
  pr <- api_router(path, grid)
  on.exit(drop_snapshot(path))
  if (nzchar(token)) pr <- plumber::pr_hook(pr, "preroute", function(req, res) res$setHeader("X-Rsim-Token", token))
  plumber::pr_run(pr, host = host, port = as.integer(port), docs = FALSE, quiet = TRUE)
}

# The grid.toml when the user gave one (or a job), else NULL.
grid_of <- function(x) {
  if (inherits(x, "rsim_job")) return(normalizePath(x$grid))
  if (is.character(x) && grepl("\\.toml$", x, ignore.case = TRUE) && file.exists(x)) return(normalizePath(x))
  NULL
}

# The values of each grid parameter in a grid.toml, typed as rsim reads
# them (to check queries before the result file exists), or NULL.
grid_param_values <- function(grid) {
  if (is.null(grid)) return(NULL)
  job <- tryCatch(inspect_job(grid), error = function(e) NULL)
  if (is.null(job) || !length(job$grid$params)) return(NULL)
  json_param_values(job)
}

api_router <- function(path, grid = NULL) {
  endpoint <- function(fun) {
    force(fun)
    function(req, res) api_send(res, api_try(fun(path, parse_query(req$QUERY_STRING), grid = grid)))
  }
  pr <- plumber::pr()
  pr <- plumber::pr_get(pr, "/status", endpoint(api_status))
  pr <- plumber::pr_get(pr, "/results", endpoint(api_results))
  pr <- plumber::pr_get(pr, "/errors", endpoint(api_errors))
  pr <- plumber::pr_get(pr, "/summary", endpoint(api_summary))
  pr <- plumber::pr_set_404(pr, function(req, res) {
    api_send(res, api_fail(404L, sprintf("No endpoint %s %s; the endpoints are GET /status, /results, /summary and /errors.",
                                         req$REQUEST_METHOD, req$PATH_INFO)))
  })
  plumber::pr_set_error(pr, function(req, res, err) {
    api_send(res, api_fail(500L, sprintf("internal error: %s", conditionMessage(err))))
  })
}

# ---- responses ------------------------------------------------------------------

api_ok <- function(body) list(status = 200L, body = body)

api_fail <- function(status, message, ...) list(status = as.integer(status), body = list(error = message, ...))

# Stops a handler with an HTTP status and message (caught by api_try()).
api_stop <- function(status, message, ...) {
  stop(structure(class = c("rsim_api_error", "error", "condition"),
                 list(message = message, call = NULL, status = status, extra = list(...))))
}

api_try <- function(expr) {
  tryCatch(expr,
    rsim_api_error = function(e) do.call(api_fail, c(list(e$status, conditionMessage(e)), e$extra)),
    error = function(e) api_fail(500L, sprintf("internal error: %s", conditionMessage(e)))
  )
}

api_send <- function(res, out) {
  res$status <- out$status
  res$setHeader("Content-Type", "application/json")
  res$body <- as.character(to_json(out$body))
  res
}

to_json <- function(x) {
  jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", dataframe = "rows", digits = NA,
                   json_verbatim = TRUE)
}

# Columns of a data frame made ready for JSON: doubles with the digits they
# need to round-trip (15 significant, else 17), non-finite numbers as null,
# vector fields as arrays, factors as strings.
json_ready <- function(df) {
  for (nm in names(df)) {
    x <- df[[nm]]
    if (is.factor(x)) {
      df[[nm]] <- as.character(x)
    } else if (inherits(x, "rsim_objects")) {
      df[[nm]] <- format(x) # an R object's class, e.g. "<lm>": the object itself stays in R
    } else if (is.matrix(x)) {
      cells <- if (is.double(x)) num_json(x) else ifelse(is.na(x), "null", tolower(as.character(x)))
      cells <- matrix(cells, nrow = nrow(x))
      df[[nm]] <- structure(apply(cells, 1L, function(r) paste0("[", paste(r, collapse = ","), "]")), class = "json")
    } else if (inherits(x, "integer64")) {
      df[[nm]] <- structure(ifelse(is.na(x), "null", as.character(x)), class = "json")
    } else if (is.double(x)) {
      df[[nm]] <- structure(num_json(x), class = "json")
    }
  }
  df
}

num_json <- function(x) {
  x <- as.vector(x)
  s <- rep("null", length(x))
  fin <- is.finite(x)
  s[fin] <- formatC(x[fin], digits = 15, format = "g")
  redo <- fin & suppressWarnings(as.numeric(s)) != x
  s[which(redo)] <- formatC(x[which(redo)], digits = 17, format = "g")
  trimws(s)
}

# ---- query strings ------------------------------------------------------------

# "a=1&b=x,y" -> list(a = "1", b = "x,y"); a key given twice keeps every
# value.  Stops with 400 on a key without a value.
parse_query <- function(qs) {
  qs <- sub("^\\?", "", if (is.null(qs)) "" else qs)
  if (!nzchar(qs)) return(list())
  parts <- strsplit(qs, "&", fixed = TRUE)[[1]]
  parts <- parts[nzchar(parts)]
  dec <- function(s) utils::URLdecode(gsub("+", " ", s, fixed = TRUE))
  keys <- vapply(parts, function(p) dec(sub("=.*$", "", p)), "", USE.NAMES = FALSE)
  vals <- vapply(parts, function(p) if (grepl("=", p, fixed = TRUE)) dec(sub("^[^=]*=", "", p)) else NA_character_, "",
                 USE.NAMES = FALSE)
  bad <- is.na(vals) | !nzchar(trimws(vals))
  if (any(bad)) api_stop(400L, sprintf("query parameter '%s' has no value (write %s=value)", keys[bad][1], keys[bad][1]))
  out <- lapply(split(vals, factor(keys, levels = unique(keys))), function(v) unlist(strsplit(v, ",", fixed = TRUE)))
  lapply(out, trimws)
}

# A whole number from a query value within [lo, hi].
query_count <- function(q, name, default, lo = 1, hi = Inf) {
  v <- q[[name]]
  if (is.null(v)) return(default)
  if (length(v) != 1L || !grepl("^[0-9]+$", v) || as.numeric(v) < lo || as.numeric(v) > hi) {
    range <- if (is.finite(hi)) sprintf("from %s to %s", format(lo), format(hi, scientific = FALSE)) else
      sprintf("of at least %s", format(lo))
    api_stop(400L, sprintf("%s must be a whole number %s, not '%s'", name, range, paste(v, collapse = ",")))
  }
  as.numeric(v)
}

# Query values converted to the type of column x, or a 400 naming the
# parameter and the type it wants.
query_values <- function(values, x, name) {
  wrong <- function(kind) {
    api_stop(400L, sprintf("%s must be %s, not '%s'", name, kind, paste(values, collapse = ",")))
  }
  if (is.factor(x)) {
    bad <- setdiff(values, levels(x))
    if (length(bad)) wrong(sprintf("one of %s", paste(levels(x), collapse = ", ")))
    return(values)
  }
  if (is.logical(x)) {
    v <- tolower(values)
    if (!all(v %in% c("true", "false"))) wrong("true or false")
    return(v == "true")
  }
  if (is.integer(x) || inherits(x, "integer64") || name %in% c("task", "point", "replicate")) {
    if (!all(grepl("^[+-]?[0-9]+$", values))) wrong("a whole number")
    return(as.numeric(values))
  }
  if (is.numeric(x)) {
    v <- suppressWarnings(as.numeric(values))
    if (anyNA(v)) wrong("a number")
    return(v)
  }
  values
}

# Rows of df matching every filter in q (names checked by the caller).
filter_rows <- function(df, q) {
  keep <- rep(TRUE, nrow(df))
  for (name in names(q)) {
    x <- df[[name]]
    v <- query_values(q[[name]], x, name)
    xv <- if (is.factor(x)) as.character(x) else if (inherits(x, "integer64") || is.integer(x)) as.numeric(x) else x
    keep <- keep & xv %in% v
  }
  which(keep)
}

check_query_names <- function(q, allowed, what) {
  unknown <- setdiff(names(q), allowed)
  if (length(unknown) && !length(allowed)) {
    api_stop(400L, sprintf("%s takes no query parameters (got %s)", what, paste0("'", unknown, "'", collapse = ", ")))
  }
  if (length(unknown)) {
    api_stop(400L, sprintf("unknown query parameter%s %s; %s accepts: %s", if (length(unknown) > 1L) "s" else "",
                           paste0("'", unknown, "'", collapse = ", "), what, paste(allowed, collapse = ", ")))
  }
}

# One page of rows as the body of an answer.
page_body <- function(df, rows, q, extra = list()) {
  page <- query_count(q, "page", 1)
  per_page <- query_count(q, "per_page", 100, hi = 10000)
  total <- length(rows)
  from <- (page - 1) * per_page
  sel <- rows[seq_len(max(0, min(per_page, total - from))) + from]
  c(extra, list(total = total, page = page, per_page = per_page, pages = ceiling(total / per_page),
                columns = I(names(df)), results = json_ready(df[sel, , drop = FALSE])))
}

# ---- endpoints ------------------------------------------------------------------

# What /results reads: the result file, or for a job that has not finished
# (no result file, but checkpoints), a snapshot of what it has committed so
# far (`partial`: take_snapshot()'s JSON).  A 503 with the progress while
# nothing is committed, a 404 when there is no job.
results_source <- function(path) {
  file <- result_file_summary(path)
  if (!is.null(file$counts)) {
    drop_snapshot(path)
    return(list(path = path, signature = file$signature))
  }
  if (!is.null(file$error)) api_stop(500L, sprintf("cannot read the result file: %s", file$error))
  snap <- job_snapshot(path)
  if (!is.null(snap)) return(list(path = snap$snapshot, signature = snap$signature, partial = snap))
  if (file.exists(path) && !dir.exists(path)) return(results_source(path)) # it finished meanwhile
  no_results_yet(path)
}

# The 503 of a job with no results to serve yet: nothing committed, or no
# rsim program to take a snapshot of what it has committed.
no_results_yet <- function(path) {
  p <- job_progress(path)
  if (p$source == "none") api_stop(404L, sprintf("no job here: neither %s nor its status file exists", path))
  progress <- sprintf("the job is %s (%s of %s tasks done)", p$state, format(p$done, scientific = FALSE),
                      format(p$n_tasks, scientific = FALSE))
  msg <- if (nzchar(rsim_binary(required = FALSE))) {
    sprintf("no results committed yet: %s; results are served as soon as it has committed tasks (to %s.ckpt)",
            progress, basename(path))
  } else {
    sprintf("no results yet: %s; results are served once it has written %s (those committed before need the rsim program for a snapshot: set RSIM_BIN or put rsim on the PATH)",
            progress, basename(path))
  }
  api_stop(503L, msg, state = p$state, done = p$done, n_tasks = p$n_tasks)
}

# Seconds a snapshot of a job's checkpoints is served for before the next.
snapshot_every <- 5

# A snapshot of the tasks a job without result file has committed so far:
# take_snapshot()'s JSON plus `taken` (UTC) and `signature`, or NULL when it
# has committed none (or there is no rsim program).  Taken at most once per
# snapshot_every seconds per job, always into the same temporary file.
job_snapshot <- function(path, now = Sys.time()) {
  if (!dir.exists(paste0(path, ".ckpt")) || !nzchar(rsim_binary(required = FALSE))) return(NULL) # nothing to take
  hit <- .rsim_cache$snapshots[[path]]
  if (!is.null(hit) && as.numeric(difftime(now, hit$time, units = "secs")) < snapshot_every) return(hit$snap)
  to <- if (is.null(hit)) tempfile("rsim-api-", fileext = ".h5") else hit$file
  snap <- tryCatch(take_snapshot(path, to = to), error = function(e) {
    unlink(to)
    api_stop(500L, sprintf("cannot take a snapshot of the job's checkpoints: %s", conditionMessage(e)))
  })
  if (!is.null(snap) && !isTRUE(snap$committed > 0)) {
    unlink(to)
    snap <- NULL
  }
  if (!is.null(snap)) {
    snap$taken <- format(now, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
    snap$signature <- format(as.numeric(now), digits = 15)
  }
  .rsim_cache$snapshots[[path]] <- list(time = now, file = to, snap = snap)
  snap
}

# Removes the snapshot of path and the values read from it (the job has
# finished, or the server stops).
drop_snapshot <- function(path) {
  hit <- .rsim_cache$snapshots[[path]]
  if (is.null(hit)) return(invisible())
  unlink(hit$file)
  .rsim_cache$snapshots[[path]] <- NULL
  for (key in c("results", "meta")) .rsim_cache$by_signature[[paste(key, hit$file)]] <- NULL
  invisible()
}

api_status <- function(path, q, grid = NULL) {
  check_query_names(q, character(), "/status")
  st <- if (file.exists(paste0(path, ".status.json"))) {
    tryCatch(jsonlite::fromJSON(paste0(path, ".status.json"), simplifyVector = FALSE), error = function(e) NULL)
  }
  if (!is.null(st)) {
    if (identical(st$state, "running")) st$alive <- pid_alive(st$pid, st$host)
    st$source <- "status file"
    return(api_ok(st))
  }
  file <- result_file_summary(path)
  if (is.null(file$counts)) {
    if (!is.null(file$error)) api_stop(500L, sprintf("cannot read the result file: %s", file$error))
    api_stop(404L, sprintf("no job here: neither %s nor its status file exists (yet)", path))
  }
  k <- file$counts
  api_ok(list(format = 1L, job = k$job, output = path, state = if (k$complete) "finished" else "incomplete",
              n_tasks = k$n_tasks, done = k$n_ok + k$n_failed, failed = k$n_failed, n_ok = k$n_ok,
              n_not_run = k$n_not_run, complete = k$complete, started = k$created, updated = k$finished,
              source = "result file"))
}

# Checks the query of /results before the job has written its result file:
# paging always, filters when the grid.toml is known (result fields are
# known only from the file).
check_early_query <- function(q, grid) {
  query_count(q, "page", 1)
  query_count(q, "per_page", 100, hi = 10000)
  g <- grid_param_values(grid)
  if (is.null(g)) return(invisible())
  proto <- c(g, list(task = numeric(), point = numeric(), replicate = numeric(),
                     status = factor(character(), levels = status_levels)))
  check_query_names(q, c(names(proto), "fields", "page", "per_page"), "/results")
  for (name in intersect(names(q), names(proto))) query_values(q[[name]], proto[[name]], name)
  invisible()
}

api_results <- function(path, q, grid = NULL) {
  if (is.null(result_file_summary(path)$counts)) check_early_query(q, grid)
  src <- results_source(path)
  if (cached_by_signature("keep", src$path, src$signature, keeps_summary)) {
    api_stop(400L, "the job keeps per-point summaries ([output] keep = \"summary\"), not a row per task: GET /summary")
  }
  res <- cached_by_signature("results", src$path, src$signature, read_api_results)
  meta <- cached_by_signature("meta", src$path, src$signature, job_info)
  params <- names(meta$grid)
  ids <- c("task", "point", "replicate")
  filters <- c(params, ids, "status")
  check_query_names(q, c(filters, "fields", "page", "per_page"), "/results")
  cols <- unique(c(ids, params, query_fields(q, setdiff(names(res), c(ids, params)), c(params, ids))))
  rows <- filter_rows(res, q[intersect(names(q), filters)])
  head <- list(job = meta$job_name, complete = isTRUE(meta$complete), partial = !is.null(src$partial))
  if (head$partial) { # the tasks committed so far; the others have no results yet
    rows <- rows[res$status[rows] != "not_run"]
    head <- c(head, src$partial[c("committed", "n_tasks")], list(snapshot_taken = src$partial$taken))
  }
  api_ok(page_body(res[cols], rows, q, head))
}

# Every column of read_results() and rank, attempts.
read_api_results <- function(file) {
  res <- suppressWarnings(read_results(file))
  cbind(res, suppressWarnings(read_results(file, columns = c("rank", "attempts")))[c("rank", "attempts")])
}

# The result fields the query asks for (`fields`; default every result
# field and status), or a 400 naming the unknown ones.
query_fields <- function(q, fields, also) {
  want <- if (is.null(q$fields)) setdiff(fields, c("elapsed", "warnings", "rank", "attempts")) else q$fields
  unknown <- setdiff(want, c(fields, also))
  if (length(unknown)) {
    api_stop(400L, sprintf("unknown field%s %s; the fields are: %s", if (length(unknown) > 1L) "s" else "",
                           paste0("'", unknown, "'", collapse = ", "), paste(fields, collapse = ", ")))
  }
  want
}

# One object per grid point of a job that keeps per-point summaries (as
# read_summary()), filtered by grid parameter or point, paged; while the
# job runs, the blocks committed so far (a snapshot, as /results).
api_summary <- function(path, q, grid = NULL) {
  src <- results_source(path)
  if (!cached_by_signature("keep", src$path, src$signature, keeps_summary)) {
    api_stop(400L, "the job keeps a row per task, not per-point summaries: GET /results")
  }
  res <- cached_by_signature("summary", src$path, src$signature, read_summary)
  meta <- cached_by_signature("meta", src$path, src$signature, job_info)
  filters <- c(names(meta$grid), "point")
  check_query_names(q, c(filters, "page", "per_page"), "/summary")
  rows <- filter_rows(res, q[intersect(names(q), filters)])
  head <- list(job = meta$job_name, complete = isTRUE(meta$complete), partial = !is.null(src$partial))
  if (head$partial) head <- c(head, src$partial[c("committed", "n_tasks")], list(snapshot_taken = src$partial$taken))
  api_ok(page_body(res, rows, q, head))
}

api_errors <- function(path, q, grid = NULL) {
  file <- result_file_summary(path)
  p <- job_progress(path)
  running <- identical(p$source, "status file") && p$state %in% c("running", "stopped", "interrupted")
  if (running || is.null(file$counts)) {
    if (p$source == "none") api_stop(404L, sprintf("no job here: neither %s nor its status file exists", path))
    if (!is.null(file$error) && !running) api_stop(500L, sprintf("cannot read the result file: %s", file$error))
    check_query_names(q, c("task", "status", "page", "per_page"), "/errors while the job runs")
    e <- logged_errors(path, p$recent_errors)
    e$status <- factor(e$status, levels = c("error", "timeout"))
    rows <- filter_rows(e, q[intersect(names(q), c("task", "status"))])
    return(api_ok(page_body(e, rows, q, list(job = p$job, state = p$state, source = "error logs",
                                             failed = p$failed))))
  }
  e <- cached_by_signature("errors", path, file$signature, read_errors)
  params <- setdiff(names(e), c("task", "point", "replicate", "status", "message", "calls"))
  filters <- c(params, "task", "point", "replicate", "status")
  check_query_names(q, c(filters, "page", "per_page"), "/errors")
  rows <- filter_rows(e, q[intersect(names(q), filters)])
  api_ok(page_body(e, rows, q, list(job = file$counts$job, state = p$state, source = "result file")))
}
