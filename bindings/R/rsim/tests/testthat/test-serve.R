# The HTTP API: query parsing and checking, the answers of /status,
# /results and /errors (as the handlers compute them, and over HTTP from a
# background server), on the shipped demo file and on status files
# written here (no rsim binary needed), and on the snapshots of a job that
# runs and is killed (with the binary and mpirun).

demo_copy <- function(name = "power-demo.h5") {
  dir <- new_dir("api")
  file.copy(system.file("extdata", name, package = "rsim"), dir)
  file.path(dir, name)
}

query <- function(qs) rsim:::parse_query(qs)
call_api <- function(fun, path, qs = "", grid = NULL) rsim:::api_try(fun(path, rsim:::api_try(query(qs)), grid = grid))
results <- function(path, qs = "", grid = NULL) call_api(rsim:::api_results, path, qs, grid)
# the JSON an answer sends, read back
sent <- function(out) jsonlite::fromJSON(as.character(rsim:::to_json(out$body)))

test_that("query strings are decoded; repeated keys and commas give several values", {
  expect_identical(query(""), list())
  expect_identical(query("?a=1&b=x%20y&c=p+q"), list(a = "1", b = "x y", c = "p q"))
  expect_identical(query("n=10,50&n=20"), list(n = c("10", "50", "20")))
  expect_identical(rsim:::api_try(query("n="))$status, 400L)
  expect_match(rsim:::api_try(query("n"))$body$error, "'n' has no value")
})

test_that("doubles go out with the digits they need to read back exactly", {
  x <- c(0.1, 1 / 3, pi * 1e-300, 2^60, -1.5, 1e300, 123456789.123456789)
  s <- rsim:::num_json(x)
  expect_identical(s[1], "0.1")
  expect_identical(jsonlite::fromJSON(paste0("[", paste(s, collapse = ","), "]")), x)
  expect_identical(rsim:::num_json(c(NA, NaN, Inf)), rep("null", 3))
})

test_that("/results filters by grid parameters, selects fields and pages, as read_results() reads them", {
  f <- demo_copy()
  res <- read_results(f)
  out <- results(f, "n=10&delta=0.5&fields=reject,p_value&per_page=7&page=2")
  expect_identical(out$status, 200L)
  b <- sent(out)
  want <- res[res$n == 10 & res$delta == 0.5, ]
  expect_identical(b$total, nrow(want))
  expect_equal(b$pages, ceiling(nrow(want) / 7))
  expect_identical(b$columns, c("task", "point", "replicate", "n", "delta", "sd", "reject", "p_value"))
  rows <- want[8:14, ]
  expect_identical(b$results$task, rows$task)
  expect_identical(b$results$reject, rows$reject)
  expect_identical(b$results$p_value, rows$p_value)  # exact: 17 digits where 15 do not suffice

  all <- sent(results(f, "per_page=10000"))
  expect_identical(all$total, nrow(res))
  expect_identical(all$results$estimate, res$estimate)
  expect_identical(all$results$status, as.character(res$status))
  expect_identical(sent(results(f, "status=error&per_page=1"))$total, sum(res$status == "error"))
  expect_identical(sent(results(f, "n=10,50&delta=0"))$total, sum(res$delta == 0))
  expect_identical(sent(results(f, "n=30"))$total, 0L)
})

test_that("bad /results queries are 400 with a message saying what is allowed", {
  f <- demo_copy()
  bad <- c("foo=1" = "unknown query parameter 'foo'.*n, delta, sd",
           "n=abc" = "n must be a whole number, not 'abc'",
           "n=1.5" = "n must be a whole number",
           "delta=x" = "delta must be a number, not 'x'",
           "fields=nope" = "unknown field 'nope'; the fields are: reject",
           "page=x" = "page must be a whole number of at least 1",
           "page=0" = "page must be a whole number of at least 1",
           "per_page=10001" = "per_page must be a whole number from 1 to 10000",
           "status=fine" = "status must be one of ok, error, timeout, not_run",
           "task=-" = "task must be a whole number")
  for (qs in names(bad)) {
    out <- results(f, qs)
    expect_identical(out$status, 400L, label = qs)
    expect_match(out$body$error, bad[[qs]], label = qs)
  }
})

