#include "options.hpp"

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "rsim/core/error.hpp"
#include "rsim/core/version.hpp"
#include "rsim/run/native/kernel.hpp"

namespace po = boost::program_options;

namespace rsim::app {

namespace {
po::options_description visible() {
  po::options_description d("Options");
  d.add_options()
      ("output,o", po::value<std::string>(), "write results here instead of [job] output")
      ("fresh", "start over: move an earlier result file and its checkpoints aside (renamed, not deleted)")
      ("rerun-failed", "run again only the tasks whose status is error or timeout, replacing their rows")
      ("quiet,q", "no progress line")
      ("progress", "show the progress line even when stderr is not a terminal")
      ("task", po::value<std::string>(), "run only this task id (0-based) on one rank, print its fields "
                                         "and status as JSON, write no file")
      ("list-kernels", "list the built-in native kernels and exit")
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit");
  return d;
}
}  // namespace

namespace {
std::uint64_t parse_task_id(const std::string& t) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = t.empty() || t[0] < '0' || t[0] > '9' ? 0 : std::strtoull(t.c_str(), &end, 10);
  if (!end || *end != '\0' || errno == ERANGE)
    throw core::UsageError("--task needs a task id (a whole number from 0), not \"" + t + "\"",
                           "give e.g. --task 0; task ids run from 0 to points x replicates - 1");
  return v;
}

po::variables_map parse(int argc, char** argv, const po::options_description& opts) {
  po::options_description hidden;
  hidden.add_options()("grid", po::value<std::vector<std::string>>(), "grid.toml");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("grid", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::UsageError(e.what(), "run `rsim --help` for the options");
  }
  return vm;
}

// The one positional argument (grid.toml or a result file), or "".
std::string the_path(const po::variables_map& vm, const char* usage) {
  if (!vm.count("grid")) return "";
  const auto& g = vm["grid"].as<std::vector<std::string>>();
  if (g.size() > 1)
    throw core::UsageError("expected one grid.toml, got " + std::to_string(g.size()) + " (" + g[0] + ", " + g[1] +
                               ", ...)",
                           std::string("run one job at a time: ") + usage);
  return g[0];
}

po::options_description inspect_options() {
  po::options_description d("Options of rsim inspect");
  d.add_options()("task", po::value<std::string>(), "add what task T gets: its point, replicate, parameters and seed")
      ("data", "print the [data] inputs as the ranks load them (columns and values)")
      ("json", "print JSON (the default and only format)");
  return d;
}

po::options_description snapshot_options() {
  po::options_description d("Options of rsim snapshot");
  d.add_options()("output,o", po::value<std::string>(), "the job's output, if it ran with -o")
      ("to", po::value<std::string>(), "write the snapshot here (default <output>.snapshot.h5)");
  return d;
}

const char* usage_of(Command cmd) {
  switch (cmd) {
    case Command::status: return "rsim status grid.toml|output.h5";
    case Command::snapshot: return "rsim snapshot [-o output] [--to file.h5] grid.toml|output.h5";
    default: return "rsim inspect [--task T | --data] grid.toml|output.h5";
  }
}

// rsim status PATH | rsim inspect [--task T] PATH | rsim snapshot [-o O] [--to F] PATH
Options parse_subcommand(Command cmd, int argc, char** argv) {
  Options o;
  o.command = cmd;
  const char* usage = usage_of(cmd);
  const po::variables_map vm = parse(argc - 1, argv + 1,
                                     cmd == Command::inspect    ? inspect_options()
                                     : cmd == Command::snapshot ? snapshot_options()
                                                                : po::options_description());
  o.target = the_path(vm, usage);
  if (o.target.empty()) throw core::UsageError("no job given", std::string("usage: ") + usage);
  if (vm.count("task")) {
    o.has_task = true;
    o.task = parse_task_id(vm["task"].as<std::string>());
  }
  o.data = vm.count("data") > 0;
  if (o.data && o.has_task) throw core::UsageError("--task and --data contradict each other", std::string("usage: ") + usage);
  if (vm.count("output")) o.run.output = vm["output"].as<std::string>();
  if (vm.count("to")) o.snapshot_to = vm["to"].as<std::string>();
  return o;
}
}  // namespace

