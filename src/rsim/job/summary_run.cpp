#include "rsim/job/summary_run.hpp"

#include <cstdio>

#include "rsim/core/error.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/summary_file.hpp"
#include "rsim/job/identity.hpp"

namespace rsim::job {

SummaryFold fold_checkpoints(const grid::JobSpec& spec, const grid::TaskSpace& space, const core::Identity& identity,
                             const std::string& ckpt) {
  SummaryFold fold(space, spec.results);
  fold.add_all(ckpt, [&spec, &identity](const std::string& stored, const std::string& path) {
    check_identity(spec, stored, identity, "the checkpoint " + path);
  });
  return fold;
}

Plan plan_summary_run(const grid::JobSpec& spec, const grid::TaskSpace& space, const core::Identity& identity,
                      const std::string& ckpt, const RunOptions& opt) {
  if (opt.rerun_failed)
    throw core::UsageError("--rerun-failed: the job keeps per-point summaries ([output] keep = \"summary\"), not "
                               "tasks that could be run again",
                           "run it with --fresh to start over, or without --rerun-failed");
  Plan plan;
  prepare_output(spec, identity, ckpt, opt, plan);
  if (plan.nothing_to_do) return plan;
  plan.base.clear();  // a summary file is never built upon: its checkpoints hold everything
  io::remove_stale_temp_files(ckpt);
  if (!io::list_segments(ckpt).empty())
    throw core::IoError("the checkpoint folder holds task checkpoints, but the job keeps per-point summaries", ckpt,
                        "move the checkpoint folder aside, or run with --fresh");
  const SummaryFold fold = fold_checkpoints(spec, space, identity, ckpt);
  plan.committed = fold.committed();
  plan.already = io::count(plan.committed);
  plan.first_round = fold.next_round();
  return plan;
}

io::AssemblySummary assemble_summary(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                     const core::Identity& identity, const std::string& ckpt,
                                     const io::Provenance& prov) {
  const SummaryFold fold = fold_checkpoints(spec, space, identity, ckpt);
  if (const std::uint64_t open = fold.open_points(); open > 0)
    throw core::IoError(std::to_string(open) + " of " + std::to_string(space.n_points()) +
                            " grid points lack blocks although every rank finished: a checkpoint that rank 0 cannot "
                            "see or that was lost; the checkpoints are kept",
                        ckpt,
                        "put the output on a file system every rank shares, then run the same command again: it "
                        "runs the missing blocks");
  for (const std::string& f : fold.untargetable())
    std::fprintf(stderr,
                 "rsim: warning: no task returned a number for the target field \"%s\"; every point ran to the "
                 "maximum of %llu replicates\n",
                 f.c_str(), static_cast<unsigned long long>(space.replicates()));
  return io::write_summary_file(spec, space, fold.table(), spec.output, prov);
}

}  // namespace rsim::job