test_that("/status is the status file while there is one, else the result file's counts", {
  f <- demo_copy()
  info <- job_info(f)
  b <- sent(call_api(rsim:::api_status, f))
  expect_identical(b$source, "result file")
  expect_identical(b$state, "finished")
  expect_identical(c(b$n_tasks, b$done, b$failed), c(info$n_tasks, info$n_ok + info$n_failed, info$n_failed))
  st <- list(format = 1, state = "running", n_tasks = 10, done = 4, failed = 0, eta_seconds = NULL, done_per_rank = c(3, 1),
             host = Sys.info()[["nodename"]], pid = Sys.getpid())
  writeLines(jsonlite::toJSON(st, auto_unbox = TRUE, null = "null"), paste0(f, ".status.json"))
  b <- sent(call_api(rsim:::api_status, f))
  expect_identical(b[c("source", "state", "done", "alive")], list(source = "status file", state = "running", done = 4L, alive = TRUE))
  expect_identical(b$done_per_rank, c(3L, 1L))
  expect_null(b$eta_seconds)
  expect_identical(call_api(rsim:::api_status, f, "x=1")$status, 400L)
  expect_identical(call_api(rsim:::api_status, file.path(dirname(f), "none.h5"))$status, 404L)
})

test_that("before the result file: /results is 503 with the progress, after checking what it can", {
  dir <- new_dir("api")
  g <- write_grid(file.path(dir, "grid.toml"), native_kernel("ttest_power"), grid = list(n = c(10L, 20L), delta = c(0, 0.5)),
                  seed = 1, name = "run")
  f <- file.path(dir, "run.h5")
  expect_identical(results(f)$status, 404L)
  writeLines(sprintf('{"format": 1, "state": "running", "n_tasks": 4, "done": 1, "failed": 0, "host": "%s", "pid": %d}',
                     Sys.info()[["nodename"]], Sys.getpid()), paste0(f, ".status.json"))
  out <- results(f, "n=10")
  expect_identical(out$status, 503L)
  expect_match(out$body$error, "no results (committed )?yet: the job is running \\(1 of 4 tasks done\\)")
  expect_identical(out$body[c("state", "done", "n_tasks")], list(state = "running", done = 1, n_tasks = 4))
  expect_identical(results(f, "page=x")$status, 400L)
  expect_identical(results(f, "zzz=1")$status, 503L)  # the grid is unknown from the .h5 path alone
  skip_if_no_rsim() # rsim reads the grid.toml
  expect_match(out$body$error, "no results committed yet: .*as soon as it has committed tasks \\(to run.h5.ckpt\\)")
  expect_identical(results(f, "zzz=1", grid = g)$status, 400L)
  expect_identical(results(f, "n=x", grid = g)$status, 400L)
  expect_identical(results(f, "n=10&delta=0.5&fields=whatever", grid = g)$status, 503L)
})

# ---- results of a job that has not finished (issue 14) -------------------------

http_get <- function(s, path) { # with a timeout: a hung server must fail the test, not hang it
  r <- curl::curl_fetch_memory(paste0(s$url, path), handle = curl::new_handle(timeout = 60))
  list(status = r$status_code, body = jsonlite::fromJSON(rawToChar(r$content)))
}

# Waits until the job behind output has committed tasks (seen in a snapshot
# of our own) or has finished.
wait_for_commits <- function(output, timeout = 60) {
  to <- tempfile(fileext = ".h5")
  on.exit(unlink(to))
  deadline <- Sys.time() + timeout
  while (!file.exists(output) && Sys.time() < deadline) {
    snap <- rsim:::take_snapshot(output, to = to)
    if (isTRUE(snap$committed > 0)) return(invisible(TRUE))
    Sys.sleep(0.2)
  }
  invisible(file.exists(output))
}

