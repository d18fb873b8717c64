# Globals of a task function, found before launch: the free variables and
# helper functions it uses (helpers' own globals too, recursively), the
# attached packages whose functions it calls, and the packages it calls as
# pkg::fun.  Static code inspection by the globals package (codetools).

# What `fun` (and `setup`) need on every rank: a list of `globals` (named,
# sorted by name), `packages` to attach (in the session's search order:
# attached last here, attached last there), `namespaces` to load (pkg::fun),
# `missing` (a data frame of names found nowhere and who uses them) and
# `uninstalled` packages.  Names in `exclude` are given by rsim (grid
# parameters, [args], [data], the script's own functions) or by the user.
find_globals <- function(fun, setup = NULL, exclude = character()) {
  queue <- list(list(fun = fun, label = "the task function"))
  if (is.function(setup)) queue <- c(queue, list(list(fun = setup, label = "the setup function")))
  found <- list(globals = list(), packages = character(), namespaces = character(),
                missing = data.frame(name = character(), used_by = character()), skip = character())
  queued <- character()
  while (length(queue)) { # breadth first: a helper's globals, then theirs
    found <- scan_function(queue[[1]]$fun, queue[[1]]$label, found, exclude)
    queue <- queue[-1]
    for (nm in setdiff(names(found$globals), queued)) {
      queued <- c(queued, nm)
      if (is_user_closure(found$globals[[nm]])) queue <- c(queue, list(list(fun = found$globals[[nm]], label = paste0(nm, "()"))))
    }
  }
  finish_globals(found)
}

# Adds what one function uses to `found`.
scan_function <- function(f, label, found, exclude) {
  gl <- globals::globalsOf(f, envir = environment(f), mustExist = FALSE, recursive = FALSE, method = "ordered")
  where <- attr(gl, "where")
  facts <- code_facts(f)
  found$namespaces <- union(found$namespaces, facts$namespaces)
  found$skip <- union(found$skip, facts$assigned) # made by the code itself (<<-, assign)
  for (nm in setdiff(names(gl), c(exclude, names(found$globals)))) {
    w <- where[[nm]]
    if (is.null(w) || !is.environment(w)) {
      if (!nm %in% facts$formula) found$missing[nrow(found$missing) + 1L, ] <- list(nm, label)
    } else if (!is.null(pkg <- package_of_env(w))) {
      if (pkg != "base") found$packages <- union(found$packages, pkg)
    } else {
      found$globals[[nm]] <- gl[[nm]]
    }
  }
  found
}

finish_globals <- function(found) {
  miss <- found$missing[!found$missing$name %in% c(found$skip, names(found$globals)), , drop = FALSE]
  miss <- miss[!duplicated(miss$name), , drop = FALSE]
  attached <- sub("^package:", "", rev(search()))
  pkgs <- attached[attached %in% found$packages]
  ns <- sort(setdiff(found$namespaces, c("base", pkgs)))
  list(
    globals = found$globals[sort(names(found$globals))], packages = pkgs, namespaces = ns,
    missing = miss, uninstalled = ns[!vapply(ns, requireNamespace, NA, quietly = TRUE)]
  )
}

# The package an environment belongs to (an attached package, a namespace,
# base), or NULL for the global environment and other user environments.
package_of_env <- function(e) {
  if (identical(e, baseenv()) || identical(e, .BaseNamespaceEnv)) return("base")
  if (isNamespace(e)) return(getNamespaceName(e)[[1]])
  nm <- environmentName(e)
  if (startsWith(nm, "package:")) return(sub("^package:", "", nm))
  NULL
}

# A closure defined outside packages, whose globals are globals too.
is_user_closure <- function(x) {
  is.function(x) && !is.primitive(x) && is.null(package_of_env(topenv(environment(x))))
}

