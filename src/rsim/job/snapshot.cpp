#include "rsim/job/snapshot.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "rsim/core/clock.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/result_file.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/job/inspect.hpp"
#include "rsim/job/summary_fold.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::job {

namespace fs = std::filesystem;

namespace {

// The grid.toml a job's status file names (written by every run since it
// recorded it), for a target given as the output path.
std::string grid_of_output(const std::string& output) {
  const std::string status = output + ".status.json";
  std::ifstream in(status);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!in || j.is_discarded() || !j.contains("grid") || !j["grid"].is_string())
    throw core::UsageError("no job found at " + output + " whose grid.toml rsim knows (" + status +
                               " is missing or names no grid)",
                           "give the job's grid.toml: rsim snapshot grid.toml [-o output]");
  return j["grid"].get<std::string>();
}

// Accepts the checkpoints of one job: every segment's identity must equal
// the first one's (the job's own check is the run's business, not ours).
io::SegmentIndex::IdentityCheck one_job(std::string& first) {
  return [&first](const std::string& identity, const std::string& path) {
    if (first.empty()) first = identity;
    if (identity != first)
      throw core::IoError("the checkpoint folder holds segments of two different jobs", path,
                          "let the running job finish, or move the folder aside");
  };
}

}  // namespace

SnapshotInfo take_snapshot(const std::string& target, const std::string& output, const std::string& to) {
  const bool toml = fs::path(target).extension() == ".toml";
  grid::JobSpec spec = grid::read_job_spec(toml ? target : grid_of_output(target));
  if (!output.empty()) spec.output = fs::absolute(output).string();
  else if (!toml) spec.output = fs::absolute(target).string();
  const std::string ckpt = io::checkpoint_dir_for(spec.output);
  std::error_code ec;
  if (!fs::is_directory(ckpt, ec))
    throw core::UsageError("no checkpoints at " + ckpt + ": the job has not committed a task yet, or has finished" +
                               (fs::exists(spec.output, ec) ? " (its results are in " + spec.output + ")" : ""),
                           "read the result file once the job has written it; rsim status shows the job's state");
  std::string identity;
  const grid::TaskSpace space(spec);
  const bool summary = spec.results.keep == grid::Keep::summary;
  std::optional<io::SegmentIndex> index;
  std::optional<SummaryFold> fold;
  if (summary) {  // the blocks committed so far, each point's folded up to its first missing block
    fold.emplace(space, spec.results);
    fold->add_all(ckpt, one_job(identity));
  } else {
    index.emplace(ckpt, one_job(identity));
  }
  io::Provenance prov;
  prov.created = core::utc_now_iso();
  prov.n_ranks = 0;
  prov.task_detail = run::describe_task(spec);
  prov.extra = {{"job_json", job_json(spec, space)}, {"identity", identity},
                {"snapshot_of", ckpt}, {"snapshot_taken", prov.created}};
  SnapshotInfo info;
  info.output = spec.output;
  info.file = to.empty() ? spec.output + ".snapshot.h5" : fs::absolute(to).string();
  const std::string base = fs::exists(spec.output, ec) ? spec.output : "";  // a --rerun-failed in progress
  const io::AssemblySummary sum = summary ? io::write_summary_file(spec, space, fold->table(), info.file, prov)
                                          : io::assemble_results(spec, space, *index, base, {}, info.file, prov);
  info.n_tasks = space.n_tasks();
  info.ok = sum.ok;
  info.failed = sum.failed();
  info.committed = sum.ok + sum.failed();
  return info;
}

core::ExitCode snapshot_command(const std::string& target, const std::string& output, const std::string& to) {
  const SnapshotInfo s = take_snapshot(target, output, to);
  const nlohmann::ordered_json j = {{"snapshot", s.file}, {"output", s.output}, {"n_tasks", s.n_tasks},
                                    {"committed", s.committed}, {"ok", s.ok}, {"failed", s.failed}};
  std::printf("%s\n", j.dump().c_str());
  std::fprintf(stderr, "rsim: partial: %llu of %llu tasks committed (%llu failed); snapshot in %s\n",
               static_cast<unsigned long long>(s.committed), static_cast<unsigned long long>(s.n_tasks),
               static_cast<unsigned long long>(s.failed), s.file.c_str());
  return core::ExitCode::ok;
}

}  // namespace rsim::job
