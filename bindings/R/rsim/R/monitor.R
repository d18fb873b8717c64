#' Watch an rsim job in a dashboard
#'
#' Opens a Shiny dashboard of a job, run by a background R process so that
#' this R session stays free.  The dashboard shows
#' * the progress: state, tasks done of the total, failed tasks, the rate
#'   and the time left, refreshed every `interval` seconds from the
#'   `<output>.status.json` file a running job rewrites; for a finished job
#'   without a status file, the counts of the result file;
#' * the throughput over time (tasks per second), from the samples the
#'   dashboard has seen since it was opened, and the tasks each rank ran;
#' * the failed tasks with their messages: while the job runs, those its
#'   ranks have logged so far (`<output>.logs/errors-r<rank>.jsonl`); once
#'   it has finished, [read_errors()] of the result file;
#' * the results of a chosen numeric field: mean and Monte Carlo standard
#'   error (`sd / sqrt(n)`) per grid point, and the running mean over the
#'   replicates of one point.
#'
#' **Results of a running job.**  Until a job ends, rsim keeps its finished
#' tasks in the checkpoint folder `<output>.ckpt/`, in a format private to
#' rsim.  The dashboard therefore shows results once the result file exists:
#' when the job has finished, or when an interrupted job has been run again
#' to the end.  It switches to them by itself when the file appears, and
#' says so while it waits.
#'
#' The dashboard listens on `host` (default `127.0.0.1`: only this machine
#' can open it).  In RStudio it opens in the Viewer pane, elsewhere in the
#' web browser when `browser = TRUE`.  It stops with `m$stop()` or when
#' this R session ends.
#'
#' @param path the result file of the job (the `[job] output` of
#'   grid.toml), the grid.toml (read by the rsim program), or an `rsim_job`
#'   from [rsim_run()].  The job may be running, interrupted or finished;
#'   it need not have started yet.
#' @param host the address to listen on.  `"0.0.0.0"` lets other machines
#'   connect (anyone who can reach the port sees the job).
#' @param port the TCP port; default a free port.
#' @param interval seconds between refreshes.
#' @param browser open the dashboard (RStudio's Viewer, else the web
#'   browser); default in interactive sessions.
#' @param timeout seconds to wait for the dashboard to start.
#' @return An object of class `rsim_monitor`: `m$url` (the address to open),
#'   `m$stop()` (stops the dashboard), `m$alive()` (whether it still runs),
#'   `m$process` (the [processx::process] of the background R), `m$log()`
#'   (what it printed).
#' @seealso [serve()] for the same information as an HTTP API.
#' @export
#' @examples
#' \donttest{
#' if (requireNamespace("shiny", quietly = TRUE)) {
#'   f <- system.file("extdata", "power-demo.h5", package = "rsim")
#'   m <- monitor(f, browser = FALSE)
#'   m$url
#'   m$stop()
#' }
#' }
monitor <- function(path, host = "127.0.0.1", port = NULL, interval = 1, browser = interactive(), timeout = 60) {
  check_installed("shiny", "monitor()", "r-cran-shiny")
  file <- normalize_path_soft(result_path(path))
  check_host_port(host, port)
  if (!is.numeric(interval) || length(interval) != 1L || is.na(interval) || interval < 0.1) {
    cli::cli_abort("{.arg interval} must be a number of seconds, at least 0.1.")
  }
  if (is.null(port)) port <- free_port()
  expr <- sprintf("rsim:::run_monitor_app(%s, host = %s, port = %dL, interval = %s)",
                  deparse(file), deparse(host), as.integer(port), format(interval))
  m <- start_app_process(expr, host, port, file, what = "dashboard", class = "rsim_monitor", timeout = timeout)
  if (isTRUE(browser)) open_in_viewer(m$url)
  m
}

#' @export
print.rsim_monitor <- function(x, ...) {
  cat(sprintf("<rsim dashboard of %s>\n  url: %s (%s)\n", x$path, x$url, if (x$alive()) "running; stop it with $stop()" else "stopped"))
  invisible(x)
}

