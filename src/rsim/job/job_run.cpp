#include "rsim/job/job_run.hpp"

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

#include "rsim/job/errors.hpp"
#include "rsim/job/hosts.hpp"
#include "rsim/job/identity.hpp"
#include "rsim/job/run_history.hpp"
#include "rsim/job/inspect.hpp"
#include "rsim/job/progress.hpp"
#include "rsim/job/resume.hpp"
#include "rsim/job/task_loop.hpp"
#include "rsim/job/signals.hpp"
#include "rsim/job/summary_run.hpp"
#include "rsim/job/summary_sink.hpp"
#include "rsim/core/clock.hpp"
#include "rsim/core/cpus.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/io/data_loader.hpp"
#include "rsim/io/deflate_pool.hpp"
#include "rsim/io/task_marker.hpp"
#include "rsim/io/run_lock.hpp"
#include "rsim/core/process_memory.hpp"
#include "rsim/core/version.hpp"
#include "rsim/io/result_file.hpp"
#include "rsim/run/runner.hpp"
#include "rsim/sched/scheduler.hpp"

namespace fs = std::filesystem;

namespace rsim::job {

namespace {

// "on rank N" only when several ranks run.
int rank_label(const sched::Comm& comm) { return comm.size() > 1 ? comm.rank() : -1; }

// Runs `step` on every rank.  If it throws anywhere, the lowest failing rank
// prints its error and every rank gets that rank's exit code.
template <class F>
std::optional<core::ExitCode> collectively(const sched::Comm& comm, F&& step) {
  std::optional<std::string> msg;
  core::ExitCode code = core::ExitCode::ok;
  try {
    step();
  } catch (const std::exception& e) {
    code = exit_code_of(e);
    msg = e.what();
    if (comm.size() == 1) {
      print_error(e);
      return code;
    }
  }
  const int first = comm.first_true(msg.has_value());
  if (first < 0) return std::nullopt;
  if (first == comm.rank()) print_error(*msg, first);
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
}  // namespace

namespace {

// One run on this rank, phase by phase.  Each phase returns an exit code to
// stop with (every rank gets the same one), or nothing to go on.
class JobRun {
 public:
  JobRun(const RunOptions& opt, const sched::Comm& comm) : opt_(opt), comm_(comm) {}
  // However the run ends (not by abort), no lock file is left behind.
  ~JobRun() {
    if (lock_) lock_->release_and_remove();
  }
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;

  // 1. The grid: rank 0 reads the file, every rank parses the same text.
  std::optional<core::ExitCode> read_grid() {
    std::string text;
    if (auto c = collectively(comm_, [&] {
          if (comm_.rank() == 0) text = read_text(opt_.grid);
        }))
      return c;
    text = comm_.broadcast(text);
    if (auto c = collectively(comm_, [&] {
          spec_ = grid::parse_job_spec(text, opt_.grid);
          if (!opt_.output.empty()) spec_.output = fs::absolute(opt_.output).lexically_normal().string();
        }))
      return c;
    space_.emplace(spec_);
    ckpt_ = io::checkpoint_dir_for(spec_.output);
    // The output path itself (a folder? a missing folder?) before set-up,
    // which creates the logs folder next to it.
    return collectively(comm_, [&] {
      if (comm_.rank() == 0) check_output(spec_);
    });
  }

  // 1a. Several ranks: every rank must see the output folder, the same one
  // (a shared file system).  Each writes a probe file there; rank 0 checks
  // it sees them all and names, by host, the ranks that cannot.
  std::optional<core::ExitCode> check_shared_output() {
    if (comm_.size() == 1) return std::nullopt;
    const std::string token = comm_.broadcast(comm_.rank() == 0 ? probe_token() : std::string());
    const std::string host = this_host();
    const std::string problem = write_probe(spec_.output, token, comm_.rank(), host);
    const std::vector<std::string> reports = comm_.gather(encode_probe(host, problem));  // every probe written
    auto code = collectively(comm_, [&] {
      if (comm_.rank() != 0) return;
      std::vector<RankProbe> ranks;
      for (std::size_t r = 0; r < reports.size(); ++r) ranks.push_back(decode_probe(static_cast<int>(r), reports[r]));
      check_probes(spec_.output, token, ranks);
    });
    remove_probe(spec_.output, token, comm_.rank());
    return code;
  }

