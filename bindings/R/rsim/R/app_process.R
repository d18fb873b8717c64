# Background apps, shared by monitor() and serve(): checks of the optional
# package, host and port, a free port, and a background R process serving
# the app, returned as a handle once the port answers.

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
