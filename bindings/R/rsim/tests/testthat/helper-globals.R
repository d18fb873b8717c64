# Objects defined at the top level of the session, as a user defines them at
# the console: assigned into the global environment for the calling test,
# removed (or put back as they were) when it ends.
local_globalenv <- function(objects, .env = parent.frame()) {
  genv <- globalenv()
  had <- Filter(function(n) exists(n, envir = genv, inherits = FALSE), names(objects))
  old <- mget(had, envir = genv)
  for (n in names(objects)) {
    f <- objects[[n]]
    if (is.function(f)) environment(f) <- genv # a function written at the console
    assign(n, f, envir = genv)
  }
  withr::defer({
    rm(list = names(objects), envir = genv)
    list2env(old, envir = genv)
  }, envir = .env)
  invisible()
}

# Attaches a package for the calling test, detaching it afterwards if it
# was not attached before.
local_attached <- function(pkg, .env = parent.frame()) {
  if (paste0("package:", pkg) %in% search()) return(invisible())
  suppressPackageStartupMessages(attachNamespace(pkg))
  withr::defer(detach(paste0("package:", pkg), character.only = TRUE), envir = .env)
  invisible()
}