  // 1b. Rank 0 takes the job's lock, held until the run ends.  --fresh moves
  // the earlier run's files aside before set-up creates this run's logs.  A
  // finished job whose inputs are unchanged needs no set-up: no R is
  // started just to say so.
  std::optional<core::ExitCode> before_set_up() {
    std::optional<core::ExitCode> done;
    if (auto c = collectively(comm_, [&] {
          if (comm_.rank() != 0) return;
          lock_.emplace(spec_.output);
          if (opt_.fresh) move_earlier_run_aside(spec_, ckpt_);
          done = finished_already(spec_, ckpt_, opt_);
        }))
      return c;
    const std::uint64_t code = comm_.broadcast(done ? 1 + static_cast<std::uint64_t>(*done) : 0);
    if (code == 0) return std::nullopt;
    return static_cast<core::ExitCode>(code - 1);
  }

  // 2. The backend, set up on every rank before any task runs: a mistake in
  // the grid or the script is reported before anything on disk is looked at.
  std::optional<core::ExitCode> set_up() {
    return collectively(comm_, [&] {
      data_ = io::load_data(spec_);
      runner_ = run::make_runner(spec_, *space_, {comm_.rank(), spec_.output + ".logs", &data_});
    });
  }

  // 2b. What the results depend on, as rank 0 sees it (every rank stores it
  // in its checkpoints).
  std::optional<core::ExitCode> identify() {
    std::string text;
    if (auto c = collectively(comm_, [&] {
          if (comm_.rank() == 0) text = job_identity(spec_, data_, *runner_).encode();
        }))
      return c;
    identity_ = core::Identity::decode(comm_.broadcast(text));
    return std::nullopt;
  }

  // 3. Output checks and earlier checkpoints (rank 0), then the plan for every rank.
  std::optional<core::ExitCode> plan() {
    Plan plan;  // rank 0's
    if (auto c = collectively(comm_, [&] {
          if (comm_.rank() != 0) return;
          plan = summary() ? plan_summary_run(spec_, *space_, identity_, ckpt_, opt_)
                           : plan_run(spec_, identity_, ckpt_, opt_);
        }))
      return c;
    if (comm_.broadcast(static_cast<std::uint64_t>(plan.nothing_to_do ? 1 + static_cast<int>(*plan.nothing_to_do) : 0)) > 0)
      return plan.nothing_to_do.value_or(core::ExitCode::ok);
    index_ = std::move(plan.index);
    base_ = plan.base;
    already_failed_ = plan.already_failed;
    committed_ = broadcast_ranges(plan.committed);
    if (summary()) first_round_ = broadcast_ranges(plan.first_round);
    already_ = io::count(committed_);
    if (comm_.rank() == 0 && already_ > 0)
      std::fprintf(stderr, "rsim: resuming: %llu of %llu tasks already committed in %s\n",
                   static_cast<unsigned long long>(already_), static_cast<unsigned long long>(space_->n_tasks()),
                   ckpt_.c_str());
    runner_->adopt_schema(decode_schema(comm_.broadcast(encode_schema(plan.earlier))));
    // The checkpoint folder appears only once set-up succeeded.
    return collectively(comm_, [&] {
      if (comm_.rank() == 0) io::make_dirs(ckpt_);
    });
  }