# Runs the dashboard in this R process until it is stopped (the body of the
# background process that monitor() starts).
run_monitor_app <- function(path, host = "127.0.0.1", port = 8080L, interval = 1) {
  shiny::runApp(monitor_app(path, interval), host = host, port = as.integer(port), launch.browser = FALSE, quiet = TRUE)
}

# ---- what the dashboard shows ----------------------------------------------

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

# Appends a status sample (seconds since the run started, tasks this run
# has done) to a history environment; a new run (seconds going back)
# starts a new history.
record_history <- function(hist, p) {
  if (!identical(p$source, "status file") || !is.finite(p$seconds) || !is.finite(p$run_done)) return(invisible())
  n <- length(hist$seconds)
  if (n && p$seconds < hist$seconds[n]) {
    hist$seconds <- numeric()
    hist$done <- numeric()
    n <- 0L
  }
  if (!n) {
    hist$seconds <- 0
    hist$done <- 0
    n <- 1L
  }
  if (p$seconds > hist$seconds[n]) {
    hist$seconds <- c(hist$seconds, p$seconds)
    hist$done <- c(hist$done, p$run_done)
  }
  invisible()
}

# Tasks per second over a trailing window of `window` seconds at each sample.
windowed_rate <- function(seconds, done, window = 5) {
  vapply(seq_along(seconds), function(i) {
    j <- which(seconds >= seconds[i] - window)[1]
    if (j >= i) j <- max(1L, i - 1L)
    dt <- seconds[i] - seconds[j]
    if (dt > 0) (done[i] - done[j]) / dt else NA_real_
  }, 0)
}

# Running mean and Monte Carlo standard error of x after 1, 2, ... values.
running_mean_se <- function(x) {
  x <- x[!is.na(x)]
  k <- seq_along(x)
  if (!length(x)) return(data.frame(k = integer(), mean = numeric(), se = numeric()))
  shift <- x[1]  # centring keeps the sums of squares accurate
  s1 <- cumsum(x - shift)
  s2 <- cumsum((x - shift)^2)
  var <- ifelse(k > 1, pmax(0, (s2 - s1^2 / k) / (k - 1)), NA_real_)
  data.frame(k = k, mean = shift + s1 / k, se = sqrt(var / k))
}

# Numeric result fields as choices: "x" for a scalar field, "q[2]" for the
# second element of a vector field.
numeric_field_choices <- function(fields) {
  num <- fields[fields$type %in% c("integer", "double", "logical"), , drop = FALSE]
  unlist(lapply(seq_len(nrow(num)), function(i) {
    w <- num$width[i]
    if (w == 1L) num$field[i] else sprintf("%s[%d]", num$field[i], seq_len(w))
  }), use.names = FALSE)
}

# One numeric field (or element of a vector field) of the tasks that
# finished ok, with their point and replicate.
read_field_values <- function(path, choice) {
  m <- regmatches(choice, regexec("^(.*)\\[([0-9]+)\\]$", choice))[[1]]
  field <- if (length(m)) m[2] else choice
  res <- suppressWarnings(read_results(path, status = "ok", columns = c("point", "replicate", field)))
  x <- res[[ncol(res)]]
  if (length(m)) x <- x[, as.integer(m[3])]
  data.frame(point = res$point, replicate = res$replicate, value = as.numeric(x))
}

point_labels <- function(grid) {
  if (!ncol(grid)) return(sprintf("point %d", seq_len(nrow(grid)) - 1L))
  do.call(paste, c(lapply(names(grid), function(p) paste0(p, " = ", as.character(grid[[p]]))), sep = ", "))
}

# ---- the Shiny app ----------------------------------------------------------

monitor_app <- function(path, interval = 1) {
  shiny::shinyApp(ui = monitor_ui(path), server = monitor_server(path, interval))
}

