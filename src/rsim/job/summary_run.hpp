#pragma once
// The parts of a run that differ when a job keeps per-point summaries
// ([output] keep = "summary", docs/summaries.md): planning from the block
// checkpoints, the blocks of each round, and the result file.  Rank 0 only.
#include <string>

#include "rsim/core/identity.hpp"
#include "rsim/grid/job_spec.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/result_file.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/job/resume.hpp"
#include "rsim/job/summary_fold.hpp"

namespace rsim::job {

// The blocks the checkpoint folder holds, folded (every file checked to be
// of this job).
SummaryFold fold_checkpoints(const grid::JobSpec& spec, const grid::TaskSpace& space, const core::Identity& identity,
                             const std::string& ckpt);

// Plans a summary job's run: the output checks of plan_run(), then the
// blocks earlier runs committed and those the first round runs.  --rerun-failed is refused (a summary
// keeps no task to rerun).
Plan plan_summary_run(const grid::JobSpec& spec, const grid::TaskSpace& space, const core::Identity& identity,
                      const std::string& ckpt, const RunOptions& opt);

// Writes the result file from the checkpoints.  core::IoError if a point
// lacks blocks (a checkpoint rank 0 cannot see, or one that was lost): the
// checkpoints are kept for the rerun.
io::AssemblySummary assemble_summary(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                     const core::Identity& identity, const std::string& ckpt,
                                     const io::Provenance& prov);

}  // namespace rsim::job
