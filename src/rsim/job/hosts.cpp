#include "rsim/job/hosts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "rsim/core/error.hpp"

namespace fs = std::filesystem;

namespace rsim::job {

std::vector<HostRanks> ranks_per_host(const std::vector<std::string>& rank_hosts) {
  std::vector<HostRanks> out;
  for (std::size_t r = 0; r < rank_hosts.size(); ++r) {
    auto it = out.begin();
    while (it != out.end() && it->host != rank_hosts[r]) ++it;
    if (it == out.end()) it = out.insert(out.end(), HostRanks{rank_hosts[r], {}});
    it->ranks.push_back(static_cast<int>(r));
  }
  return out;
}

std::string rank_list(const std::vector<int>& ranks) {
  if (ranks.empty()) return "no ranks";
  std::string out;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return (ranks.size() == 1 ? "rank " : "ranks ") + out;
}

namespace {

std::string probe_text(const std::string& token, int rank, const std::string& host) {
  return "rsim probe " + token + " rank " + std::to_string(rank) + " on " + host + "\n";
}

// The probe of `p` is there, written by that rank in this run.
bool probe_visible(const std::string& output, const std::string& token, const RankProbe& p) {
  std::ifstream in(probe_path(output, token, p.rank), std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str() == probe_text(token, p.rank, p.host);
}

// The ranks whose probe rank 0 cannot see, after waiting up to `wait_s`.
std::vector<int> unseen_ranks(const std::string& output, const std::string& token,
                              const std::vector<RankProbe>& ranks, double wait_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  std::vector<int> unseen;
  for (;;) {
    unseen.clear();
    for (const auto& p : ranks)
      if (p.problem.empty() && !probe_visible(output, token, p)) unseen.push_back(p.rank);
    if (unseen.empty() || std::chrono::steady_clock::now() >= deadline) return unseen;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Ranks with the same host and problem, in the order of their first rank.
struct Trouble {
  std::string host, problem;
  std::vector<int> ranks;
};

void add_trouble(std::vector<Trouble>& all, const std::string& host, const std::string& problem, int rank) {
  for (auto& t : all)
    if (t.host == host && t.problem == problem) {
      t.ranks.push_back(rank);
      return;
    }
  all.push_back({host, problem, {rank}});
}

}  // namespace

std::string probe_token() {
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  std::ostringstream s;
  s << std::hex << ::getpid() << "-" << static_cast<unsigned long long>(now);
  return s.str();
}

std::string probe_path(const std::string& output, const std::string& token, int rank) {
  const fs::path out(output);
  return (out.parent_path() / ("." + out.filename().string() + ".probe-" + token + "-r" + std::to_string(rank)))
      .string();
}

std::string write_probe(const std::string& output, const std::string& token, int rank, const std::string& host) {
  const std::string dir = fs::path(output).parent_path().string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) return "the folder does not exist there";
  if (!fs::is_directory(dir, ec)) return "it is not a folder there";
  const std::string path = probe_path(output, token, rank);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return std::string("cannot write in it: ") + std::strerror(errno);
  const std::string text = probe_text(token, rank, host);
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = wrote ? 0 : errno;
  if (::close(fd) != 0 || !wrote) {
    ::unlink(path.c_str());
    return std::string("cannot write in it: ") + std::strerror(err ? err : errno);
  }
  return "";
}

void remove_probe(const std::string& output, const std::string& token, int rank) {
  ::unlink(probe_path(output, token, rank).c_str());
}

void check_probes(const std::string& output, const std::string& token, const std::vector<RankProbe>& ranks,
                  double wait_s) {
  const std::vector<int> unseen = unseen_ranks(output, token, ranks, wait_s);
  const std::string host0 = ranks.empty() ? std::string() : ranks.front().host;
  std::vector<Trouble> trouble;
  for (const auto& p : ranks) {
    if (!p.problem.empty())
      add_trouble(trouble, p.host, p.problem, p.rank);
    else if (std::find(unseen.begin(), unseen.end(), p.rank) != unseen.end())
      add_trouble(trouble, p.host,
                  "rank 0 (on " + host0 + ") cannot see the files written there: that folder is local to " + p.host +
                      " (or another file system at the same path), not shared",
                  p.rank);
  }
  if (trouble.empty()) return;
  std::string what = "the output folder is not shared by every rank:";
  for (std::size_t i = 0; i < trouble.size(); ++i)
    what += (i ? "; " : " ") + rank_list(trouble[i].ranks) + " on " + trouble[i].host + ": " + trouble[i].problem;
  throw core::IoError(what, fs::path(output).parent_path().string(),
                      "put the output on a file system that every host mounts at the same path (a shared home or "
                      "scratch; not /tmp or a node-local disk; see docs/cluster.md), or run all ranks on one host");
}

std::string encode_probe(const std::string& host, const std::string& problem) { return host + "\n" + problem; }

RankProbe decode_probe(int rank, const std::string& text) {
  const auto nl = text.find('\n');
  if (nl == std::string::npos) return {rank, text, ""};
  return {rank, text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace rsim::job
