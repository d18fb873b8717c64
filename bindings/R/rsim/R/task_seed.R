#' The random seed an R task started from
#'
#' rsim gives task `t` of an R job the L'Ecuyer-CMRG stream reached by
#' applying [parallel::nextRNGStream()] `t + 1` times to the seed that
#' `set.seed(seed, kind = "L'Ecuyer-CMRG")` gives.  `task_seed()` returns
#' that `.Random.seed`, as the rsim binary computes it for its ranks
#' (`rsim inspect --task`, by jump-ahead: a few milliseconds for any `t`,
#' task 0 or task 10^12).  It equals the loop over `nextRNGStream()`, which
#' costs about a microsecond per step, a second for task 10^6.
#'
#' The normal and sample kinds are R's defaults (Inversion, Rejection), as
#' in rsim; the first element of the result is therefore 10407.
#'
#' `task_seed()` needs the rsim program ([rsim_binary()]), also for a
#' result file.
#'
#' @param path_or_grid a result file, or the grid.toml of the job.
#' @param task a task id, from 0 to the number of tasks - 1.
#' @return An integer vector of length 7, a `.Random.seed`.
#' @seealso [reproduce_task()], which sets it and runs the task.
#' @export
#' @examples
#' if (nzchar(rsim_binary(required = FALSE))) {
#'   dir <- tempfile("seed")
#'   dir.create(dir)
#'   g <- write_grid(file.path(dir, "grid.toml"), function(n) list(m = mean(rnorm(n))),
#'     grid = list(n = c(5, 10)), replicates = 10, seed = 42
#'   )
#'   s <- task_seed(g, 3)
#'   # the same as the loop over parallel::nextRNGStream():
#'   old <- RNGkind("L'Ecuyer-CMRG")
#'   set.seed(42)
#'   x <- .Random.seed
#'   for (i in 0:3) x <- parallel::nextRNGStream(x)
#'   RNGkind(old[1])
#'   identical(s, x)
#' }
task_seed <- function(path_or_grid, task) {
  job <- job_spec(path_or_grid)
  task <- check_task(task, job$n_tasks)
  r_seed(job, task_view(job, task))
}

# The task's .Random.seed, or an error when the job's seed is beyond R's.
r_seed <- function(job, view, call = parent.frame()) {
  if (!is.null(view$r_seed)) return(view$r_seed)
  max <- job$json$seed_rules$r_seed_max
  if (is.null(max)) max <- .Machine$integer.max
  cli::cli_abort("Seed {job$seed_text} is outside R's {.fn set.seed} range (0 to {format(max, scientific = FALSE)}), so this job cannot have R tasks.",
    call = call
  )
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
