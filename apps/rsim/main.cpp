// rsim: run a grid of simulation or model-training tasks over MPI into one
// HDF5 file.  Parses the command line, wires the layers, maps errors to the
// exit codes of design.md.
#include <cstdio>
#include <exception>
#include <string>

#include "job.hpp"
#include "options.hpp"
#include "single_task.hpp"
#include "status.hpp"
#include "rsim/core/error.hpp"
#include "rsim/run/native/kernel.hpp"
#include "rsim/sched/comm.hpp"

int main(int argc, char** argv) {
  using rsim::core::ExitCode;
  rsim::app::Options opt;
  if (argc >= 2 && std::string(argv[1]) == "status") {  // rsim status grid.toml|output.h5: reads only, no MPI
    try {
      if (argc != 3) throw rsim::core::UsageError("usage: rsim status grid.toml|output.h5", "give one job");
      return static_cast<int>(rsim::app::show_status(argv[2]));
    } catch (const rsim::core::Error& e) {
      std::fprintf(stderr, "rsim: error: %s\n", e.what());
      return static_cast<int>(e.exit_code());
    }
  }
  try {
    opt = rsim::app::parse_options(argc, argv);
  } catch (const rsim::core::Error& e) {
    if (rsim::sched::launcher_rank() == 0) std::fprintf(stderr, "rsim: %s\n", e.what());
    return static_cast<int>(e.exit_code());
  }
  if (opt.help || opt.version || opt.list_kernels) {
    if (rsim::sched::launcher_rank() != 0) return 0;
    if (opt.help) std::fputs(rsim::app::help_text().c_str(), stdout);
    if (opt.version) std::fputs(rsim::app::version_text().c_str(), stdout);
    if (opt.list_kernels)
      for (const auto& k : rsim::run::KernelRegistry::builtin().describe()) std::printf("%s\n", k.c_str());
    return 0;
  }
  try {
    if (opt.has_task) return static_cast<int>(rsim::app::run_single_task(opt));  // one process, no MPI
    rsim::sched::Comm comm(argc, argv);
    const int code = static_cast<int>(rsim::app::run_job(opt, comm));
    // Only rank 0 reports the job's exit code: mpirun kills the other ranks
    // as soon as one exits non-zero, which could cut rank 0 short.
    return comm.rank() == 0 ? code : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rsim: error: %s\n", e.what());
    const auto* r = dynamic_cast<const rsim::core::Error*>(&e);
    return static_cast<int>(r ? r->exit_code() : ExitCode::runtime);
  }
}
