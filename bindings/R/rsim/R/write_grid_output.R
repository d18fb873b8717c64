# The [output] table of write_grid(): what the result file keeps, and
# precision targets (docs/summaries.md).  rsim itself checks the values
# further when write_grid() asks it to read the new grid.toml.
output_lines <- function(keep, block, target_mcse, min_replicates, call = parent.frame()) {
  out <- character()
  if (!is.null(keep)) {
    if (!is.character(keep) || length(keep) != 1L || !keep %in% c("tasks", "summary")) {
      cli::cli_abort("{.arg keep} must be {.val tasks} or {.val summary}.", call = call)
    }
    out <- c(out, sprintf("keep = %s", toml_quote(keep)))
  }
  for (k in c("block", "min_replicates")) {
    v <- get(k)
    if (is.null(v)) next
    if (!is.numeric(v) || length(v) != 1L || is.na(v) || v < 1 || v != round(v)) {
      cli::cli_abort("{.arg {k}} must be a whole number of at least 1.", call = call)
    }
    out <- c(out, sprintf("%s = %s", k, format(v, scientific = FALSE)))
  }
  if (!is.null(target_mcse)) {
    t <- unlist(target_mcse)
    if (!is.numeric(t) || !length(t) || is.null(names(t)) || any(!nzchar(names(t))) || anyNA(t) || any(t <= 0)) {
      cli::cli_abort("{.arg target_mcse} must name fields with positive Monte Carlo SEs, e.g. {.code list(reject = 0.005)}.",
                     call = call)
    }
    out <- c(out, sprintf("target_mcse = { %s }",
                          paste(sprintf("%s = %s", toml_key(names(t)), toml_values(as.double(t))), collapse = ", ")))
  }
  if (length(out)) c("[output]", out) else out
}
