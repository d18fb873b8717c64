#include "job.hpp"

#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "progress.hpp"
#include "signals.hpp"
#include "rsim/core/clock.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/io/run_lock.hpp"
#include "rsim/core/process_memory.hpp"
#include "rsim/core/version.hpp"
#include "rsim/io/result_file.hpp"
#include "rsim/run/runner.hpp"
#include "rsim/sched/scheduler.hpp"

namespace fs = std::filesystem;

namespace rsim::app {

namespace {

constexpr std::size_t kMaxBatchRows = 1 << 16;

void print_error(const sched::Comm& comm, const std::exception& e) {
  if (comm.size() > 1)
    std::fprintf(stderr, "rsim: error on rank %d: %s\n", comm.rank(), e.what());
  else
    std::fprintf(stderr, "rsim: error: %s\n", e.what());
}

core::ExitCode code_of(const std::exception& e) {
  if (const auto* r = dynamic_cast<const core::Error*>(&e)) return r->exit_code();
  return core::ExitCode::runtime;
}

// Runs `step` on every rank.  If it throws anywhere, the lowest failing rank
// prints its error and every rank gets that rank's exit code.
template <class F>
std::optional<core::ExitCode> collectively(const sched::Comm& comm, F&& step) {
  std::optional<std::string> msg;
  core::ExitCode code = core::ExitCode::ok;
  try {
    step();
  } catch (const std::exception& e) {
    code = code_of(e);
    msg = e.what();
    if (comm.size() == 1) {
      print_error(comm, e);
      return code;
    }
  }
  const int first = comm.first_true(msg.has_value());
  if (first < 0) return std::nullopt;
  if (first == comm.rank()) std::fprintf(stderr, "rsim: error%s: %s\n",
                                         comm.size() > 1 ? (" on rank " + std::to_string(first)).c_str() : "",
                                         msg->c_str());
  return static_cast<core::ExitCode>(comm.broadcast(static_cast<std::uint64_t>(code), first));
}

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw core::ConfigError({path, 0, ""}, "the grid file is a folder", "give the path of a grid.toml file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw core::ConfigError({path, 0, ""}, "cannot read the grid file: " + std::string(std::strerror(errno)),
                            "check the path; usage: rsim [options] grid.toml");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Before any task runs: the output must be a writable file path.
void check_output(const std::string& output) {
  std::error_code ec;
  if (fs::is_directory(output, ec))
    throw core::IoError("the output path is a folder", output, "set [job] output or --output to a file name such as study.h5");
  const fs::path dir = fs::path(output).parent_path();
  if (!fs::is_directory(dir, ec))
    throw core::IoError("the output folder does not exist", dir.string(), "create it, or choose another output path");
  if (::access(dir.c_str(), W_OK) != 0)
    throw core::IoError("the output folder is not writable", dir.string(), "choose an output path you can write");
}

// Moves `path` aside as path.old-<time> (never deletes); returns the new name.
std::string move_aside(const std::string& path, const std::string& stamp) {
  std::string to = path + ".old-" + stamp;
  for (int i = 2; fs::exists(to); ++i) to = path + ".old-" + stamp + "-" + std::to_string(i);
  std::error_code ec;
  fs::rename(path, to, ec);
  if (ec) throw core::IoError("cannot move aside: " + ec.message(), path, "move it yourself, then rerun");
  return to;
}

// What an earlier run left decides what this run does (rank 0, before any
// task): --fresh moves it aside; a result file of another grid.toml, or not
// rsim's, is refused; a finished job is not run again (--rerun-failed turns
// its rows into checkpoints and reruns the failed tasks).  Returns the exit
// code when there is nothing to do.
std::optional<core::ExitCode> prepare_output(const grid::JobSpec& spec, const std::string& ckpt, const Options& opt) {
  std::error_code ec;
  if (opt.fresh) {
    std::string stamp = core::utc_now_iso();
    stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
    for (const std::string& p : {spec.output, ckpt, spec.output + ".logs", spec.output + ".status.json"})
      if (fs::exists(p, ec)) std::printf("rsim: --fresh: moved %s to %s\n", p.c_str(), move_aside(p, stamp).c_str());
    return std::nullopt;
  }
  const io::OutputInfo info = io::inspect_output(spec.output);
  if (!info.exists) {
    if (opt.rerun_failed && !fs::is_directory(ckpt, ec))
      throw core::UsageError("--rerun-failed: there is no result file " + spec.output + " to rerun failed tasks of",
                             "run the job first (without --rerun-failed)");
    return std::nullopt;
  }
  if (!info.is_rsim)
    throw core::IoError("the output path exists and is not an rsim result file", spec.output,
                        "choose another output, move the file away, or use --fresh to move it aside");
  if (info.format_version > core::kFormatVersion)
    throw core::IoError("the result file has format version " + std::to_string(info.format_version) +
                            ", newer than this rsim (" + std::to_string(core::kFormatVersion) + ")",
                        spec.output, "use a newer rsim, or --fresh to move it aside");
  if (info.grid_hash != spec.source_hash)
    throw core::ConfigError({spec.source_path, 0, ""},
                            "the result file " + spec.output + " was made from a different grid.toml (" +
                                info.grid_hash + ", now " + spec.source_hash + ")",
                            "restore the grid.toml it was made from, use --fresh to move the old results aside, "
                            "or set another output");
  if (fs::is_directory(ckpt, ec)) return std::nullopt;  // an interrupted rerun: resume from its checkpoints
  if (opt.rerun_failed) {
    if (info.n_failed == 0 && info.n_not_run == 0) {
      std::printf("rsim: %s: no failed tasks in %s; nothing to rerun\n", spec.name.c_str(), spec.output.c_str());
      return core::ExitCode::ok;
    }
    io::make_dirs(ckpt);
    const std::uint64_t n = io::export_output_to_segments(spec.output, ckpt, spec.source_hash);
    std::printf("rsim: --rerun-failed: %llu failed of %llu tasks run again; the other rows are kept\n",
                static_cast<unsigned long long>(info.n_failed), static_cast<unsigned long long>(n));
    return std::nullopt;
  }
  if (info.n_not_run > 0) {  // a result file with tasks missing: build on it
    io::make_dirs(ckpt);
    io::export_output_to_segments(spec.output, ckpt, spec.source_hash);
    return std::nullopt;
  }
  std::printf("rsim: %s: already complete in %s (%llu ok, %llu failed); nothing to do\n", spec.name.c_str(),
              spec.output.c_str(), static_cast<unsigned long long>(info.n_ok),
              static_cast<unsigned long long>(info.n_failed));
  std::printf("rsim: --rerun-failed reruns the failed tasks, --fresh starts over\n");
  std::fflush(stdout);
  return info.n_failed > 0 ? core::ExitCode::task_failures : core::ExitCode::ok;
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
void fail_repeat_crashers(const grid::JobSpec& spec, const std::string& ckpt) {
  const auto crashes = io::collect_crashes(ckpt);
  if (crashes.empty()) return;
  const auto done = io::committed_ranges(io::list_segments(ckpt), spec.source_hash, spec.source_path);
  auto committed = [&](std::uint64_t t) {
    for (const auto& [b, e] : done)
      if (t >= b && t < e) return true;
    return false;
  };
  core::ResultBatch batch;
  for (const auto& [task, n] : crashes) {
    if (n < 2 || committed(task)) continue;
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
  if (batch.empty()) return;
  const auto now = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  io::SegmentWriter(ckpt, spec.source_hash, 0, now).commit(batch);
}

std::vector<sched::Chunk> pending_tasks(std::uint64_t n_tasks,
                                        const std::vector<std::pair<std::uint64_t, std::uint64_t>>& done) {
  std::vector<sched::Chunk> out;
  std::uint64_t at = 0;
  for (const auto& [b, e] : done) {
    if (b > at) out.push_back({at, std::min(b, n_tasks)});
    at = std::max(at, e);
  }
  if (at < n_tasks) out.push_back({at, n_tasks});
  return out;
}

struct RankCounts {
  std::uint64_t done = 0, failed = 0;
};

// Runs chunks until the work is out or a stop is requested (a signal here,
// or rank 0's notice).  Returns true if it stopped early; the last batch is
// committed either way.
bool run_tasks(sched::Scheduler& sched, run::Runner& runner, io::SegmentWriter& seg, io::TaskMarker& marker,
               double checkpoint_s, std::uint32_t retries, const std::string& errors_dir, int rank, RankCounts& n) {
  core::ResultBatch batch(runner.schema());
  core::TaskMemory memory;
  core::TaskNotes notes;
  const auto every = std::chrono::duration_cast<core::MonoClock::duration>(std::chrono::duration<double>(checkpoint_s));
  constexpr auto kPollEvery = std::chrono::milliseconds(10);
  auto last_commit = core::MonoClock::now();
  auto last_poll = last_commit;
  bool stopped = false;
  while (!stopped) {
    const std::optional<sched::Chunk> c = sched.next(n.done, n.failed);
    if (!c) break;
    for (std::uint64_t t = c->begin; t < c->end; ++t) {
      if (stop_signal() != 0) {
        stopped = true;
        break;
      }
      const auto t0 = core::MonoClock::now();
      core::RowWriter row = batch.begin_row(t);
      notes.clear();
      marker.begin(t);
      memory.reset();
      core::TaskStatus s = runner.run(t, row, notes);
      std::int32_t attempts = 1;
      while (s != core::TaskStatus::ok && !notes.abandoned && static_cast<std::uint32_t>(attempts) <= retries) {  // same stream each time
        batch.cancel_row();
        row = batch.begin_row(t);
        notes.clear();
        s = runner.run(t, row, notes);
        ++attempts;
      }
      const auto t1 = core::MonoClock::now();
      const std::int64_t peak = memory.peak_bytes();
      marker.end();
      if (notes.abandoned) {  // interrupted mid-task: it runs again on resume
        batch.cancel_row();
        stopped = true;
        break;
      }
      if (s != core::TaskStatus::ok) {
        batch.cancel_row();  // a failed task's fields are all NA, whatever it wrote first
        batch.begin_row(t);
        append_error_line(errors_dir, rank, t, core::status_name(s), notes.message);
        batch.add_error({t, std::move(notes.message), std::move(notes.calls)});
        ++n.failed;
      }
      if (notes.warnings > 0) batch.add_warning({t, std::move(notes.warning_messages), {}});
      batch.end_row(s, std::chrono::duration<double>(t1 - t0).count(), attempts, notes.warnings, peak);
      ++n.done;
      sched.note_progress(n.done, n.failed);
      if (batch.size() >= kMaxBatchRows || t1 - last_commit >= every) {
        seg.commit(batch);
        batch.clear();
        last_commit = t1;
      }
      if (t1 - last_poll >= kPollEvery) {
        last_poll = t1;
        if (sched.poll()) {
          stopped = true;
          break;
        }
      }
    }
  }
  seg.commit(batch);  // first of all: what finished is safe
  if (stopped) {
    sched.request_stop();
    sched.next(n.done, n.failed);  // hands back the outstanding request, sends the final tally
  }
  return stopped;
}

}  // namespace

core::ExitCode run_job(const Options& opt, const sched::Comm& comm) {
  const auto t_start = core::MonoClock::now();
  const std::string created = core::utc_now_iso();

  // 1. The grid: rank 0 reads the file, every rank parses the same text.
  grid::JobSpec spec;
  std::string text;
  if (auto c = collectively(comm, [&] {
        if (comm.rank() == 0) text = read_text(opt.grid);
      }))
    return *c;
  text = comm.broadcast(text);
  if (auto c = collectively(comm, [&] {
        spec = grid::parse_job_spec(text, opt.grid);
        if (!opt.output.empty()) spec.output = fs::absolute(opt.output).lexically_normal().string();
      }))
    return *c;
  const grid::TaskSpace space(spec);
  const std::string ckpt = io::checkpoint_dir_for(spec.output);

  // 2. The backend, set up on every rank before any task runs (a mistake in
  // the grid or the script is reported before anything on disk is looked at).
  std::unique_ptr<run::Runner> runner;
  std::vector<core::DataTable> data;  // [data] inputs, loaded by every rank, shared by its tasks
  if (auto c = collectively(comm, [&] {
        data = io::load_data(spec);
        runner = run::make_runner(spec, space, {comm.rank(), spec.output + ".logs", &data});
      }))
    return *c;

  // 3. Output checks and earlier checkpoints (rank 0), then the plan for every rank.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> committed;
  std::string plan;
  std::optional<core::ExitCode> nothing_to_do;  // rank 0: the job is already done
  std::optional<io::RunLock> lock;               // rank 0: this run owns the job's files
  core::Schema earlier;                          // rank 0: fields committed by earlier runs
  if (auto c = collectively(comm, [&] {
        if (comm.rank() != 0) return;
        check_output(spec.output);
        lock.emplace(spec.output);
        nothing_to_do = prepare_output(spec, ckpt, opt);
        if (nothing_to_do) return;
        io::remove_stale_temp_files(ckpt);
        fail_repeat_crashers(spec, ckpt);
        const auto segments = io::list_segments(ckpt);
        committed = io::committed_ranges(segments, spec.source_hash, spec.source_path, opt.rerun_failed);
        earlier = io::merge_schemas({}, segments);
      }))
    return *c;
  if (comm.broadcast(static_cast<std::uint64_t>(nothing_to_do ? 1 + static_cast<int>(*nothing_to_do) : 0)) > 0)
    return nothing_to_do.value_or(core::ExitCode::ok);
  {
    std::string enc;
    for (const auto& [b, e] : committed) enc += std::to_string(b) + " " + std::to_string(e) + "\n";
    plan = comm.broadcast(enc);
    committed.clear();
    std::istringstream in(plan);
    std::uint64_t b, e;
    while (in >> b >> e) committed.emplace_back(b, e);
  }
  const std::uint64_t already = [&] {
    std::uint64_t s = 0;
    for (const auto& [b, e] : committed) s += e - b;
    return s;
  }();
  if (comm.rank() == 0 && already > 0)
    std::fprintf(stderr, "rsim: resuming: %llu of %llu tasks already committed in %s\n",
                 static_cast<unsigned long long>(already), static_cast<unsigned long long>(space.n_tasks()),
                 ckpt.c_str());

  runner->adopt_schema(decode_schema(comm.broadcast(encode_schema(earlier))));

  // 4. The run.  The checkpoint folder appears only once set-up succeeded.
  if (auto c = collectively(comm, [&] {
        if (comm.rank() == 0) io::make_dirs(ckpt);
      }))
    return *c;
  const std::uint64_t run_id =
      comm.broadcast(static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  RankCounts counts;
  const JobFacts facts{spec.name, spec.output, spec.output + ".status.json", created, space.n_tasks(),
                       already,   comm.size(), spec.output + ".logs"};
  sched::Progress last;
  bool interrupted = false;
  const auto t_run = core::MonoClock::now();
  try {
    sched::Scheduler sched(comm, pending_tasks(space.n_tasks(), committed), spec.schedule.chunk);
    io::SegmentWriter seg(ckpt, spec.source_hash, static_cast<std::uint32_t>(comm.rank()), run_id);
    io::TaskMarker marker(ckpt, static_cast<std::uint32_t>(comm.rank()));
    if (spec.schedule.memory_bytes > 0 && !core::limit_address_space(spec.schedule.memory_bytes))
      std::fprintf(stderr, "rsim: rank %d: cannot set the [schedule] memory limit; running without it\n",
                   comm.rank());
    std::optional<ProgressMonitor> monitor;
    if (comm.rank() == 0)
      monitor.emplace(!opt.quiet && (opt.progress || ::isatty(STDERR_FILENO)), facts,
                      [&sched] { return sched.progress(); });
    install_stop_signals();
    std::error_code ec;
    fs::create_directories(facts.errors_dir, ec);
    run_tasks(sched, *runner, seg, marker, spec.schedule.checkpoint_s, spec.schedule.retries, facts.errors_dir,
              comm.rank(), counts);
    interrupted = sched.finish();
    if (monitor) {
      monitor->stop();
      last = sched.progress();
    }
  } catch (const std::exception& e) {
    // Mid-run failures cannot be agreed on: stop the whole job.  What was
    // committed stays in the checkpoint folder for the rerun.
    print_error(comm, e);
    comm.abort(static_cast<int>(code_of(e)));
  }
  interrupted = comm.first_true(interrupted) >= 0;
  const double run_s = core::seconds_since(t_run);
  if (interrupted) {
    if (comm.rank() == 0) {
      const std::uint64_t n_committed = already + last.done;
      write_status(facts, last, run_s, "interrupted");
      std::printf("rsim: %s: interrupted by a signal; %llu of %llu tasks are committed in %s\n", spec.name.c_str(),
                  static_cast<unsigned long long>(n_committed), static_cast<unsigned long long>(space.n_tasks()),
                  ckpt.c_str());
      std::printf("rsim: run the same command again to resume\n");
      std::fflush(stdout);
    }
    return core::ExitCode::interrupted;
  }

  // 5. Rank 0 assembles the result file.
  core::ExitCode code = core::ExitCode::ok;
  if (auto c = collectively(comm, [&] {
        if (comm.rank() != 0) return;
        io::Provenance prov;
        prov.created = created;
        prov.finished = core::utc_now_iso();
        prov.n_ranks = static_cast<std::uint32_t>(comm.size());
        prov.task_detail = runner->describe();
        prov.extra = runner->provenance();
        if (!data.empty()) {
          std::string d;  // name = file (sha256:...), one input per line
          for (const auto& t : data) d += t.name + " = " + t.file + " (sha256:" + t.sha256 + ")\n";
          prov.extra.emplace_back("data", d);
        }
        const auto t_write = core::MonoClock::now();
        const io::AssemblySummary sum =
            io::assemble_results(spec, space, io::list_segments(ckpt), runner->schema(), spec.output, prov);
        const double write_s = core::seconds_since(t_write);
        write_status(facts, last, run_s, "finished", sum.failed());
        std::error_code ec;
        fs::remove_all(ckpt, ec);
        lock->release_and_remove();
        const double secs = core::seconds_since(t_start);
        const std::uint64_t ran = space.n_tasks() - already;
        std::printf("rsim: %s: %llu tasks, %llu ok, %llu failed, in %.2f s on %d rank%s\n", spec.name.c_str(),
                    static_cast<unsigned long long>(space.n_tasks()), static_cast<unsigned long long>(sum.ok),
                    static_cast<unsigned long long>(sum.failed()), secs, comm.size(), comm.size() > 1 ? "s" : "");
        std::printf("rsim: ran %llu tasks in %.3f s (%.0f tasks/s), wrote the result file in %.3f s\n",
                    static_cast<unsigned long long>(ran), run_s, run_s > 0 ? static_cast<double>(ran) / run_s : 0.0,
                    write_s);
        std::printf("rsim: results in %s\n", spec.output.c_str());
        if (sum.failed() > 0) {
          std::printf("rsim: %llu tasks failed; their messages are in /errors of the result file\n",
                      static_cast<unsigned long long>(sum.failed()));
          code = core::ExitCode::task_failures;
        }
        std::fflush(stdout);
      }))
    return *c;
  return static_cast<core::ExitCode>(comm.broadcast(static_cast<std::uint64_t>(code)));
}

}  // namespace rsim::app
