#pragma once
// SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before walltime or
// preemption) ask the run to stop: the rank finishes or abandons its current
// task, commits, and the job exits with code 4.  A second SIGINT ends the
// process at once (the committed checkpoints still hold).
namespace rsim::job {

// `interrupt_tasks`: also ask a running task to stop (the run phase).  Before
// that (grid, set-up, planning) a signal is only recorded, and the run then
// stops before its first task.
void install_stop_signals(bool interrupt_tasks);
// The first stop signal received, or 0.
int stop_signal() noexcept;

}  // namespace rsim::job
