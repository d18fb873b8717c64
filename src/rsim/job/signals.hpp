#pragma once
// SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before walltime or
// preemption) ask the run to stop: the rank finishes or abandons its current
// task, commits, and the job exits with code 4.  A second SIGINT ends the
// process at once (the committed checkpoints still hold).
namespace rsim::job {

void install_stop_signals();
// The first stop signal received, or 0.
int stop_signal() noexcept;

}  // namespace rsim::job
