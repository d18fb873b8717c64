# The environment reproduce_task() runs a task in: what the ranks had and
# nothing of the session's global environment.  A rank sources the script
# into its (empty) global environment; here a new environment stands in
# for it, its parent the session's search path below the global
# environment, so a name the ranks did not have is not found in the session
# either.  Functions the ranks had in their global environment (shipped
# helpers, whose environment is the global environment) get this one.

# Attaches the job's packages, sources its script and runs its setup
# function, as rsim does on every rank; returns the environment, with the
# files read at set-up in attribute "read" (kind "sourced" or "loaded", path).
task_environment <- function(job, script) {
  for (p in job$task$packages) {
    if (!requireNamespace(p, quietly = TRUE)) {
      cli::cli_abort("The job needs package {.pkg {p}}, which is not installed.")
    }
    if (!paste0("package:", p) %in% search()) {
      suppressPackageStartupMessages(attachNamespace(p))
    }
  }
  env <- new.env(parent = parent.env(globalenv()))
  list2env(job_data(job), envir = env) # [data] inputs, defined before the script as on a rank
  watch <- read_watchers()
  list2env(watch$functions, envir = env)
  keeping_globalenv(env, {
    source(script, local = env, echo = FALSE, keep.source = TRUE)
    fname <- job$task[["function"]]
    if (is.null(get0(fname, envir = env, mode = "function"))) {
      cli::cli_abort("The script {.file {script}} defines no function {.fn {fname}}.")
    }
    run_setup(job, env, script)
  })
  for (n in names(watch$functions)) { # a script that defined its own source() keeps it
    if (identical(get0(n, envir = env, inherits = FALSE), watch$functions[[n]])) rm(list = n, envir = env)
  }
  rebind_closures(env)
  structure(env, read = watch$read())
}

# The job's [data] inputs as data frames by name, loaded by the rsim
# program exactly as a rank loads them (`rsim inspect --data`).
job_data <- function(job, call = parent.frame()) {
  if (!length(job$json$data)) return(list())
  target <- if (!is.null(job$file)) job$file else job$grid_path
  r <- rsim_exec(c("inspect", "--data", normalizePath(target)), call = call)
  tables <- jsonlite::fromJSON(r$stdout, simplifyVector = FALSE)$data
  stats::setNames(lapply(tables, data_frame_of), vapply(tables, `[[`, "", "name"))
}

# One table of `rsim inspect --data` as the data frame a rank defines:
# double and character columns, compact row names.
data_frame_of <- function(t) {
  cols <- lapply(t$columns, function(col) {
    if (identical(col$type, "character")) return(as.character(unlist(col$values)))
    v <- vapply(col$values, function(x) if (is.null(x)) NA_real_ else as.numeric(x), 0)
    sp <- col$special
    v[unlist(sp[["NaN"]]) + 1] <- NaN
    v[unlist(sp[["Inf"]]) + 1] <- Inf
    v[unlist(sp[["-Inf"]]) + 1] <- -Inf
    v
  })
  names(cols) <- vapply(t$columns, `[[`, "", "name")
  structure(cols, row.names = .set_row_names(as.integer(t$rows)), class = "data.frame")
}

# Runs the job's set-up function, if any, as rsim does once per rank.
run_setup <- function(job, env, script) {
  setup <- job$task$setup
  if (is.null(setup)) return(invisible())
  sfun <- get0(setup, envir = env, mode = "function")
  if (is.null(sfun)) cli::cli_abort("The script {.file {script}} defines no setup function {.fn {setup}}.")
  sfun()
  invisible()
}

# source(), sys.source(), readRDS() and load() that record the files they
# read, as rsim records them at set-up (the "sourced file" and "loaded
# file" parts of the job's identity).
read_watchers <- function() {
  log <- new.env(parent = emptyenv())
  log$read <- data.frame(kind = character(), path = character())
  record <- function(file, kind) {
    if (is.character(file) && length(file) == 1L && !is.na(file) && file.exists(file)) {
      log$read[nrow(log$read) + 1L, ] <- list(kind, normalizePath(file))
    }
  }
  fns <- list(
    source = function(file, local = FALSE, ...) {
      record(file, "sourced")
      if (isTRUE(local)) local <- parent.frame()
      base::source(file, local = local, ...)
    },
    sys.source = function(file, ...) {
      record(file, "sourced")
      base::sys.source(file, ...)
    },
    readRDS = function(file, ...) {
      record(file, "loaded")
      base::readRDS(file, ...)
    },
    load = function(file, envir = parent.frame(), ...) {
      record(file, "loaded")
      base::load(file, envir = envir, ...)
    }
  )
  list(functions = fns, read = function() unique(log$read))
}