test_that("/results of a running, then killed job: the committed tasks from a snapshot, as the finished file holds them", {
  skip_if_not_installed("plumber")
  skip_if_not_installed("curl")
  g <- busy_grid("apipart", ms = c(30, 40), replicates = 200, chunk = 2, checkpoint = 0.1)
  s <- serve(g)
  on.exit(s$stop())
  expect_identical(http_get(s, "/results")$status, 404L) # no job yet
  job <- rsim_run(g, np = 2)
  on.exit(if (job$process$is_alive()) suppressMessages(job$kill()), add = TRUE)
  f <- job$output
  expect_true(wait_for_commits(f))
  running <- http_get(s, "/results?per_page=10000&fields=u,status")
  if (!file.exists(f)) { # it still runs (unless the machine stalled for seconds): a partial answer
    expect_identical(running$status, 200L)
    b <- running$body
    expect_identical(b[c("job", "complete", "partial", "n_tasks")],
                     list(job = "grid", complete = FALSE, partial = TRUE, n_tasks = 400L))
    expect_gt(b$committed, 0L)
    expect_identical(b$total, b$committed)
    expect_identical(nrow(b$results), b$committed)
    expect_true(all(b$results$status %in% c("ok", "error", "timeout")))
  }
  suppressMessages(job$kill())
  skip_if(file.exists(f), "the job finished before it was killed")

  # killed: the handler, in this process, against a snapshot read_results() takes
  part <- suppressMessages(read_results(f, columns = c("ms", "u", "status", "rank")))
  done <- part[part$status != "not_run", ]
  expect_gt(nrow(done), 0L)
  out <- results(f, "per_page=10000&fields=u,status,rank")
  expect_identical(out$status, 200L)
  b <- sent(out)
  expect_identical(b[c("job", "complete", "partial", "committed", "n_tasks", "total")],
                   list(job = "grid", complete = FALSE, partial = TRUE, committed = nrow(done), n_tasks = 400L,
                        total = nrow(done)))
  expect_match(b$snapshot_taken, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")
  expect_identical(b$columns, c("task", "point", "replicate", "ms", "u", "status", "rank"))
  expect_identical(b$results$task, done$task)
  expect_identical(b$results$u, done$u)
  expect_identical(b$results$rank, done$rank)
  # filters and paging on the partial answer
  p <- sent(results(f, "ms=30&status=ok&fields=u&per_page=7&page=2"))
  want <- done[done$ms == 30 & done$status == "ok", ]
  expect_identical(p[c("partial", "total", "page")], list(partial = TRUE, total = nrow(want), page = 2L))
  expect_equal(p$pages, ceiling(nrow(want) / 7))
  rows <- want[intersect(8:14, seq_len(nrow(want))), ]
  expect_identical(as.numeric(p$results$task), as.numeric(rows$task))
  expect_identical(as.numeric(p$results$u), as.numeric(rows$u))
  expect_identical(sent(results(f, "status=not_run"))$total, 0L) # tasks not committed are not listed
  expect_identical(sent(results(f, "task=399"))$total, as.integer(399 %in% done$task))
  expect_match(results(f, "fields=nope")$body$error, "unknown field 'nope'; the fields are: u, status")
  # one snapshot per 5 s, always into the same temporary file
  hit <- rsim:::.rsim_cache$snapshots[[f]]
  expect_true(file.exists(hit$file))
  expect_identical(rsim:::job_snapshot(f, now = hit$time + 4)$taken, b$snapshot_taken)
  again <- rsim:::job_snapshot(f, now = hit$time + 6)
  expect_false(identical(again$taken, b$snapshot_taken))
  expect_identical(normalizePath(again$snapshot), normalizePath(hit$file))
  expect_identical(again$committed, nrow(done))
  # the server, once its snapshot is refreshed, answers the same
  deadline <- Sys.time() + 60
  repeat {
    r <- http_get(s, "/results?per_page=10000&fields=u,status,rank")
    if (identical(r$body$committed, nrow(done)) || Sys.time() > deadline) break
    Sys.sleep(0.5)
  }
  expect_identical(r$body[c("partial", "committed", "total")], list(partial = TRUE, committed = nrow(done), total = nrow(done)))
  expect_identical(r$body$results$u, done$u)

  # finished: the committed tasks' values are those of the result file; the snapshot is gone
  fin <- suppressMessages(rsim_run(g, np = 2, background = FALSE))
  expect_identical(fin$u[done$task + 1], done$u)
  if (is.data.frame(running$body$results)) {
    expect_identical(fin$u[running$body$results$task + 1], running$body$results$u)
  }
  b <- sent(results(f, "per_page=1"))
  expect_identical(b[c("complete", "partial", "total")], list(complete = TRUE, partial = FALSE, total = 400L))
  expect_null(b$committed)
  expect_false(file.exists(hit$file))
  expect_null(rsim:::.rsim_cache$snapshots[[f]])
  r <- http_get(s, "/results?per_page=1")
  expect_identical(r$body[c("complete", "partial", "total")], list(complete = TRUE, partial = FALSE, total = 400L))
})

test_that("/errors lists the file's failed tasks as read_errors() does, or the logged ones while running", {
  f <- demo_copy()
  e <- read_errors(f)
  b <- sent(call_api(rsim:::api_errors, f, "per_page=1000"))
  expect_identical(b$source, "result file")
  expect_identical(b$results$task, e$task)
  expect_identical(b$results$message, e$message)
  expect_identical(sent(call_api(rsim:::api_errors, f, "sd=1"))$total, 0L)
  expect_identical(call_api(rsim:::api_errors, f, "n=x")$status, 400L)

  dir <- new_dir("api")
  f2 <- file.path(dir, "run.h5")
  writeLines(sprintf('{"format": 1, "state": "running", "n_tasks": 4, "done": 1, "failed": 1, "host": "%s", "pid": %d}',
                     Sys.info()[["nodename"]], Sys.getpid()), paste0(f2, ".status.json"))
  dir.create(paste0(f2, ".logs"))
  writeLines('{"task": 2, "status": "timeout", "message": "took too long", "time": "2026-11-29T14:00:00Z"}',
             file.path(paste0(f2, ".logs"), "errors-r00001.jsonl"))
  b <- sent(call_api(rsim:::api_errors, f2))
  expect_identical(b[c("source", "total")], list(source = "error logs", total = 1L))
  expect_identical(b$results$message, "took too long")
  expect_identical(call_api(rsim:::api_errors, f2, "n=1")$status, 400L)
})

test_that("serve() answers over HTTP from a background process: JSON, 400 for bad queries, 404 elsewhere", {
  skip_if_not_installed("plumber")
  skip_if_not_installed("curl")
  f <- demo_copy()
  s <- serve(f)
  on.exit(s$stop())
  expect_s3_class(s, "rsim_server")
  expect_match(s$url, "^http://127\\.0\\.0\\.1:[0-9]+$")
  fetch <- function(path) {
    r <- curl::curl_fetch_memory(paste0(s$url, path))
    list(status = r$status_code, type = curl::parse_headers_list(r$headers)[["content-type"]],
         body = jsonlite::fromJSON(rawToChar(r$content)))
  }
  r <- fetch("/results?n=50&delta=0.5&fields=reject&per_page=3")
  expect_identical(r$status, 200L)
  expect_match(r$type, "application/json")
  res <- read_results(f)
  expect_identical(r$body$results$reject, res$reject[res$n == 50 & res$delta == 0.5][1:3])
  r <- fetch("/results?n=abc")
  expect_identical(r$status, 400L)
  expect_match(r$body$error, "n must be a whole number")
  expect_identical(fetch("/status")$body$state, "finished")
  expect_identical(fetch("/nowhere")$status, 404L)
  expect_true(s$stop())
  expect_false(s$alive())
})

# ---- a port already in use (issue 13) ----------------------------------------

# The error of a start that must fail; a server it started all the same is
# stopped, so that no process is left behind.
start_error <- function(expr) {
  out <- tryCatch(expr, error = identity)
  if (inherits(out, c("rsim_server", "rsim_monitor"))) out$stop()
  out
}

status_output <- function(s) { # with a timeout: a wrong server must fail the test, not hang it
  r <- curl::curl_fetch_memory(paste0(s$url, "/status"), handle = curl::new_handle(timeout = 20))
  jsonlite::fromJSON(rawToChar(r$content))$output
}

test_that("serve() on a port a plain TCP listener holds stops, naming host:port and the way out", {
  skip_if_not_installed("plumber")
  port <- rsim:::free_port()
  sock <- serverSocket(port)
  on.exit(close(sock))
  err <- start_error(serve(demo_copy(), port = port))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), sprintf("127.0.0.1:%d is already in use", port), fixed = TRUE)
  expect_match(conditionMessage(err), "port = NULL", fixed = TRUE)
})