# Facts static inspection of a function's code gives beyond its globals:
# packages called as pkg::fun or pkg:::fun, names assigned with <<- or
# assign("name", ...) (made at run time, not missing), and names inside
# formulas (model variables, usually columns of a data argument).
code_facts <- function(f) {
  facts <- list(namespaces = character(), assigned = character(), formula = character())
  walk <- function(e) {
    head <- if (is.symbol(e[[1]])) as.character(e[[1]]) else ""
    if (head %in% c("::", ":::") && length(e) == 3L) {
      facts$namespaces <<- union(facts$namespaces, as.character(e[[2]]))
      return(invisible())
    }
    if (head == "~") facts$formula <<- union(facts$formula, all.names(e))
    if (head == "<<-" && is.symbol(e[[2]])) facts$assigned <<- union(facts$assigned, as.character(e[[2]]))
    if (head == "assign" && length(e) >= 2L && is.character(e[[2]])) facts$assigned <<- union(facts$assigned, e[[2]])
    for (i in seq_along(e)) if (is.call(e[[i]])) walk(e[[i]])
  }
  parts <- c(list(body(f)), as.list(formals(f)))
  for (i in seq_along(parts)) if (is.call(parts[[i]])) walk(parts[[i]])
  facts
}

# Stops when a global or a package is missing, naming them; run_grid()
# starts nothing then.
refuse_missing_globals <- function(found, call = parent.frame()) {
  miss <- found$missing
  if (nrow(miss)) {
    by <- tapply(miss$name, factor(miss$used_by, unique(miss$used_by)), function(x) paste0("`", x, "`", collapse = ", "))
    cli::cli_abort(c(
      "{cli::qty(nrow(miss))}The job uses {?a variable/variables} that {?is/are} defined nowhere, so it is not started: {.var {miss$name}}.",
      stats::setNames(sprintf("%s uses %s", names(by), by), rep("x", length(by))),
      i = "{cli::qty(nrow(miss))}Define {?it/them} before calling {.fn run_grid}, or pass {?it/them} in {.arg args} or {.code globals = list(...)}.",
      i = "A name that is not a variable (a column used by {.fn subset}, {.fn with} or a dplyr verb) can be listed in {.arg not_globals}."
    ), class = "rsim_missing_globals", missing = miss$name, call = call)
  }
  if (length(found$uninstalled)) {
    cli::cli_abort(c("The job calls {cli::qty(length(found$uninstalled))}package{?s} {.pkg {found$uninstalled}}, which {?is/are} not installed, so it is not started.",
      i = "Install {?it/them} (on every node), e.g. {.code install.packages(\"{found$uninstalled[1]}\")}."
    ), class = "rsim_missing_globals", missing = found$uninstalled, call = call)
  }
  invisible()
}

# Reports globals above the size option `rsim.large_global` (bytes, default
# 10 MB): every rank loads them into memory.
report_large_globals <- function(globals) {
  if (!length(globals)) return(invisible())
  size <- vapply(globals, function(x) as.numeric(utils::object.size(x)), 0)
  big <- size[size >= getOption("rsim.large_global", 1e7)]
  if (!length(big)) return(invisible())
  txt <- sprintf("%s (%s)", names(big), vapply(big, format_bytes, ""))
  cli::cli_inform(c(
    "i" = "{cli::qty(length(big))}Large global{?s} shipped to every rank: {txt}.",
    " " = "Written once to the job's globals file; every rank holds {?a copy/copies} in memory ({format_bytes(sum(size))} for all globals)."
  ), class = "rsim_large_globals", sizes = big)
}

format_bytes <- function(x) format(structure(x, class = "object_size"), units = "auto", standard = "SI", digits = 1L)

# Globals as they are shipped: functions without source references and
# byte code, so the same globals always give the same file.
plain_globals <- function(globals) {
  lapply(globals, function(x) {
    if (!is.function(x) || is.primitive(x)) return(x)
    at <- attributes(x)
    x <- utils::removeSource(x)
    attributes(x) <- at[setdiff(names(at), "srcref")]
    x
  })
}