# Evaluates `expr`; whatever it created or changed in the session's global
# environment (with <<- or assign(), as set-up functions do on a rank) is
# moved to `env` and the session's own objects are put back.
keeping_globalenv <- function(env, expr) {
  genv <- globalenv()
  before <- mget(ls(genv, all.names = TRUE), envir = genv)
  on.exit({
    now <- setdiff(ls(genv, all.names = TRUE), ".Random.seed")
    for (nm in now) {
      val <- get(nm, envir = genv)
      if (nm %in% names(before) && identical(val, before[[nm]])) next
      assign(nm, val, envir = env)
      if (nm %in% names(before)) assign(nm, before[[nm]], envir = genv) else rm(list = nm, envir = genv)
    }
    for (nm in setdiff(names(before), c(now, ".Random.seed"))) assign(nm, before[[nm]], envir = genv)
  })
  expr
}

# Functions in `env` whose environment is the session's global environment
# (helpers shipped as globals: on a rank, they live in its global
# environment) get `env` instead; an environment of such a function whose
# parent is the global environment gets `env` as its parent.
rebind_closures <- function(env) {
  genv <- globalenv()
  for (nm in ls(env, all.names = TRUE)) {
    f <- get(nm, envir = env)
    if (!is.function(f) || is.primitive(f)) next
    if (identical(environment(f), genv)) {
      environment(f) <- env
      assign(nm, f, envir = env)
      next
    }
    e <- environment(f)
    while (!identical(e, env) && !identical(e, genv) && !identical(e, emptyenv()) && is.null(package_of_env(e))) {
      if (identical(parent.env(e), genv)) {
        parent.env(e) <- env
        break
      }
      e <- parent.env(e)
    }
  }
  invisible(env)
}

# Stops unless the files a reproduction uses are those the results were
# made with: the task script and the files read at set-up (sourced
# scripts, the globals), whose hashes the result file's identity records.
# `read` is what task_environment() saw; NULL checks the script alone.
check_recorded_inputs <- function(job, script, read = NULL, call = parent.frame()) {
  parts <- job$identity
  if (is.null(parts)) return(invisible()) # a grid.toml, or a file from before rsim recorded the identity
  parts <- parts[parts$refused_if_changed, , drop = FALSE]
  at <- grepl("^task script ", parts$part)
  shown_script <- sub("^task script ", "", parts$part[at])
  dirs <- recorded_dirs(job, script, shown_script)
  used <- data.frame(kind = c("task script", if (length(read$kind)) paste(read$kind, "file")), path = c(script, read$path))
  bad <- character()
  for (i in seq_len(nrow(used))) {
    names <- paste(used$kind[i], shown_paths(used$path[i], dirs))
    was <- parts$value[match(names, parts$part)]
    was <- was[!is.na(was)][1]
    if (!is.na(was) && (now <- sha256_file(used$path[i])) != was) {
      bad <- c(bad, sprintf("%s (%s): sha256 %s.. when the results were made, %s.. now", used$kind[i], used$path[i],
                            short_hash(was), short_hash(now)))
    }
  }
  if (!length(bad)) return(invisible())
  cli::cli_abort(c("The job's files changed since {.file {job$file}} was made, so its tasks cannot be reproduced:",
    stats::setNames(cli_text_escape(bad), rep("x", length(bad))),
    i = "Restore the script and globals the job ran with, or run the job again with {.code fresh = TRUE} to make results of these."
  ), class = "rsim_changed_job", call = call)
}

# Folders a recorded relative path may be relative to: the grid.toml's
# folder where the script is now, and where the job ran.
recorded_dirs <- function(job, script, shown_script) {
  dirs <- character()
  if (length(shown_script) == 1L && !is_absolute(shown_script)) {
    tail <- paste0("/", shown_script)
    if (endsWith(script, tail)) dirs <- c(dirs, substr(script, 1L, nchar(script) - nchar(tail)))
    ran <- job$json$task$script
    if (!is.null(ran) && endsWith(ran, tail)) dirs <- c(dirs, substr(ran, 1L, nchar(ran) - nchar(tail)))
  }
  src <- job$json$source$path
  unique(c(dirs, if (!is.null(src) && is_absolute(src)) dirname(src)))
}

# How rsim would show `path`: relative to each of `dirs` it lies below, or
# as it is.
shown_paths <- function(path, dirs) {
  below <- dirs[startsWith(path, paste0(dirs, "/"))]
  c(substring(path, nchar(below) + 2L), path)
}