test_that("serve() on the port of another serve() stops, and the other keeps serving its own file", {
  skip_if_not_installed("plumber")
  f1 <- demo_copy()
  f2 <- demo_copy("r-demo.h5")
  s <- serve(f1)
  on.exit(s$stop())
  err <- start_error(serve(f2, port = s$port))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), sprintf("127.0.0.1:%d is already in use", s$port), fixed = TRUE)
  expect_true(s$alive())
  expect_identical(status_output(s), f1)
})

test_that("the start-up check wants the answer of the server it started, not of another holding the port", {
  skip_if_not_installed("plumber")
  # the port is taken after serve() checked it: the new server cannot bind
  f1 <- demo_copy()
  f2 <- demo_copy("r-demo.h5")
  s <- serve(f1)
  on.exit(s$stop())
  start <- function(port) {
    expr <- sprintf("rsim:::run_api(%s, port = %dL)", deparse(f2), port)
    start_error(rsim:::start_app_process(expr, "127.0.0.1", port, f2, what = "API server", class = "rsim_server"))
  }
  err <- start(s$port)  # another API server answers there
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), "stopped before it could serve", fixed = TRUE)
  expect_match(conditionMessage(err), "Failed to create server", fixed = TRUE)
  expect_match(conditionMessage(err), sprintf("127.0.0.1:%d", s$port), fixed = TRUE)
  expect_identical(status_output(s), f1)
  port <- rsim:::free_port()
  sock <- serverSocket(port)  # a listener that never answers
  on.exit(close(sock), add = TRUE)
  err <- start(port)
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), "Failed to create server", fixed = TRUE)
})

