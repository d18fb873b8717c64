#include "rsim/job/resume.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

#include "rsim/core/clock.hpp"
#include "rsim/core/result_batch.hpp"
#include "rsim/core/version.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/io/segment_index.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/job/identity.hpp"

namespace fs = std::filesystem;

namespace rsim::job {

namespace {
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::equivalent(a, b, ec)) return true;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// The inputs a job reads: its output must be none of them (--fresh would
// move the input aside; a run would overwrite it).
std::vector<std::pair<std::string, std::string>> inputs_of(const grid::JobSpec& spec) {
  std::vector<std::pair<std::string, std::string>> in = {{"the grid.toml", spec.source_path}};
  if (!spec.task.script.empty()) in.emplace_back("the task script", spec.task.script);
  if (!spec.task.plugin.empty()) in.emplace_back("the plugin", spec.task.plugin);
  for (const auto& d : spec.data) in.emplace_back("the [data] file " + d.name, d.file);
  return in;
}
}  // namespace

void check_output(const grid::JobSpec& spec) {
  const std::string& output = spec.output;
  for (const char c : output)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw core::ConfigError({spec.source_path, 0, "job.output"}, "the output path holds a control character",
                              "write a plain file name such as \"study.h5\" (no \\u0000, tabs or line breaks)");
  for (const auto& [what, path] : inputs_of(spec))
    if (same_file(output, path))
      throw core::ConfigError({spec.source_path, 0, "job.output"}, "the output path is " + what + " (" + path + ")",
                              "choose another output path, e.g. \"" + spec.name + ".h5\"");
  std::error_code ec;
  if (fs::is_directory(output, ec))
    throw core::IoError("the output path is a folder", output, "set [job] output or --output to a file name such as study.h5");
  const fs::path dir = fs::path(output).parent_path();
  if (!fs::is_directory(dir, ec))
    throw core::IoError("the output folder does not exist", dir.string(), "create it, or choose another output path");
  if (::access(dir.c_str(), W_OK) != 0)
    throw core::IoError("the output folder is not writable", dir.string(), "choose an output path you can write");
}

namespace {
// Moves `path` aside as path.old-<time> (never deletes); returns the new name.
std::string move_aside(const std::string& path, const std::string& stamp) {
  std::string to = path + ".old-" + stamp;
  for (int i = 2; fs::exists(to); ++i) to = path + ".old-" + stamp + "-" + std::to_string(i);
  std::error_code ec;
  fs::rename(path, to, ec);
  if (ec) throw core::IoError("cannot move aside: " + ec.message(), path, "move it yourself, then rerun");
  return to;
}
// "already complete"; the exit code of a finished job.
core::ExitCode report_complete(const grid::JobSpec& spec, const io::OutputInfo& info) {
  std::printf("rsim: %s: already complete in %s (%llu ok, %llu failed); nothing to do\n", spec.name.c_str(),
              spec.output.c_str(), static_cast<unsigned long long>(info.n_ok),
              static_cast<unsigned long long>(info.n_failed));
  std::printf(spec.results.keep == grid::Keep::summary ? "rsim: --fresh starts over\n"
                                                       : "rsim: --rerun-failed reruns the failed tasks, --fresh starts over\n");
  std::fflush(stdout);
  return info.n_failed > 0 ? core::ExitCode::task_failures : core::ExitCode::ok;
}

// The result file must be rsim's, readable by this rsim, and of this job.
void check_same_job(const grid::JobSpec& spec, const io::OutputInfo& info, const core::Identity& identity) {
  if (!info.is_rsim)
    throw core::IoError("the output path exists and is not an rsim result file", spec.output,
                        "choose another output, move the file away, or use --fresh to move it aside");
  if (info.format_version > core::kFormatVersion)
    throw core::IoError("the result file has format version " + std::to_string(info.format_version) +
                            ", newer than this rsim (" + std::to_string(core::kFormatVersion) + ")",
                        spec.output, "use a newer rsim, or --fresh to move it aside");
  check_identity(spec, info.identity, identity, "the result file " + spec.output);
}
}  // namespace

// What an earlier run left decides what this run does (rank 0, before any
// task): --fresh moves it aside; a result file of another grid.toml, or not
// rsim's, is refused; a finished job is not run again.  A result file of
// this job that is kept (--rerun-failed, tasks missing, an interrupted
// rerun) becomes the plan's base: the assembly starts from its rows.
void prepare_output(const grid::JobSpec& spec, const core::Identity& identity, const std::string& ckpt,
                    const RunOptions& opt, Plan& plan) {
  std::error_code ec;
  if (opt.fresh) return;  // move_earlier_run_aside() did it before set-up
  const io::OutputInfo info = io::inspect_output(spec.output);
  if (!info.exists) {
    if (opt.rerun_failed && !fs::is_directory(ckpt, ec))
      throw core::UsageError("--rerun-failed: there is no result file " + spec.output + " to rerun failed tasks of",
                             "run the job first (without --rerun-failed)");
    return;
  }
  check_same_job(spec, info, identity);
  plan.base = spec.output;
  if (fs::is_directory(ckpt, ec)) return;  // an interrupted rerun: resume from its checkpoints
  if (opt.rerun_failed) {
    if (info.n_failed == 0 && info.n_not_run == 0) {
      std::printf("rsim: %s: no failed tasks in %s; nothing to rerun\n", spec.name.c_str(), spec.output.c_str());
      plan.nothing_to_do = core::ExitCode::ok;
      return;
    }
    std::printf("rsim: --rerun-failed: %llu failed of %llu tasks run again; the other rows are kept\n",
                static_cast<unsigned long long>(info.n_failed), static_cast<unsigned long long>(info.n_tasks));
    return;
  }
  if (info.n_not_run > 0) return;  // a result file with tasks missing: build on it
  plan.nothing_to_do = report_complete(spec, info);
}

