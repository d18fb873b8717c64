#' rsim: read, write and run rsim simulation grids
#'
#' rsim runs simulation replicates and model grids over MPI ranks and
#' gathers every result into one HDF5 file.  This package is its R side:
#'
#' * [write_grid()] describes a study as a grid.toml (and an R script);
#' * [rsim_run()] runs it under mpirun and watches its progress;
#'   [rsim_job()] finds a job again (started earlier, elsewhere, or by Slurm);
#' * [run_grid()] does both in one call, finding the globals and packages
#'   of the task function before launch;
#' * [read_results()], [read_table()], [read_errors()], [read_warnings()],
#'   [job_info()] and [summarise_results()] read the result file;
#' * [task_seed()] and [reproduce_task()] rerun any single task in R.
#'
#' The rsim program is found through the option `rsim.binary`, the
#' environment variable `RSIM_BIN` or the `PATH` ([rsim_binary()]).  It is
#' the one reader of grid.toml: this package writes grid.toml files but
#' asks rsim (`rsim inspect`) what they mean, and rsim gives each task's
#' grid point and seed.  Reading result files needs no binary.
#'
#' @keywords internal
"_PACKAGE"

# Per-session caches (binary versions, `rsim inspect` of grid files).
.rsim_cache <- new.env(parent = emptyenv())
.rsim_cache$versions <- list()
.rsim_cache$inspect <- list()
