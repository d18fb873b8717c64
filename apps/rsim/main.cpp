// rsim: run a grid of simulation or model-training tasks over MPI into one
// HDF5 file.  Parses the command line, calls the job library, and maps
// errors to the exit codes of docs/cli.md through one error printer.
#include <cstdio>
#include <exception>
#include <string>

#include "options.hpp"
#include "rsim/core/error.hpp"
#include "rsim/job/errors.hpp"
#include "rsim/job/inspect.hpp"
#include "rsim/job/job_run.hpp"
#include "rsim/job/single_task.hpp"
#include "rsim/job/snapshot.hpp"
#include "rsim/job/status.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/sched/comm.hpp"

namespace {

int show_info(const rsim::app::Options& opt) {
  if (rsim::sched::launcher_rank() != 0) return 0;  // print once under mpirun
  if (opt.help) std::fputs(rsim::app::help_text().c_str(), stdout);
  if (opt.version) std::fputs(rsim::app::version_text().c_str(), stdout);
  if (opt.list_kernels)
    for (const auto& k : rsim::run::KernelRegistry::builtin().describe()) std::printf("%s\n", k.c_str());
  return 0;
}

// The run under MPI.  Only rank 0 reports the job's exit code: mpirun kills
// the other ranks as soon as one exits non-zero, which could cut rank 0 short.
int run_under_mpi(int argc, char** argv, const rsim::app::Options& opt) {
  rsim::sched::Comm comm(argc, argv);
  const int code = static_cast<int>(rsim::job::run_job(opt.run, comm));
  const int mine = comm.rank() == 0 ? code : 0;
  if (rsim::job::must_skip_shutdown()) comm.exit_without_finalize(mine);
  return mine;
}

int dispatch(int argc, char** argv) {
  const rsim::app::Options opt = rsim::app::parse_options(argc, argv);
  switch (opt.command) {
    case rsim::app::Command::info: return show_info(opt);
    case rsim::app::Command::status: return static_cast<int>(rsim::job::show_status(opt.target));
    case rsim::app::Command::inspect:
      return static_cast<int>(rsim::job::inspect(opt.target, opt.has_task ? &opt.task : nullptr, opt.data));
    case rsim::app::Command::snapshot:
      return static_cast<int>(rsim::job::snapshot_command(opt.target, opt.run.output, opt.snapshot_to));
    case rsim::app::Command::single_task: return static_cast<int>(rsim::job::run_single_task(opt.run.grid, opt.task));
    case rsim::app::Command::run: return run_under_mpi(argc, argv, opt);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& e) {
    // Usage errors are seen alike by every rank: print them once.
    if (rsim::job::exit_code_of(e) != rsim::core::ExitCode::usage || rsim::sched::launcher_rank() == 0)
      rsim::job::print_error(e);
    return static_cast<int>(rsim::job::exit_code_of(e));
  }
}
