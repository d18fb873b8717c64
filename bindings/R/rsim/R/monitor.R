#' Watch an rsim job in a dashboard
#'
#' Opens a Shiny dashboard of a job, run by a background R process so that
#' this R session stays free.  The dashboard shows
#' * the progress: state, tasks done of the total, failed tasks, the rate
#'   and the time left, refreshed every `interval` seconds from the
#'   `<output>.status.json` file a running job rewrites; for a finished job
#'   without a status file, the counts of the result file.  The numbers go
#'   to the page first: the plots and tables below are redrawn after them,
#'   at most every `max(interval, 4 x the time the last redraw took)`
#'   seconds, so that drawing on a busy machine never holds them up;
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
#' rsim.  The dashboard shows running estimates from a snapshot of them
#' (`rsim snapshot`, taken in the background every `max(5, interval)`
#' seconds at most; this needs the rsim program: `RSIM_BIN` or `rsim` on
#' the `PATH`) and says how many tasks they rest on; it switches to the result file by itself when that appears.
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
#' @param port the TCP port; default a free port.  A port another process
#'   listens on is an error.
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
  port <- app_port(host, port)
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
# background process that monitor() starts, whose token its page names).
run_monitor_app <- function(path, host = "127.0.0.1", port = 8080L, interval = 1, token = Sys.getenv("RSIM_APP_TOKEN")) {
  loadNamespace("hdf5r") # now, not in the first refresh that reads results (it takes about a second)
  shiny::runApp(monitor_app(path, interval, token), host = host, port = as.integer(port), launch.browser = FALSE,
                quiet = TRUE)
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

# ---- what the dashboard shows ----------------------------------------------

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

# Takes snapshots of a running job's checkpoints in the background, one at
# a time and at most one every `every` seconds, each into a new temporary
# file: poll() (at each refresh) starts the next or hands a finished one to
# the reactive value `into` (removing the file shown before); close() stops.
snapshot_taker <- function(path, every, into) {
  st <- new.env(parent = emptyenv())
  st$started <- -Inf
  finish <- function() {
    s <- tryCatch(finish_snapshot(st$proc, st$file), error = function(e) NULL)
    st$proc <- NULL
    if (is.null(s)) return(unlink(st$file))
    old <- st$shown
    st$shown <- st$file
    into(c(s, taken = format(Sys.time(), "%H:%M:%S")))
    unlink(old)
  }
  poll <- function() {
    if (!is.null(st$proc)) return(if (!st$proc$is_alive()) finish())
    if (as.numeric(Sys.time()) - st$started < every) return()
    st$started <- as.numeric(Sys.time())
    st$file <- tempfile("rsim-monitor-", fileext = ".h5")
    st$proc <- tryCatch(start_snapshot(path, st$file), error = function(e) NULL)
  }
  close <- function() {
    if (!is.null(st$proc)) st$proc$kill()
    unlink(c(st$file, st$shown))
    st$proc <- st$file <- st$shown <- NULL
  }
  list(poll = poll, close = close)
}

# ---- the Shiny app ----------------------------------------------------------

monitor_app <- function(path, interval = 1, token = "") {
  shiny::shinyApp(ui = monitor_ui(path, token), server = monitor_server(path, interval))
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

monitor_ui <- function(path, token = "") {
  stat <- function(label, id, suffix = NULL) {
    shiny::tags$div(class = "rsim-stat",
      shiny::tags$span(class = "label", label),
      shiny::tags$span(class = "value", shiny::textOutput(id, inline = TRUE), suffix))
  }
  box <- function(title, ...) shiny::tags$div(class = "rsim-box", shiny::tags$h4(title), ...)
  shiny::fluidPage(
    title = sprintf("rsim: %s", basename(path)),
    shiny::tags$head(shiny::tags$style(shiny::HTML(monitor_css)),
                     if (nzchar(token)) shiny::tags$meta(name = "rsim-token", content = token)),
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
    live <- live_progress(path, interval, session)
    progress_outputs(output, live$now)
    values <- detail_outputs(input, output, session, path, interval, live$shown) # (tests read values())
  }
}

# The job's progress as two reactive values: `now`, read every `interval`
# seconds, for the numbers; and `shown`, the same for the plots and tables,
# handed on only once the numbers are on their way to the page and at most
# every max(interval, 4 x the time drawing took) seconds, so that drawing
# on a busy machine never holds up the numbers.
live_progress <- function(path, interval, session) {
  hist <- new.env(parent = emptyenv())
  hist$seconds <- numeric()
  hist$done <- numeric()
  first <- job_progress(path)
  record_history(hist, first)
  now <- shiny::reactiveVal(first)
  shown <- shiny::reactiveVal(first)
  pace <- new.env(parent = emptyenv())
  pace$next_at <- 0
  hand_on <- function(p) {
    pace$next_at <- Inf
    session$onFlushed(function() later::later(function() {
      t0 <- as.numeric(Sys.time())
      shown(p)
      session$onFlushed(function() pace$next_at <- t0 + max(interval, 4 * (as.numeric(Sys.time()) - t0)))
    }), once = TRUE)
  }
  shiny::observe({
    shiny::invalidateLater(interval * 1000)
    p <- job_progress(path)
    record_history(hist, p)
    p$history <- data.frame(seconds = hist$seconds, done = hist$done)
    now(p)
    if (as.numeric(Sys.time()) >= pace$next_at) hand_on(p)
  })
  list(now = now, shown = shown)
}

# The numbers: state, tasks done, failed, rate, time left and the bar.
progress_outputs <- function(output, prog) {
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
}

# The plots and tables: throughput, ranks, failures, and the results of a
# chosen field (running estimates from snapshots while the job runs); returns
# the reactive values of that field.
detail_outputs <- function(input, output, session, path, interval, prog) {
  result_sig <- shiny::reactiveVal(shiny::isolate(prog())$results$signature)
  shiny::observe({
    p <- prog()
    result_sig(if (is.null(p$results$counts)) NULL else p$results$signature)
  })
  output$throughput <- shiny::renderPlot(plot_throughput(prog()), res = 96)
  output$ranks <- shiny::renderPlot(plot_ranks(prog()), res = 96)

  errors <- shiny::reactive(failed_tasks(path, prog(), result_sig()))
  output$errors_note <- shiny::renderText(attr(errors(), "note"))
  output$errors <- shiny::renderTable({
    e <- errors()
    if (nrow(e)) utils::head(e, 200L)
  }, striped = TRUE, digits = 4, na = "", spacing = "xs", class = "rsim-errors")

  results_outputs(input, output, session, path, interval, prog, result_sig)
}

# The results of a chosen field: from the result file, or for a job without
# one yet, running estimates from a snapshot of what it committed so far
# (`rsim snapshot`), taken every 5 s at most, in the background so that
# nothing waits for it.  Returns the reactive values of the field.
results_outputs <- function(input, output, session, path, interval, prog, result_sig) {
  snap <- shiny::reactiveVal(NULL)
  snapper <- snapshot_taker(path, max(5, interval), snap)
  session$onSessionEnded(snapper$close)
  shiny::observe({
    p <- prog()
    if (is.null(p$results$counts)) return(snapper$poll())
    snapper$close()
    if (!is.null(shiny::isolate(snap()))) snap(NULL)
  })
  source_file <- shiny::reactive(if (!is.null(result_sig())) path else snap()$snapshot)
  info <- shiny::reactive({
    if (!is.null(result_sig())) return(tryCatch(job_info(path), error = function(e) NULL))
    s <- snap()
    if (is.null(s)) return(NULL)
    tryCatch(structure(job_info(s$snapshot), partial = s), error = function(e) NULL)
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
    if (keeps_summary(source_file())) { # per-point summaries: no per-task values to plot
      v <- NULL
      m <- read_summary(source_file(), fields = input$field)
      s <- list(mean = m[[paste0(input$field, "_mean")]], se = m[[paste0(input$field, "_mcse")]],
                n = m[[paste0(input$field, "_n")]])
    } else {
      v <- read_field_values(source_file(), input$field)
      s <- group_mean_se(v$value, v$point + 1L, nrow(i$grid))
    }
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
  values
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
    how <- if (nzchar(rsim_binary(required = FALSE))) {
      "Running estimates appear here once the job has committed its first tasks (every few seconds, from a snapshot of its checkpoints),"
    } else {
      "Running estimates need the rsim program (set RSIM_BIN for the R session that serves this page); until then"
    }
    return(paste(why, how, "and the final results once the job has written its result file.",
                 "This page switches to them by itself."))
  }
  if (!is.null(s <- attr(info, "partial"))) {
    return(sprintf(paste("Running estimates: mean and Monte Carlo standard error (sd / sqrt(n)) over the tasks that finished ok",
                         "among the %s of %s committed so far (partial; a snapshot of the checkpoints taken at %s, refreshed every few seconds)."),
                   format(s$committed, big.mark = ","), format(s$n_tasks, big.mark = ","), s$taken))
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
