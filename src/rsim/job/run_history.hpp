#pragma once
// Every run of a job, kept in its result file's `runs` attribute (a JSON
// array): when each started and ended, on how many ranks and which hosts,
// how many tasks it ran, how it ended and with which options.  A run that
// leaves checkpoints (interrupted, killed, tasks missing) is remembered in
// <output>.ckpt/runs.jsonl until the result file takes it over; a rerun
// on an earlier result file (--rerun-failed, tasks missing) keeps that
// file's runs.
#include <cstdint>
#include <string>
#include <vector>

namespace rsim::job {

struct RunRecord {
  std::uint64_t id = 0;        // the run id its checkpoint segments carry
  std::string started, ended;  // ISO 8601 UTC; ended "" while running or if it was killed
  std::string state;           // "running", "finished", "interrupted", "incomplete"
  std::uint32_t ranks = 0;
  std::vector<std::string> hosts;  // distinct, in rank order
  std::uint64_t tasks = 0;     // tasks this run ran (committed)
  std::string options;         // "--rerun-failed", "--fresh", ""
};

// This machine's host name.
std::string this_host();

// Rank 0: this run's start, or its end, as a line of <ckpt>/runs.jsonl.
void record_run(const std::string& ckpt, const RunRecord& r);

// The `runs` attribute: the runs of `earlier_runs` (a result file's `runs`
// attribute, "" if none), then those of <ckpt>/runs.jsonl (a run with a
// start line only was killed: state "killed"), then `current`; a run known
// from several places is listed once, from the latest.  JSON, by start.
std::string runs_json(const std::string& earlier_runs, const std::string& ckpt, const RunRecord& current);

}  // namespace rsim::job