  // 4. The run; returns exit code 4 if a signal stopped it.
  std::optional<core::ExitCode> run() {
    const std::uint64_t run_id =
        comm_.broadcast(static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
    start_record(run_id);
    facts_ = JobFacts{spec_.name, spec_.output, spec_.output + ".status.json", created_, space_->n_tasks(),
                      already_,   comm_.size(), spec_.output + ".logs",
                      std::filesystem::absolute(spec_.source_path).string(), rank_hosts_};
    facts_.already_failed = already_failed_;
    bool interrupted = false;
    const auto t_run = core::MonoClock::now();
    io::TaskRanges ranges = summary() ? first_round_ : io::complement(space_->n_tasks(), committed_), last_round;
    for (std::uint32_t round = 0;; ++round) {
      if (summary() && round > 0) {  // the blocks the rounds so far leave to run
        if (auto c = collectively(comm_, [&] {
              if (comm_.rank() == 0) ranges = fold_checkpoints(spec_, *space_, identity_, ckpt_).next_round();
            }))
          return c;
        ranges = broadcast_ranges(ranges);
      }
      if (summary() && (ranges.empty() || (round > 0 && ranges == last_round))) break;  // done, or blocks rank 0 cannot see
      try {
        interrupted = run_rank(run_id, round, ranges);
      } catch (const std::exception& e) {
        // Mid-run failures cannot be agreed on: stop the whole job.  What was
        // committed stays in the checkpoint folder for the rerun.
        print_error(e, rank_label(comm_));
        comm_.abort(static_cast<int>(exit_code_of(e)));
      }
      interrupted = comm_.first_true(interrupted) >= 0;
      if (interrupted || !summary() || spec_.results.targets.empty()) break;
      last_round = std::move(ranges);
    }
    run_s_ = core::seconds_since(t_run);
    if (!interrupted) return std::nullopt;
    if (comm_.rank() == 0) {
      record_.ended = core::utc_now_iso();
      record_.state = "interrupted";
      record_.tasks = last_.done;
      record_run(ckpt_, record_);
      write_status(facts_, last_, run_s_, "interrupted");
      std::uint64_t committed = already_ + last_.done;
      try {  // a summary job commits whole blocks only: count what its checkpoints hold
        if (summary()) committed = io::count(fold_checkpoints(spec_, *space_, identity_, ckpt_).committed());
      } catch (const std::exception& e) {
        print_error(e);  // the resume reports it again
      }
      std::printf("rsim: %s: interrupted by a signal; %llu of %llu tasks are committed in %s\n", spec_.name.c_str(),
                  static_cast<unsigned long long>(committed),
                  static_cast<unsigned long long>(space_->n_tasks()), ckpt_.c_str());
      std::printf("rsim: run the same command again to resume\n");
      std::fflush(stdout);
    }
    return core::ExitCode::interrupted;
  }

  // 5. Rank 0 assembles the result file and reports.
  core::ExitCode finish() {
    core::ExitCode code = core::ExitCode::ok;
    if (auto c = collectively(comm_, [&] {
          if (comm_.rank() == 0) code = assemble();
        }))
      return *c;
    return static_cast<core::ExitCode>(comm_.broadcast(static_cast<std::uint64_t>(code)));
  }

 private:
  io::TaskRanges broadcast_ranges(const io::TaskRanges& mine) const {
    std::string enc;
    for (const auto& [b, e] : mine) enc += std::to_string(b) + " " + std::to_string(e) + "\n";
    std::istringstream in(comm_.broadcast(enc));
    io::TaskRanges out;
    std::uint64_t b, e;
    while (in >> b >> e) out.emplace_back(b, e);
    return out;
  }

  // Who runs this run: every rank's host, gathered; rank 0 notes the start
  // in the checkpoint folder, so an interrupted or killed run is remembered.
  void start_record(std::uint64_t run_id) {
    const std::vector<std::string> hosts = comm_.gather(this_host());
    const std::vector<std::string> cpus = comm_.gather(core::cpus_text(core::allowed_cpus()));
    if (comm_.rank() != 0) return;
    rank_hosts_ = hosts;
    share_idle_cpus(hosts, cpus);
    record_ = {run_id, created_, "", "running", static_cast<std::uint32_t>(comm_.size()), {}, 0,
               opt_.rerun_failed ? "--rerun-failed" : (opt_.fresh ? "--fresh" : "")};
    for (const auto& h : hosts)
      if (std::find(record_.hosts.begin(), record_.hosts.end(), h) == record_.hosts.end()) record_.hosts.push_back(h);
    record_run(ckpt_, record_);
  }

  // While rank 0 assembles the result file, the other ranks wait: the CPUs
  // of those on its host compress the file's chunks (io::set_compression_cpus()).
  static void share_idle_cpus(const std::vector<std::string>& hosts, const std::vector<std::string>& cpus) {
    std::vector<int> on_host;
    for (std::size_t r = 0; r < hosts.size() && r < cpus.size(); ++r)
      if (hosts[r] == hosts[0])
        for (const int c : core::parse_cpus(cpus[r]))
          if (std::find(on_host.begin(), on_host.end(), c) == on_host.end()) on_host.push_back(c);
    std::sort(on_host.begin(), on_host.end());
    io::set_compression_cpus(on_host);
  }

  bool summary() const { return spec_.results.keep == grid::Keep::summary; }

  // Where finished tasks go: task segments, or (summary) whole blocks.
  struct Sinks {
    std::optional<io::SegmentWriter> seg;
    std::optional<io::BlockWriter> blocks;
    std::unique_ptr<BatchSink> sink;
  };
  void make_sinks(Sinks& s, std::uint64_t run_id, std::uint32_t round) const {
    const auto rank = static_cast<std::uint32_t>(comm_.rank());
    if (summary()) {
      s.blocks.emplace(ckpt_, identity_.encode(), rank, run_id, round);
      s.sink = std::make_unique<SummarySink>(*space_, *s.blocks);
    } else {
      s.seg.emplace(ckpt_, identity_.encode(), rank, run_id);
      s.sink = std::make_unique<SegmentSink>(*s.seg);
    }
  }

  // This rank's part of one round of the run (the only round unless the
  // job has precision targets); true if it stopped early.
  bool run_rank(std::uint64_t run_id, std::uint32_t round, const io::TaskRanges& ranges) {
    std::vector<sched::Chunk> pending;
    for (const auto& [b, e] : ranges) pending.push_back({b, e});
    sched::WorkPool::Align align;
    if (summary()) align = [this](std::uint64_t t) { return space_->align_up(t); };
    sched::Scheduler sched(comm_, std::move(pending), spec_.schedule.chunk, std::move(align));
    Sinks sinks;
    make_sinks(sinks, run_id, round);
    io::TaskMarker marker(ckpt_, static_cast<std::uint32_t>(comm_.rank()));
    if (spec_.schedule.memory_bytes > 0 && !core::limit_address_space(spec_.schedule.memory_bytes))
      std::fprintf(stderr, "rsim: rank %d: cannot set the [schedule] memory limit; running without it\n",
                   comm_.rank());
    std::optional<ProgressMonitor> monitor;
    if (comm_.rank() == 0)
      monitor.emplace(!opt_.quiet && (opt_.progress || ::isatty(STDERR_FILENO)), facts_,
                      [&sched, before = last_] { return plus(before, sched.progress()); });  // rounds add up
    install_stop_signals(true);
    std::error_code ec;
    fs::create_directories(facts_.errors_dir, ec);
    RankCounts counts;
    SchedulerSource work(sched);
    run_tasks(work, *runner_, *sinks.sink,
              {spec_.schedule.checkpoint_s, spec_.schedule.retries, facts_.errors_dir, comm_.rank(), &marker, {}},
              counts);
    const bool interrupted = sched.finish();
    if (monitor) {
      monitor->stop();
      add_progress(sched.progress());
    }
    return interrupted;
  }

  // Rounds add up (rank 0).
  static sched::Progress plus(sched::Progress a, const sched::Progress& b) {
    a.done += b.done;
    a.failed += b.failed;
    a.total += b.total;
    a.per_rank.resize(std::max(a.per_rank.size(), b.per_rank.size()));
    for (std::size_t r = 0; r < b.per_rank.size(); ++r) a.per_rank[r] += b.per_rank[r];
    return a;
  }
  void add_progress(const sched::Progress& p) { last_ = plus(last_, p); }

  // The result file from the base file (if any) and the checkpoints:
  // those planning indexed, then this run's own.
  io::AssemblySummary assemble_file(const io::Provenance& prov) {
    index_->add_new_headers();
    return io::assemble_results(spec_, *space_, *index_, base_, runner_->schema(), spec_.output, prov);
  }

  // Every rank finished, yet tasks have no row: a checkpoint rank 0 cannot
  // see (an output folder that is not shared) or that was lost.  The file
  // is written with them as not_run; the checkpoints stay for the rerun.
  core::ExitCode missing_tasks(const io::AssemblySummary& sum) {
    write_status(facts_, last_, run_s_, "incomplete", sum.failed());
    print_error(core::IoError(std::to_string(sum.not_run) + " of " + std::to_string(space_->n_tasks()) +
                                  " tasks have no result although every rank finished: a checkpoint that rank 0 "
                                  "cannot see or that was lost; " + spec_.output +
                                  " is written with them as not_run and the checkpoints are kept",
                              ckpt_,
                              "put the output on a file system every rank shares, then run the same command "
                              "again: it runs the missing tasks")
                    .what());
    return core::ExitCode::runtime;
  }

  core::ExitCode assemble() {
    io::Provenance prov;
    prov.created = created_;
    prov.finished = core::utc_now_iso();
    prov.n_ranks = static_cast<std::uint32_t>(comm_.size());
    prov.task_detail = runner_->describe();
    prov.extra = runner_->provenance();
    prov.extra.emplace_back("job_json", job_json(spec_, *space_));
    prov.extra.emplace_back("identity", identity_.encode());
    record_.ended = prov.finished;
    record_.state = "finished";
    record_.tasks = summary() ? last_.done : space_->n_tasks() - already_;
    prov.extra.emplace_back("runs", runs_json(base_.empty() ? "" : io::inspect_output(base_).runs, ckpt_, record_));
    if (!data_.empty()) {
      std::string d;  // name = file (sha256:...), one input per line
      for (const auto& t : data_) d += t.name + " = " + t.file + " (sha256:" + t.sha256 + ")\n";
      prov.extra.emplace_back("data", d);
    }
    const auto t_write = core::MonoClock::now();
    const io::AssemblySummary sum =
        summary() ? assemble_summary(spec_, *space_, identity_, ckpt_, prov) : assemble_file(prov);
    const double write_s = core::seconds_since(t_write);
    if (sum.not_run > 0) return missing_tasks(sum);
    write_status(facts_, last_, run_s_, "finished", sum.failed());
    std::error_code ec;
    fs::remove_all(ckpt_, ec);
    lock_->release_and_remove();
    const std::uint64_t ran = summary() ? last_.done : space_->n_tasks() - already_;
    std::printf("rsim: %s: %llu tasks, %llu ok, %llu failed, in %.2f s on %d rank%s\n", spec_.name.c_str(),
                static_cast<unsigned long long>(summary() ? sum.ok + sum.failed() : space_->n_tasks()),
                static_cast<unsigned long long>(sum.ok),
                static_cast<unsigned long long>(sum.failed()), core::seconds_since(t_start_), comm_.size(),
                comm_.size() > 1 ? "s" : "");
    std::printf("rsim: ran %llu tasks in %.3f s (%.0f tasks/s), wrote the result file in %.3f s\n",
                static_cast<unsigned long long>(ran), run_s_, run_s_ > 0 ? static_cast<double>(ran) / run_s_ : 0.0,
                write_s);
    std::printf("rsim: results in %s\n", spec_.output.c_str());
    if (summary())
      std::printf("rsim: per-point summaries of %llu replicates in /summary (R: rsim::read_summary())\n",
                  static_cast<unsigned long long>(sum.ok + sum.failed()));
    if (sum.failed() > 0)
      std::printf("rsim: %llu %s in /errors of the result file\n", static_cast<unsigned long long>(sum.failed()),
                  summary() ? "tasks failed; the first of each block has its message"
                  : sum.failed() == 1 ? "task failed; its message is" : "tasks failed; their messages are");
    std::fflush(stdout);
    return sum.failed() > 0 ? core::ExitCode::task_failures : core::ExitCode::ok;
  }

  const RunOptions& opt_;
  const sched::Comm& comm_;
  const core::MonoClock::time_point t_start_ = core::MonoClock::now();
  const std::string created_ = core::utc_now_iso();
  grid::JobSpec spec_;
  std::optional<grid::TaskSpace> space_;
  std::string ckpt_;
  std::vector<core::DataTable> data_;  // [data] inputs, loaded by every rank, shared by its tasks
  std::unique_ptr<run::Runner> runner_;
  core::Identity identity_;            // what the results depend on (rank 0's view, broadcast)
  RunRecord record_;                   // rank 0: this run, for the result file's `runs`
  std::vector<std::string> rank_hosts_;  // rank 0: the host of each rank, for the status file
  std::optional<io::RunLock> lock_;    // rank 0: this run owns the job's files
  std::optional<io::SegmentIndex> index_;  // rank 0: the checkpoints as planning read them
  std::string base_;                       // rank 0: an earlier result file whose rows stay
  io::TaskRanges committed_;
  io::TaskRanges first_round_;         // a summary job: the blocks of its first round
  std::uint64_t already_ = 0;          // tasks committed by earlier runs
  std::uint64_t already_failed_ = 0;   // rank 0: of which failed (the status file counts them)
  JobFacts facts_;
  sched::Progress last_;
  double run_s_ = 0;
};

}  // namespace

bool must_skip_shutdown() { return io::hdf5_shutdown_unsafe(); }

core::ExitCode run_job(const RunOptions& opt, const sched::Comm& comm) {
  install_stop_signals(false);  // a stop during set-up ends the run before its first task
  JobRun job(opt, comm);
  if (auto c = job.read_grid()) return *c;
  if (auto c = job.check_shared_output()) return *c;
  if (auto c = job.before_set_up()) return *c;
  if (auto c = job.set_up()) return *c;
  if (auto c = job.identify()) return *c;
  if (auto c = job.plan()) return *c;
  if (auto c = job.run()) return *c;
  return job.finish();
}

}  // namespace rsim::job
