#' Find the rsim command-line program
#'
#' Looks, in this order, at the option `rsim.binary`, the environment
#' variable `RSIM_BIN`, then `rsim` on the `PATH`.
#'
#' @param required if `TRUE` (default), stop with a message saying where
#'   it looked when no binary is found; if `FALSE`, return `""` instead.
#' @return The path of the rsim binary, or `""`.
#' @export
#' @examples
#' rsim_binary(required = FALSE)
#' if (nzchar(rsim_binary(required = FALSE))) rsim_version()
rsim_binary <- function(required = TRUE) {
  cand <- c(
    option = getOption("rsim.binary", ""),
    env = Sys.getenv("RSIM_BIN", ""),
    path = unname(Sys.which("rsim"))
  )
  for (src in names(cand)) {
    p <- cand[[src]]
    if (is.null(p) || !nzchar(p)) next
    if (file.exists(p) && !dir.exists(p)) return(normalizePath(p))
    if (required) {
      what <- switch(src, option = "option {.code rsim.binary}", env = "environment variable {.envvar RSIM_BIN}", "PATH")
      cli::cli_abort(c(paste0("The rsim binary given by the ", what, " does not exist: {.file {p}}."),
        i = "Build rsim (cmake --build build) and point {.envvar RSIM_BIN} or {.code options(rsim.binary = )} at {.file build/rsim}."
      ))
    }
  }
  if (required) {
    cli::cli_abort(c("Cannot find the rsim program.",
      i = "Looked at {.code getOption(\"rsim.binary\")}, the environment variable {.envvar RSIM_BIN} and the {.envvar PATH}.",
      i = "Build rsim (cmake -S . -B build && cmake --build build) and set {.code options(rsim.binary = \"/path/to/build/rsim\")} or {.envvar RSIM_BIN}."
    ))
  }
  ""
}

#' The version of the rsim binary
#'
#' @param binary the rsim binary; default [rsim_binary()].
#' @return A list with `version` (a string such as `"0.1.0"`) and
#'   `format` (the result-file format it writes, an integer).
#' @export
#' @examples
#' if (nzchar(rsim_binary(required = FALSE))) rsim_version()
rsim_version <- function(binary = rsim_binary()) {
  if (!is.null(.rsim_cache$versions[[binary]])) return(.rsim_cache$versions[[binary]])
  r <- keeping_rng(tryCatch(processx::run(binary, "--version", error_on_status = FALSE, timeout = 30),
    error = function(e) list(status = -1L, stdout = "", stderr = conditionMessage(e))
  ))
  m <- regmatches(r$stdout, regexec("rsim ([^ ]+) \\(result format ([0-9]+)\\)", r$stdout))[[1]]
  if (r$status != 0L || length(m) != 3L) {
    cli::cli_abort(c("{.file {binary}} does not look like rsim: {.code {binary} --version} printed {.val {trimws(r$stdout)}} (exit code {r$status}).",
      x = if (nzchar(r$stderr)) "{trimws(r$stderr)}"
    ))
  }
  v <- list(version = m[2], format = as.integer(m[3]))
  .rsim_cache$versions[[binary]] <- v
  v
}

# Stops if the binary writes an older result format than a file's.
check_binary_format <- function(binary, file_format, call = parent.frame()) {
  if (is.null(file_format)) return(invisible())
  v <- rsim_version(binary)
  if (v$format < file_format) {
    cli::cli_abort(c("The rsim binary {.file {binary}} (version {v$version}) writes result format {v$format}, older than the file's format {file_format}.",
      i = "Use the rsim that wrote the file: set {.code options(rsim.binary = )} or {.envvar RSIM_BIN}."
    ), call = call)
  }
  invisible()
}