monitor_css <- "
body { background: #f6f7f9; }
.rsim-box { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 14px; margin-bottom: 14px; }
.rsim-box h4 { margin-top: 0; color: #334; }
.rsim-stat { display: inline-block; min-width: 120px; margin-right: 18px; vertical-align: top; }
.rsim-stat .label { display: block; color: #667; font-size: 12px; text-transform: uppercase; }
.rsim-stat .value { font-size: 22px; font-weight: 600; }
.rsim-bar { height: 14px; background: #e4e7eb; border-radius: 7px; overflow: hidden; margin: 8px 0 4px 0; }
.rsim-bar > div { height: 100%; background: #2c7be5; }
.rsim-bar > div.failed { background: #e5533d; }
.rsim-note { color: #556; font-size: 13px; }
.rsim-state-running { color: #2c7be5; } .rsim-state-finished { color: #1f9d55; }
.rsim-state-interrupted, .rsim-state-stopped, .rsim-state-incomplete { color: #d97706; }
table.rsim-errors td { font-size: 12px; }
"

monitor_ui <- function(path) {
  stat <- function(label, id, suffix = NULL) {
    shiny::tags$div(class = "rsim-stat",
      shiny::tags$span(class = "label", label),
      shiny::tags$span(class = "value", shiny::textOutput(id, inline = TRUE), suffix))
  }
  box <- function(title, ...) shiny::tags$div(class = "rsim-box", shiny::tags$h4(title), ...)
  shiny::fluidPage(
    title = sprintf("rsim: %s", basename(path)),
    shiny::tags$head(shiny::tags$style(shiny::HTML(monitor_css))),
    shiny::tags$h3(shiny::textOutput("title", inline = TRUE)),
    shiny::tags$p(class = "rsim-note", path),
    box("Progress",
      stat("state", "state"),
      stat("tasks done", "done"),
      stat("of", "n_tasks"),
      stat("done", "percent", "%"),
      stat("failed", "failed"),
      stat("tasks/s", "rate"),
      stat("time left", "eta"),
      shiny::uiOutput("bar"),
      shiny::tags$p(class = "rsim-note", shiny::textOutput("progress_note", inline = TRUE))),
    shiny::fluidRow(
      shiny::column(8, box("Throughput", shiny::plotOutput("throughput", height = "260px"))),
      shiny::column(4, box("Tasks per rank", shiny::plotOutput("ranks", height = "260px")))),
    box("Failed tasks",
      shiny::tags$p(class = "rsim-note", shiny::textOutput("errors_note", inline = TRUE)),
      shiny::tableOutput("errors")),
    box("Results",
      shiny::tags$p(class = "rsim-note", shiny::textOutput("results_note", inline = TRUE)),
      shiny::conditionalPanel("output.has_results",
        shiny::fluidRow(
          shiny::column(4, shiny::selectInput("field", "result field", choices = character())),
          shiny::column(8, shiny::selectInput("point", "running mean of grid point", choices = character(), width = "100%"))),
        shiny::fluidRow(
          shiny::column(6, shiny::plotOutput("estimates", height = "auto")),
          shiny::column(6, shiny::plotOutput("running", height = "340px"))),
        shiny::tableOutput("summary")))
  )
}

monitor_server <- function(path, interval) {
  function(input, output, session) {
    hist <- new.env(parent = emptyenv())
    hist$seconds <- numeric()
    hist$done <- numeric()
    first <- job_progress(path)
    record_history(hist, first)
    prog <- shiny::reactiveVal(first)
    result_sig <- shiny::reactiveVal(first$results$signature)
    shiny::observe({
      shiny::invalidateLater(interval * 1000)
      p <- job_progress(path)
      record_history(hist, p)
      p$history <- data.frame(seconds = hist$seconds, done = hist$done)
      prog(p)
      result_sig(if (is.null(p$results$counts)) NULL else p$results$signature)
    })

    fmt <- function(x) if (is.na(x)) "\u2013" else format(x, big.mark = ",", scientific = FALSE, trim = TRUE)
    output$title <- shiny::renderText(sprintf("rsim job %s", prog()$job))
    output$state <- shiny::renderText(prog()$state)
    output$done <- shiny::renderText(fmt(prog()$done))
    output$n_tasks <- shiny::renderText(fmt(prog()$n_tasks))
    output$percent <- shiny::renderText({
      p <- prog()
      if (is.finite(p$n_tasks) && p$n_tasks > 0) sprintf("%.1f", 100 * p$done / p$n_tasks) else "\u2013"
    })
    output$failed <- shiny::renderText(fmt(prog()$failed))
    output$rate <- shiny::renderText({
      r <- prog()$rate
      if (is.finite(r)) format(signif(r, 3), big.mark = ",", scientific = FALSE) else "\u2013"
    })
    output$eta <- shiny::renderText({
      p <- prog()
      if (p$state == "running" && is.finite(p$eta_seconds) && p$eta_seconds >= 0) format_seconds(p$eta_seconds) else "\u2013"
    })
    output$bar <- shiny::renderUI({
      p <- prog()
      frac <- if (is.finite(p$n_tasks) && p$n_tasks > 0) c(p$done - p$failed, p$failed) / p$n_tasks else c(0, 0)
      frac <- pmax(0, pmin(1, frac))
      shiny::tags$div(class = "rsim-bar", style = "display: flex;",
        shiny::tags$div(style = sprintf("width: %.2f%%;", 100 * frac[1])),
        shiny::tags$div(class = "failed", style = sprintf("width: %.2f%%;", 100 * frac[2])))
    })
    output$progress_note <- shiny::renderText(progress_note(prog()))

    output$throughput <- shiny::renderPlot(plot_throughput(prog()), res = 96)
    output$ranks <- shiny::renderPlot(plot_ranks(prog()), res = 96)

    errors <- shiny::reactive(failed_tasks(path, prog(), result_sig()))
    output$errors_note <- shiny::renderText(attr(errors(), "note"))
    output$errors <- shiny::renderTable({
      e <- errors()
      if (nrow(e)) utils::head(e, 200L)
    }, striped = TRUE, digits = 4, na = "", spacing = "xs", class = "rsim-errors")

    info <- shiny::reactive({
      if (is.null(result_sig())) return(NULL)
      tryCatch(job_info(path), error = function(e) NULL)
    })
    output$has_results <- shiny::reactive(!is.null(info()))
    shiny::outputOptions(output, "has_results", suspendWhenHidden = FALSE)
    output$results_note <- shiny::renderText(results_note(prog(), info()))
    shiny::observe({
      i <- info()
      if (is.null(i)) return()
      ch <- numeric_field_choices(i$fields)
      keep <- shiny::isolate(input$field)
      shiny::updateSelectInput(session, "field", choices = ch, selected = if (isTRUE(keep %in% ch)) keep else ch[1])
      labels <- point_labels(i$grid)
      keep <- shiny::isolate(input$point)
      shiny::updateSelectInput(session, "point", choices = stats::setNames(seq_along(labels), labels),
                               selected = if (isTRUE(keep %in% seq_along(labels))) keep else 1L)
    })
    values <- shiny::reactive({
      i <- info()
      shiny::req(i, input$field, input$field %in% numeric_field_choices(i$fields))
      v <- read_field_values(path, input$field)
      s <- group_mean_se(v$value, v$point + 1L, nrow(i$grid))
      stats <- stats::setNames(data.frame(s$mean, s$se, s$n), paste0(input$field, c("_mean", "_se", "_n")))
      list(values = v, summary = cbind(i$grid, stats), labels = point_labels(i$grid))
    })
    output$estimates <- shiny::renderPlot(plot_estimates(values(), input$field), res = 96,
      height = function() {
        i <- info()
        max(300, 26 * (if (is.null(i)) 1 else nrow(i$grid)) + 90)
      })
    output$running <- shiny::renderPlot({
      v <- values()
      k <- as.integer(input$point)
      if (!length(k) || is.na(k)) k <- 1L
      plot_running(v, k, input$field)
    }, res = 96)
    output$summary <- shiny::renderTable({
      s <- values()$summary
      s[] <- lapply(s, function(x) if (is.double(x)) format(signif(x, 4), trim = TRUE) else x)
      s
    }, striped = TRUE, spacing = "xs", align = "r")
  }
}

progress_note <- function(p) {
  switch(p$source,
    "status file" = {
      note <- sprintf("From %s, updated %s UTC.", basename(paste0(p$path, ".status.json")),
                      sub("Z$", "", sub("T", " ", p$updated)))
      extra <- switch(p$state,
        stopped = "The process that wrote it no longer runs (killed?): run the job again to resume.",
        interrupted = "The job was interrupted; run the same command again to resume it.",
        "")
      paste(note, extra)
    },
    "result file" = sprintf("From the result file %s (finished %s UTC).", basename(p$path),
                            sub("Z$", "", sub("T", " ", p$updated))),
    sprintf("Waiting for the job to start: there is no %s and no result file yet.",
            basename(paste0(p$path, ".status.json"))))
}

failed_tasks <- function(path, p, sig) {
  running <- identical(p$source, "status file") && p$state %in% c("running", "stopped", "interrupted")
  if (!running && !is.null(sig)) {
    e <- tryCatch(cached_by_signature("errors", path, sig, read_errors), error = function(e) NULL)
    if (!is.null(e)) {
      e$calls <- NULL
      e$message <- substr(e$message, 1L, 300L)
      e$status <- as.character(e$status)
      note <- if (nrow(e)) {
        sprintf("%d failed task%s in the result file%s.", nrow(e), if (nrow(e) == 1L) "" else "s",
                if (nrow(e) > 200L) " (the first 200 shown; read_errors() gives them all)" else "")
      } else {
        "No task failed."
      }
      return(structure(e, note = note))
    }
  }
  e <- logged_errors(path, p$recent_errors)
  e$message <- substr(e$message, 1L, 300L)
  note <- if (nrow(e)) {
    sprintf("%d failed task%s logged so far by the ranks, oldest first; the full list with call stacks is in the result file when the job finishes.",
            nrow(e), if (nrow(e) == 1L) "" else "s")
  } else {
    "No task has failed so far."
  }
  structure(e, note = note)
}

results_note <- function(p, info) {
  running <- identical(p$source, "status file") && p$state %in% c("running", "stopped", "interrupted")
  if (is.null(info)) {
    why <- if (!is.null(p$results$error)) sprintf("The result file cannot be read: %s", p$results$error) else
      "There is no result file yet."
    return(paste(why, "While a job runs, rsim keeps its finished tasks in the checkpoint folder",
                 sprintf("%s.ckpt in a format private to rsim, so results are shown once the job has", basename(p$path)),
                 "finished and written the result file (an interrupted job: once it has been run again to the end).",
                 "This page switches to them by itself."))
  }
  note <- sprintf("Mean and Monte Carlo standard error (sd / sqrt(n)) over the tasks that finished ok, from the result file (%s tasks).",
                  format(info$n_tasks, big.mark = ","))
  if (running) {
    note <- paste(note, "These are the results of an earlier run: this run's results replace them when it finishes.")
  } else if (!isTRUE(info$complete)) {
    note <- paste(note, sprintf("The file is incomplete: %s tasks did not run.", format(info$n_not_run)))
  }
  note
}

# ---- plots (base graphics) ----------------------------------------------------

empty_plot <- function(text) {
  graphics::par(mar = c(0, 0, 0, 0))
  graphics::plot.new()
  graphics::text(0.5, 0.5, text, col = "grey40")
}

plot_throughput <- function(p) {
  h <- p$history
  rate <- if (is.null(h) || nrow(h) < 2L) numeric() else windowed_rate(h$seconds, h$done)
  if (sum(is.finite(rate)) < 2L) {
    msg <- if (identical(p$state, "running")) "Collecting samples\u2026" else
      "The throughput history is recorded while the dashboard is open during a run."
    if (is.finite(p$rate)) msg <- sprintf("%s\nAverage rate of the run: %s tasks/s", msg, format(signif(p$rate, 3), big.mark = ","))
    return(empty_plot(msg))
  }
  graphics::par(mar = c(4, 4.5, 1, 1))
  graphics::plot(h$seconds, rate, type = "l", lwd = 2, col = "#2c7be5", xlab = "seconds since the run started",
                 ylab = "tasks / s", ylim = c(0, max(c(rate, p$rate), 1, na.rm = TRUE) * 1.1), las = 1)
  if (is.finite(p$rate)) graphics::abline(h = p$rate, lty = 2, col = "grey40")
  graphics::legend("bottomright", c("last 5 s", "average"), lty = c(1, 2), lwd = c(2, 1),
                   col = c("#2c7be5", "grey40"), bty = "n", cex = 0.8)
}

plot_ranks <- function(p) {
  d <- p$done_per_rank
  if (!length(d)) return(empty_plot("No per-rank counts\n(they come from the status file)."))
  graphics::par(mar = c(4, 5.5, 1, 1))
  graphics::barplot(d, names.arg = seq_along(d) - 1L, col = "#2c7be5", border = NA, las = 1)
  graphics::title(xlab = "rank", line = 2.5)
  graphics::title(ylab = "tasks done", line = 4.2)
}

plot_estimates <- function(v, field) {
  s <- v$summary
  s <- stats::setNames(s[ncol(s) - 2:0], c("mean", "se", "n"))
  k <- nrow(s)
  y <- rev(seq_len(k))
  ok <- is.finite(s$mean)
  if (!any(ok)) return(empty_plot("No task finished ok."))
  lo <- s$mean - 2 * ifelse(is.finite(s$se), s$se, 0)
  hi <- s$mean + 2 * ifelse(is.finite(s$se), s$se, 0)
  left <- min(22, max(6, max(nchar(v$labels)) * 0.5))
  graphics::par(mar = c(4, left, 2, 1))
  graphics::plot(s$mean, y, xlim = range(c(lo, hi), na.rm = TRUE), yaxt = "n", pch = 19, col = "#2c7be5",
                 xlab = sprintf("%s: mean \u00b1 2 MC SE", field), ylab = "", ylim = c(0.5, k + 0.5))
  graphics::segments(lo, y, hi, y, col = "#2c7be5", lwd = 2)
  graphics::axis(2, at = y, labels = v$labels, las = 1, cex.axis = 0.75)
  graphics::mtext("per grid point", side = 3, line = 0.5, cex = 0.85)
}

plot_running <- function(v, k, field) {
  x <- v$values
  x <- x[x$point == k - 1L, , drop = FALSE]
  r <- running_mean_se(x$value[order(x$replicate)])
  if (!nrow(r)) return(empty_plot("No task of this point finished ok."))
  graphics::par(mar = c(4, 4.5, 2, 1))
  band <- is.finite(r$se)
  lo <- r$mean - 2 * ifelse(band, r$se, 0)
  hi <- r$mean + 2 * ifelse(band, r$se, 0)
  graphics::plot(r$k, r$mean, type = "n", ylim = range(c(lo[band], hi[band], r$mean), na.rm = TRUE),
                 xlab = "replicates (tasks ok)", ylab = field, las = 1)
  if (sum(band) > 1L) {
    graphics::polygon(c(r$k[band], rev(r$k[band])), c(lo[band], rev(hi[band])), col = "#2c7be533", border = NA)
  }
  graphics::lines(r$k, r$mean, lwd = 2, col = "#2c7be5")
  graphics::abline(h = r$mean[nrow(r)], lty = 2, col = "grey40")
  graphics::mtext(sprintf("running mean \u00b1 2 MC SE: %s", v$labels[k]), side = 3, line = 0.5, cex = 0.85)
}

# ---- background apps (shared by monitor() and serve()) -----------------------

check_installed <- function(pkg, what, debian) {
  if (!requireNamespace(pkg, quietly = TRUE)) {
    cli::cli_abort(c("{.fn {what}} needs the {.pkg {pkg}} package.",
      i = "Install it: {.code install.packages(\"{pkg}\")} (on Debian: {.code apt-get install {debian}})."
    ), call = parent.frame())
  }
}

check_host_port <- function(host, port, call = parent.frame()) {
  if (!is.character(host) || length(host) != 1L || is.na(host) || !nzchar(host)) {
    cli::cli_abort("{.arg host} must be an address to listen on, such as {.val 127.0.0.1}.", call = call)
  }
  if (!is.null(port) && (!is.numeric(port) || length(port) != 1L || is.na(port) || port < 1 || port > 65535 ||
                         port != round(port))) {
    cli::cli_abort("{.arg port} must be a TCP port number (1 to 65535), or NULL for a free port.", call = call)
  }
}

# A TCP port nobody listens on (checked by binding it), chosen without
# touching the session's random number stream.
free_port <- function() {
  base <- as.numeric(Sys.time()) * 1000 + Sys.getpid() * 7919
  for (i in 0:199) {
    p <- 49152L + as.integer((base + i * 104729) %% 16000)
    s <- tryCatch(serverSocket(p), error = function(e) NULL, warning = function(w) NULL)
    if (!is.null(s)) {
      close(s)
      return(p)
    }
  }
  cli::cli_abort("Cannot find a free TCP port; give one with {.arg port}.")
}

port_open <- function(host, port) {
  target <- if (host %in% c("0.0.0.0", "::")) "127.0.0.1" else host
  con <- tryCatch(suppressWarnings(socketConnection(target, port, open = "r+b", blocking = TRUE, timeout = 1)),
                  error = function(e) NULL)
  if (is.null(con)) return(FALSE)
  close(con)
  TRUE
}

# Starts `Rscript -e expr` (an app listening on host:port) in the
# background with this session's library paths, waits until the port
# answers, and returns a handle with url, stop(), alive(), log().  The
# handle is also kept in the package so the app does not stop when the
# user drops it; the app ends with this R session (processx supervises it).
start_app_process <- function(expr, host, port, path, what, class, timeout = 60, call = parent.frame()) {
  rscript <- file.path(R.home("bin"), "Rscript")
  log <- tempfile(paste0("rsim-", what, "-"), fileext = ".log")
  env <- c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep))
  proc <- processx::process$new(rscript, c("--no-save", "--no-restore", "-e", expr), stdout = log, stderr = "2>&1",
                                env = env, cleanup = TRUE, supervise = TRUE)
  read_log <- function() if (file.exists(log)) readLines(log, warn = FALSE) else character()
  deadline <- Sys.time() + timeout
  repeat {
    if (!proc$is_alive()) {
      cli::cli_abort(c("The {what} stopped before it could serve {.file {path}} (exit code {proc$get_exit_status()}).",
        x = cli_text_escape(paste(utils::tail(read_log(), 8L), collapse = "\n"))
      ), call = call)
    }
    if (port_open(host, port)) break
    if (Sys.time() > deadline) {
      proc$kill_tree()
      cli::cli_abort(c("The {what} did not start listening on {host}:{port} within {timeout} s.",
        x = cli_text_escape(paste(utils::tail(read_log(), 8L), collapse = "\n"))
      ), call = call)
    }
    Sys.sleep(0.1)
  }
  url_host <- if (host %in% c("0.0.0.0", "::")) "127.0.0.1" else if (grepl(":", host, fixed = TRUE)) sprintf("[%s]", host) else host
  h <- new.env(parent = emptyenv())
  h$url <- sprintf("http://%s:%d", url_host, as.integer(port))
  h$host <- host
  h$port <- as.integer(port)
  h$path <- path
  h$process <- proc
  h$log <- read_log
  h$alive <- function() proc$is_alive()
  h$stop <- function() {
    if (proc$is_alive()) {
      proc$interrupt()  # shiny and plumber stop on SIGINT within about 2 s
      proc$wait(3000)
      if (proc$is_alive()) {
        proc$kill_tree()
        proc$wait(2000)
      }
    }
    .rsim_cache$apps[[h$url]] <- NULL
    invisible(!proc$is_alive())
  }
  class(h) <- class
  if (is.null(.rsim_cache$apps)) .rsim_cache$apps <- list()
  .rsim_cache$apps[[h$url]] <- h
  h
}

# RStudio's Viewer pane when available, else the web browser.
open_in_viewer <- function(url) {
  if (requireNamespace("rstudioapi", quietly = TRUE) &&
      isTRUE(tryCatch(rstudioapi::isAvailable() && rstudioapi::hasFun("viewer"), error = function(e) FALSE))) {
    rstudioapi::viewer(url)
  } else {
    utils::browseURL(url)
  }
  invisible(url)
}

`%||%` <- function(x, y) if (is.null(x)) y else x

as_number <- function(x, default = NA_real_) if (is.numeric(x) && length(x) == 1L && !is.na(x)) as.numeric(x) else default
as_string <- function(x, default) if (is.character(x) && length(x) == 1L && !is.na(x)) x else default
