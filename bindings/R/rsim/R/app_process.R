# Background apps, shared by monitor() and serve(): checks of the optional
# package, host and port, a free port, and a background R process serving
# the app, returned as a handle once the app itself answers on the port.

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

# The port to serve on: a free one for NULL, else `port` once checked that
# no other process listens on it.
app_port <- function(host, port, call = parent.frame()) {
  if (is.null(port)) return(free_port())
  if (port_open(host, port)) {
    cli::cli_abort(c("{host_port(host, port)} is already in use: another process listens on it.",
      i = "Give another {.arg port}, or {.code port = NULL} for a free one."
    ), call = call)
  }
  as.integer(port)
}

# The address to connect to an app listening on host.
connect_host <- function(host) if (host %in% c("0.0.0.0", "::")) "127.0.0.1" else host

# "host:port", an IPv6 address in brackets.
host_port <- function(host, port) {
  sprintf(if (grepl(":", host, fixed = TRUE)) "[%s]:%d" else "%s:%d", host, as.integer(port))
}

connect <- function(host, port, blocking = TRUE) {
  tryCatch(suppressWarnings(socketConnection(connect_host(host), port, open = "r+b", blocking = blocking, timeout = 1)),
           error = function(e) NULL)
}

port_open <- function(host, port) {
  con <- connect(host, port)
  if (is.null(con)) return(FALSE)
  close(con)
  TRUE
}

# What host:port answers to GET / (status line, headers and body) within
# `wait` seconds, or as soon as it holds `token`; "" when nothing answers.
# Reads without blocking: a listener that accepts and never answers (or
# never accepts) cannot hold the caller.
http_reply <- function(host, port, token = NULL, wait = 1) {
  con <- connect(host, port, blocking = FALSE)
  if (is.null(con)) return("")
  on.exit(close(con))
  tryCatch({
    writeLines(c("GET / HTTP/1.0", sprintf("Host: %s", host_port(connect_host(host), port)), ""), con, sep = "\r\n")
    flush(con)
    got <- character()
    deadline <- Sys.time() + wait
    repeat {
      got <- c(got, suppressWarnings(readLines(con, warn = FALSE)))
      text <- paste(got, collapse = "\n")
      if ((!is.null(token) && grepl(token, text, fixed = TRUE)) || Sys.time() > deadline) return(text)
      Sys.sleep(0.02)
    }
  }, error = function(e) "")
}

# A token naming one start of an app (it serves it back: run_api() in a
# header, the dashboard in its page), drawn without touching the session's
# random number stream.
app_token <- function() sprintf("%s-%.0f", basename(tempfile("rsim")), as.numeric(Sys.time()) * 1e6)

# Starts `Rscript -e expr` (an app listening on host:port) in the
# background with this session's library paths, its rsim program in
# RSIM_BIN and a token in RSIM_APP_TOKEN, waits until the app answers on
# the port with that token (so not another process holding the port), and
# returns a handle with url, stop(), alive(), log().  The handle is also
# kept in the package so the app does not stop when the user drops it; the
# app ends with this R session (processx supervises it).
start_app_process <- function(expr, host, port, path, what, class, timeout = 60, call = parent.frame()) {
  rscript <- file.path(R.home("bin"), "Rscript")
  log <- tempfile(paste0("rsim-", what, "-"), fileext = ".log")
  token <- app_token()
  env <- c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep), RSIM_APP_TOKEN = token)
  bin <- rsim_binary(required = FALSE) # for snapshots of a running job, also when options(rsim.binary) named it
  if (nzchar(bin)) env <- c(env, RSIM_BIN = bin)
  proc <- processx::process$new(rscript, c("--no-save", "--no-restore", "-e", expr), stdout = log, stderr = "2>&1",
                                env = env, cleanup = TRUE, supervise = TRUE)
  read_log <- function() if (file.exists(log)) readLines(log, warn = FALSE) else character()
  wait_for_app(proc, token, host, port, path, what, timeout, read_log, call)
  h <- new.env(parent = emptyenv())
  h$url <- sprintf("http://%s", host_port(connect_host(host), port))
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

# Waits until the app of proc answers on host:port with its token; stops
# with the app's output when it exits first (as when another process holds
# the port), or when it does not answer within timeout seconds.
wait_for_app <- function(proc, token, host, port, path, what, timeout, read_log, call) {
  tail_log <- function() {
    out <- utils::tail(read_log(), 8L)
    if (length(out)) cli_text_escape(paste(out, collapse = "\n"))
  }
  where <- host_port(host, port)
  deadline <- Sys.time() + timeout
  other <- FALSE
  repeat {
    if (!proc$is_alive()) {
      in_use <- any(grepl("Failed to create server|address already in use", read_log()))
      cli::cli_abort(c("The {what} stopped before it could serve {.file {path}} (exit code {proc$get_exit_status()}).",
        x = tail_log(),
        i = if (in_use) "Another process listens on {where}: give another {.arg port}, or {.code port = NULL} for a free one."
      ), call = call)
    }
    reply <- http_reply(host, port, token)
    if (grepl(token, reply, fixed = TRUE)) return(invisible())
    other <- other || nzchar(reply)
    if (Sys.time() > deadline) {
      proc$kill_tree()
      cli::cli_abort(c("The {what} did not start listening on {where} within {timeout} s.",
        x = if (other) "Another process answers on {where}.",
        x = tail_log()
      ), call = call)
    }
    Sys.sleep(0.1)
  }
}