test_that("/summary serves a summary job's points as read_summary() reads them; /results and /summary name each other", {
  skip_if_no_rsim()
  skip_if_no_mpirun()
  dir <- new_dir("apisum")
  g <- write_grid(file.path(dir, "grid.toml"), native_kernel("ttest_power"),
                  grid = list(n = c(10, 20), delta = c(0, 0.5)), replicates = 200, seed = 2, name = "s",
                  keep = "summary", block = 20)
  suppressMessages(rsim_run(g, np = 2, background = FALSE))
  f <- file.path(dir, "s.h5")
  out <- call_api(rsim:::api_summary, f, "n=20&per_page=1&page=2")
  expect_identical(out$status, 200L)
  b <- sent(out)
  expect_identical(c(b$total, b$pages), c(2L, 2L))
  s <- read_summary(f)
  expect_equal(b$results$reject_mean, s$reject_mean[4])
  expect_equal(b$results$delta, 0.5)
  expect_identical(call_api(rsim:::api_summary, f, "nope=1")$status, 400L)
  r <- results(f)
  expect_identical(r$status, 400L)
  expect_match(r$body$error, "GET /summary")
  t <- call_api(rsim:::api_summary, demo_copy())
  expect_identical(t$status, 400L)
  expect_match(t$body$error, "GET /results")
})