void move_earlier_run_aside(const grid::JobSpec& spec, const std::string& ckpt) {
  std::error_code ec;
  std::string stamp = core::utc_now_iso();
  stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
  for (const std::string& p : {spec.output, ckpt, spec.output + ".logs", spec.output + ".status.json"})
    if (fs::exists(p, ec)) std::printf("rsim: --fresh: moved %s to %s\n", p.c_str(), move_aside(p, stamp).c_str());
}

std::optional<core::ExitCode> finished_already(const grid::JobSpec& spec, const std::string& ckpt,
                                               const RunOptions& opt) {
  std::error_code ec;
  if (opt.fresh || opt.rerun_failed || fs::exists(ckpt, ec)) return std::nullopt;
  const io::OutputInfo info = io::inspect_output(spec.output);
  if (!info.is_rsim || info.n_not_run > 0 || info.format_version != core::kFormatVersion) return std::nullopt;
  if (!unchanged_before_set_up(spec, info.identity)) return std::nullopt;
  return report_complete(spec, info);
}

std::string encode_schema(const core::Schema& s) {
  std::string out;
  for (const auto& f : s)
    out += f.name + "\t" + std::to_string(static_cast<int>(f.type)) + "\t" + std::to_string(f.width) + "\n";
  return out;
}

core::Schema decode_schema(const std::string& text) {
  core::Schema s;
  std::istringstream in(text);
  std::string name;
  int type = 0;
  std::uint32_t width = 1;
  while (std::getline(in, name, '\t') && in >> type >> width) {
    s.push_back({name, static_cast<core::ValueType>(type), width});
    in.ignore(1);
  }
  return s;
}

// A task that was running when its rank died, twice, is committed as failed
// so the job can finish instead of crashing on it forever.
io::TaskRanges fail_repeat_crashers(const grid::JobSpec& spec, const core::Identity& identity, io::SegmentIndex& index,
                                    const io::TaskRanges& done) {
  const auto crashes = io::collect_crashes(index.dir());
  if (crashes.empty()) return {};
  auto committed = [&](std::uint64_t t) {
    auto it = std::upper_bound(done.begin(), done.end(), std::make_pair(t, UINT64_MAX));
    return it != done.begin() && t < std::prev(it)->second;
  };
  core::ResultBatch batch;
  io::TaskRanges marked;
  for (const auto& [task, n] : crashes) {
    if (n < 2 || committed(task)) continue;
    marked.emplace_back(task, task + 1);
    batch.begin_row(task);
    batch.add_error({task,
                     "the task was running when its rank died, " + std::to_string(n) +
                         " times (a crash in native code, a kill, or memory exhaustion); it is marked failed so "
                         "the job can finish",
                     "run it alone to investigate: rsim --task " + std::to_string(task) + " " + spec.source_path});
    batch.end_row(core::TaskStatus::error, 0, n);
    std::fprintf(stderr, "rsim: task %llu crashed its rank %d times; marking it failed\n",
                 static_cast<unsigned long long>(task), n);
  }
  if (batch.empty()) return {};
  const auto now = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  io::SegmentWriter(index.dir(), identity.encode(), 0, now).commit(batch);
  index.refresh();
  return marked;
}

Plan plan_run(const grid::JobSpec& spec, const core::Identity& identity, const std::string& ckpt,
              const RunOptions& opt) {
  Plan plan;
  prepare_output(spec, identity, ckpt, opt, plan);
  if (plan.nothing_to_do) return plan;
  io::remove_stale_temp_files(ckpt);
  plan.index.emplace(ckpt, [&spec, identity](const std::string& stored, const std::string& path) {
    check_identity(spec, stored, identity, "the checkpoint " + path);
  });
  const io::TaskRanges from_base = plan.base.empty() ? io::TaskRanges{} : io::output_tasks(plan.base, opt.rerun_failed);
  plan.committed = io::unite(from_base, plan.index->committed_ranges(opt.rerun_failed));
  // A task marked failed for crashing is done, --rerun-failed or not.
  plan.committed = io::unite(plan.committed, fail_repeat_crashers(spec, identity, *plan.index, plan.committed));
  plan.already = io::count(plan.committed);
  if (!opt.rerun_failed) {  // failed tasks stay committed: the status file counts them from the start
    const io::TaskRanges base_failed =
        plan.base.empty() ? io::TaskRanges{} : io::subtract(from_base, io::output_tasks(plan.base, true));
    plan.already_failed = plan.index->failed_count(base_failed);
  }
  plan.earlier = plan.index->schema(plan.base.empty() ? core::Schema{} : io::output_schema(plan.base));
  return plan;
}

}  // namespace rsim::job