Options parse_options(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "status") return parse_subcommand(Command::status, argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "inspect") return parse_subcommand(Command::inspect, argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "snapshot") return parse_subcommand(Command::snapshot, argc, argv);
  const po::variables_map vm = parse(argc, argv, visible());
  Options o;
  o.help = vm.count("help") > 0;
  o.version = vm.count("version") > 0;
  o.list_kernels = vm.count("list-kernels") > 0;
  job::RunOptions& r = o.run;
  r.quiet = vm.count("quiet") > 0;
  r.progress = vm.count("progress") > 0;
  r.fresh = vm.count("fresh") > 0;
  r.rerun_failed = vm.count("rerun-failed") > 0;
  if (vm.count("output")) r.output = vm["output"].as<std::string>();
  if (vm.count("task")) {
    o.has_task = true;
    o.task = parse_task_id(vm["task"].as<std::string>());
  }
  r.grid = the_path(vm, "rsim [options] grid.toml");
  if (o.help || o.version || o.list_kernels) {
    o.command = Command::info;
    return o;
  }
  if (r.grid.empty()) throw core::UsageError("no grid.toml given", "usage: rsim [options] grid.toml (rsim --help for more)");
  if (r.fresh && r.rerun_failed)
    throw core::UsageError("--fresh and --rerun-failed contradict each other",
                           "--fresh starts over; --rerun-failed keeps the results and reruns the failed tasks");
  if (r.quiet && r.progress) throw core::UsageError("--quiet and --progress contradict each other", "give one of them");
  if (o.has_task) o.command = Command::single_task;
  return o;
}

std::string help_text() {
  std::ostringstream s;
  s << "rsim " << core::kVersion << " - run a simulation or model-training grid over MPI into one HDF5 file\n\n"
    << "Usage:\n"
    << "  rsim [options] grid.toml                  one rank, no launcher\n"
    << "  mpirun -n 8 rsim [options] grid.toml      eight ranks (also inside sbatch / srun)\n"
    << "  rsim status grid.toml|output.h5           progress of a running, stopped or finished job\n"
    << "  rsim inspect [--task T | --data] grid.toml|out.h5\n"
    << "                                            the job as JSON: settings, grid, counts, paths,\n"
    << "                                            reserved names; with --task, that task's\n"
    << "                                            point, parameters and random seed; with --data,\n"
    << "                                            the [data] inputs as the ranks load them\n"
    << "  rsim snapshot [-o out] [--to f.h5] grid.toml|output.h5\n"
    << "                                            the results a running or interrupted job\n"
    << "                                            committed so far, as a result file\n"
    << "                                            (default <output>.snapshot.h5)\n\n"
    << "grid.toml names the job, its seed and replicates, a parameter grid and the task to\n"
    << "run for every (grid point, replicate).  Every rank runs tasks; results, per-task\n"
    << "status and timings land in [job] output (default <name>.h5 beside grid.toml).\n"
    << "Finished tasks are checkpointed in <output>.ckpt/ while the job runs; running the\n"
    << "same command again after an interruption runs only the tasks not yet finished\n"
    << "(at any number of ranks).  A finished job is not run again: --rerun-failed reruns\n"
    << "its failed tasks, --fresh starts over.  A grid.toml edited since is refused.\n"
    << "The results are identical at any number of ranks.\n\n"
    << visible() << "\n"
    << "Exit codes:\n"
    << "  0  every task ok\n"
    << "  1  bad command line or bad grid.toml (nothing was run)\n"
    << "  2  runtime failure: I/O, HDF5, MPI, a backend that cannot start\n"
    << "  3  finished, results written, but some tasks failed (see /errors in the file)\n"
    << "  4  interrupted by a signal after a checkpoint; rerun to resume\n\n"
    << "Reference: docs/grid-toml.md (grid.toml), docs/format.md (the result file).\n"
    << "In R: rsim::read_results(\"<output>.h5\"), or any HDF5 reader (h5dump, h5py, hdf5r).\n";
  return s.str();
}

std::string version_text() {
  std::ostringstream s;
  s << "rsim " << core::kVersion << " (result format " << core::kFormatVersion << ")\n";
  return s.str();
}

}  // namespace rsim::app
