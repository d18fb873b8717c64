# Where a job stands, as monitor() and serve() both report it: its progress
# from <output>.status.json or the result file's counts, the failures its
# ranks have logged, and values computed once per version of the result
# file.  Reads files only; never runs the rsim program (monitor() takes its
# snapshots of a running job's results itself).

# Where a job stands: from <output>.status.json when there is one (a run
# that is going on, was interrupted or finished), else from the counts of
# the result file, else "waiting" (the job has not started yet).  `results`
# describes the result file when it exists and can be read.
job_progress <- function(path) {
  st <- read_status_json(path)
  file <- result_file_summary(path)
  p <- list(path = path, source = "none", job = basename(path), state = "waiting", n_tasks = NA_real_,
            done = 0, failed = 0, eta_seconds = NA_real_, rate = NA_real_, seconds = NA_real_,
            run_done = NA_real_, done_per_rank = numeric(), started = NA_character_, updated = NA_character_,
            recent_errors = NULL, results = file)
  if (!is.null(st)) {
    state <- as_string(st$state, "unknown")
    if (identical(state, "running") && !pid_alive(st$pid, st$host)) state <- "stopped"
    p[c("source", "job", "state", "n_tasks", "done", "failed", "eta_seconds", "rate", "seconds", "run_done",
        "done_per_rank", "started", "updated")] <- list(
      "status file", as_string(st$job, p$job), state, as_number(st$n_tasks), as_number(st$done, 0),
      as_number(st$failed, 0), as_number(st$eta_seconds), as_number(st$this_run$rate),
      as_number(st$this_run$seconds), as_number(st$this_run$done),
      if (is.numeric(st$done_per_rank)) as.numeric(st$done_per_rank) else numeric(),
      as_string(st$started, NA_character_), as_string(st$updated, NA_character_))
    p$recent_errors <- st$recent_errors
  } else if (!is.null(file$counts)) {
    k <- file$counts
    p[c("source", "job", "state", "n_tasks", "done", "failed", "eta_seconds", "started", "updated")] <- list(
      "result file", k$job, if (k$complete) "finished" else "incomplete", k$n_tasks, k$n_ok + k$n_failed,
      k$n_failed, 0, k$created, k$finished)
  }
  p
}

# The result file's signature (to notice a new file) and counts, or NULL
# when there is none; `error` when it cannot be read.  Cached by signature,
# so calling this every second costs a stat().
result_file_summary <- function(path) {
  if (!file.exists(path) || dir.exists(path)) return(NULL)
  info <- file.info(path)
  sig <- paste(format(as.numeric(info$mtime), digits = 15), info$size)
  cached <- .rsim_cache$file_summaries[[path]]
  if (!is.null(cached) && identical(cached$signature, sig)) return(cached)
  out <- list(signature = sig)
  counts <- tryCatch(read_counts(path), error = function(e) conditionMessage(e))
  if (is.list(counts)) out$counts <- counts else out$error <- counts
  .rsim_cache$file_summaries[[path]] <- out
  out
}

read_counts <- function(path) {
  f <- open_result(path)
  on.exit(close_h5(f))
  a <- function(name, default = NA) {
    v <- h5_attr(f, name, default)
    if (is.numeric(v)) as.numeric(v) else v
  }
  list(job = a("job_name", basename(path)), n_tasks = a("n_tasks"), n_ok = a("n_ok", 0), n_failed = a("n_failed", 0),
       n_not_run = a("n_not_run", 0), complete = isTRUE(a("complete", 1) == 1),
       created = a("created", NA_character_), finished = a("finished", NA_character_))
}

# f(path) computed once per signature of the result file (key names the
# kind of value), so a dashboard refreshing every second reads it once.
cached_by_signature <- function(key, path, sig, f) {
  id <- paste(key, path)
  hit <- .rsim_cache$by_signature[[id]]
  if (!is.null(hit) && identical(hit$signature, sig)) return(hit$value)
  value <- f(path)
  .rsim_cache$by_signature[[id]] <- list(signature = sig, value = value)
  value
}

# The last lines of a text file, reading at most max_bytes from its end.
tail_lines <- function(file, max_bytes = 262144) {
  size <- file.size(file)
  if (is.na(size) || size == 0) return(character())
  con <- file(file, "rb")
  on.exit(close(con))
  skip <- max(0, size - max_bytes)
  if (skip > 0) seek(con, skip)
  txt <- rawToChar(readBin(con, "raw", n = size - skip))
  lines <- strsplit(txt, "\n", fixed = FALSE)[[1]]
  if (skip > 0) lines <- lines[-1]  # the first one is cut
  lines
}

# The failed tasks a running job has logged so far: every rank's
# <output>.logs/errors-r<rank>.jsonl (the last 256 KiB of each), the
# newest entry per task, oldest first.  Falls back to the status file's
# five most recent errors.
logged_errors <- function(path, recent = NULL) {
  files <- list.files(paste0(path, ".logs"), pattern = "^errors-r[0-9]+\\.jsonl$", full.names = TRUE)
  lines <- unlist(lapply(files, tail_lines), use.names = FALSE)
  lines <- lines[grepl("^\\{.*\\}\\s*$", lines)]  # a line being written is left for the next look
  rows <- if (length(lines)) {
    tryCatch(jsonlite::fromJSON(paste0("[", paste(lines, collapse = ","), "]")), error = function(e) NULL)
  }
  if (is.data.frame(rows) && all(c("task", "message") %in% names(rows))) {
    df <- data.frame(task = as.numeric(rows$task), status = as.character(rows$status %||% NA),
                     message = as.character(rows$message), time = as.character(rows$time %||% NA),
                     stringsAsFactors = FALSE)
  } else if (is.data.frame(recent) && nrow(recent)) {
    df <- recent[intersect(c("task", "status", "message", "time"), names(recent))]
    df$task <- as.numeric(df$task)
  } else {
    return(data.frame(task = numeric(), status = character(), message = character(), time = character()))
  }
  df <- df[order(df$time, df$task), , drop = FALSE]
  df <- df[!duplicated(df$task, fromLast = TRUE), , drop = FALSE]
  rownames(df) <- NULL
  df
}

`%||%` <- function(x, y) if (is.null(x)) y else x

as_number <- function(x, default = NA_real_) if (is.numeric(x) && length(x) == 1L && !is.na(x)) as.numeric(x) else default
as_string <- function(x, default) if (is.character(x) && length(x) == 1L && !is.na(x)) x else default
