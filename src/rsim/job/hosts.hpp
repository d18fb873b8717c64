#pragma once
// Which ranks run on which host, and whether they all see the output folder.
//
// With several ranks, before set-up, every rank writes a probe file next to
// the output; rank 0 then checks that it sees every probe.  A rank whose
// folder is missing or not writable, or whose probe does not reach rank 0
// (a node-local folder with the same path), stops the job before any task
// runs, named with its host (docs/cluster.md).  No MPI here: job_run.cpp
// gathers what each rank reports.
#include <string>
#include <vector>

namespace rsim::job {

// The ranks of one host, in rank order.
struct HostRanks {
  std::string host;
  std::vector<int> ranks;
};

// Groups `rank_hosts` (the host of each rank, in rank order) by host, in the
// order of each host's first rank.
std::vector<HostRanks> ranks_per_host(const std::vector<std::string>& rank_hosts);

// "rank 4", "ranks 0-1", "ranks 0, 2, 4-5" (`ranks` ascending).
std::string rank_list(const std::vector<int>& ranks);

// What one rank saw when it wrote its probe: `problem` is "" if it wrote it.
struct RankProbe {
  int rank = 0;
  std::string host;
  std::string problem;
};

// A token unique to this run (rank 0's pid and clock), for probe names.
std::string probe_token();

// The probe file of `rank` in the output's folder (a hidden name beside
// `output`, unique per run through `token`).
std::string probe_path(const std::string& output, const std::string& token, int rank);

// This rank writes its probe (its rank, host and the token inside).  Returns
// "" or what went wrong ("the folder does not exist there", "cannot write
// in it: Permission denied").
std::string write_probe(const std::string& output, const std::string& token, int rank, const std::string& host);

// Removes this rank's probe, if there is one.
void remove_probe(const std::string& output, const std::string& token, int rank);

// Rank 0, once every rank has written (or failed to write) its probe:
// throws core::IoError naming, host by host, the ranks that could not write
// there and those whose probe rank 0 cannot see.  Waits up to `wait_s`
// seconds for probes that are not visible yet (a network file system).
void check_probes(const std::string& output, const std::string& token, const std::vector<RankProbe>& ranks,
                  double wait_s = 2.0);

// A probe report as one string for a gather, and back.
std::string encode_probe(const std::string& host, const std::string& problem);
RankProbe decode_probe(int rank, const std::string& text);

}  // namespace rsim::job
