#' The random seed an R task started from
#'
#' rsim gives task `t` of an R job the L'Ecuyer-CMRG stream reached by
#' applying [parallel::nextRNGStream()] `t + 1` times to the seed that
#' `set.seed(seed, kind = "L'Ecuyer-CMRG")` gives.  `task_seed()` returns
#' that `.Random.seed`, computed by jump-ahead (a 3 x 3 matrix power modulo
#' the generator's moduli: a few milliseconds for any `t`, task 0 or task
#' 10^12).  It equals the loop over `nextRNGStream()`, which costs about a
#' microsecond per step, a second for task 10^6.
#'
#' The normal and sample kinds are R's defaults (Inversion, Rejection), as
#' in rsim; the first element of the result is therefore 10407.
#'
#' @param path_or_grid a result file, or the grid.toml of the job.
#' @param task a task id, from 0 to the number of tasks - 1.
#' @return An integer vector of length 7, a `.Random.seed`.
#' @seealso [reproduce_task()], which sets it and runs the task.
#' @export
#' @examples
#' dir <- tempfile("seed")
#' dir.create(dir)
#' g <- write_grid(file.path(dir, "grid.toml"), function(n) list(m = mean(rnorm(n))),
#'   grid = list(n = c(5, 10)), replicates = 10, seed = 42
#' )
#' s <- task_seed(g, 3)
#' # the same as the loop over parallel::nextRNGStream():
#' old <- RNGkind("L'Ecuyer-CMRG")
#' set.seed(42)
#' x <- .Random.seed
#' for (i in 0:3) x <- parallel::nextRNGStream(x)
#' RNGkind(old[1])
#' identical(s, x)
task_seed <- function(path_or_grid, task) {
  job <- job_spec(path_or_grid)
  task <- check_task(task, job$n_tasks)
  lecuyer_stream(job$seed, task)
}

check_task <- function(task, n_tasks, call = parent.frame()) {
  if (!is.numeric(task) || length(task) != 1L || is.na(task) || task != round(task)) {
    cli::cli_abort("{.arg task} must be a single task id (a whole number).", call = call)
  }
  if (task < 0 || task >= n_tasks) {
    cli::cli_abort("Task {format(task, scientific = FALSE)} is out of range: the job has {format(n_tasks, big.mark = ',', scientific = FALSE)} {cli::qty(n_tasks)}task{?s} (ids 0 to {format(n_tasks - 1, scientific = FALSE)}).",
      call = call
    )
  }
  if (task > 2^53) cli::cli_abort("Task ids above 2^53 cannot be given exactly as R numbers.", call = call)
  as.numeric(task)
}

# --- L'Ecuyer-CMRG jump-ahead in exact double arithmetic -------------------------

lecuyer_m1 <- 4294967087
lecuyer_m2 <- 4294944443

# a * b mod m for 0 <= a, b < m < 2^32, exact in doubles (every product < 2^53).
mulmod <- function(a, b, m) {
  bh <- b %/% 65536
  bl <- b - bh * 65536
  ((((a * bh) %% m) * 65536) %% m + (a * bl) %% m) %% m
}

matmulmod <- function(A, B, m) {
  C <- matrix(0, 3, 3)
  for (i in 1:3) {
    for (j in 1:3) {
      C[i, j] <- (mulmod(A[i, 1], B[1, j], m) + mulmod(A[i, 2], B[2, j], m) + mulmod(A[i, 3], B[3, j], m)) %% m
    }
  }
  C
}

matpowmod <- function(A, e, m) {
  R <- diag(3)
  while (e > 0) {
    if (e %% 2 == 1) R <- matmulmod(R, A, m)
    e <- e %/% 2
    if (e > 0) A <- matmulmod(A, A, m)
  }
  R
}

matvecmod <- function(A, v, m) {
  vapply(1:3, function(i) (mulmod(A[i, 1], v[1], m) + mulmod(A[i, 2], v[2], m) + mulmod(A[i, 3], v[3], m)) %% m, 0)
}

# R stores the six state words as signed ints; as unsigned doubles and back.
seed_to_unsigned <- function(x) {
  u <- as.numeric(x)
  u[is.na(x)] <- 2^31  # INT_MIN is R's NA_integer_
  u[!is.na(u) & u < 0] <- u[!is.na(u) & u < 0] + 2^32
  u
}
unsigned_to_seed <- function(u) {
  s <- ifelse(u >= 2^31, u - 2^32, u)
  suppressWarnings(as.integer(s))  # -2^31 becomes NA_integer_, the same bits
}

# The matrices nextRNGStream() applies, read off R itself: the stream step
# is linear, so column j is the step applied to the j-th unit state.
lecuyer_step_matrices <- function() {
  if (!is.null(.rsim_cache$A1)) return(list(.rsim_cache$A1, .rsim_cache$A2))
  A1 <- matrix(0, 3, 3)
  A2 <- matrix(0, 3, 3)
  for (j in 1:3) {
    e <- c(0, 0, 0)
    e[j] <- 1
    nx <- seed_to_unsigned(parallel::nextRNGStream(c(10407L, as.integer(e), as.integer(e)))[-1])
    A1[, j] <- nx[1:3]
    A2[, j] <- nx[4:6]
  }
  .rsim_cache$A1 <- A1
  .rsim_cache$A2 <- A2
  list(A1, A2)
}


# .Random.seed after set.seed(seed, kind = "L'Ecuyer-CMRG"), without touching
# the session's random number generator.
lecuyer_start <- function(seed) {
  if (seed > .Machine$integer.max || seed < 0) {
    cli::cli_abort("Seed {format(seed, scientific = FALSE)} is outside R's {.fn set.seed} range (0 to 2147483647), so this job cannot have R tasks.")
  }
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE)
  old_kind <- RNGkind()
  on.exit({
    suppressWarnings(RNGkind(old_kind[1], old_kind[2], old_kind[3]))
    if (had) assign(".Random.seed", old, envir = genv) else rm(".Random.seed", envir = genv)
  })
  suppressWarnings(set.seed(as.integer(seed), kind = "L'Ecuyer-CMRG", normal.kind = "Inversion", sample.kind = "Rejection"))
  get(".Random.seed", envir = genv, inherits = FALSE)
}

lecuyer_stream <- function(seed, task) {
  s0 <- lecuyer_start(seed)
  A <- lecuyer_step_matrices()
  u <- seed_to_unsigned(s0[-1])
  e <- task + 1
  p1 <- matvecmod(matpowmod(A[[1]], e, lecuyer_m1), u[1:3], lecuyer_m1)
  p2 <- matvecmod(matpowmod(A[[2]], e, lecuyer_m2), u[4:6], lecuyer_m2)
  c(s0[1], unsigned_to_seed(c(p1, p2)))
}
