#include "rsim/job/progress.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "rsim/core/clock.hpp"
#include "rsim/job/hosts.hpp"

namespace rsim::job {

using nlohmann::ordered_json;

void append_error_line(const std::string& dir, int rank, std::uint64_t task, const char* status,
                       const std::string& message) {
  char name[40];
  std::snprintf(name, sizeof name, "/errors-r%05d.jsonl", rank);
  std::ofstream out(dir + name, std::ios::app);
  if (!out) return;
  const ordered_json line = {{"task", task}, {"status", status}, {"message", message}, {"time", core::utc_now_iso()}};
  // Invalid UTF-8 in a message is replaced, never thrown on.
  out << line.dump(-1, ' ', false, ordered_json::error_handler_t::replace) << "\n";
}

namespace {
// The last `n` error records over every rank's errors file, oldest first.
// A torn or foreign line (a rank killed mid-write) is skipped.
std::vector<ordered_json> recent_errors(const std::string& dir, std::size_t n) {
  std::vector<ordered_json> records;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind("errors-r", 0) != 0) continue;
    std::ifstream in(e.path());
    std::deque<ordered_json> tail;
    for (std::string l; std::getline(in, l);) {
      ordered_json j = ordered_json::parse(l, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("time") || !j["time"].is_string()) continue;
      tail.push_back(std::move(j));
      if (tail.size() > n) tail.pop_front();
    }
    for (auto& j : tail) records.push_back(std::move(j));
  }
  std::stable_sort(records.begin(), records.end(), [](const ordered_json& a, const ordered_json& b) {
    return a["time"].get<std::string>() < b["time"].get<std::string>();
  });
  if (records.size() > n) records.erase(records.begin(), records.end() - static_cast<std::ptrdiff_t>(n));
  return records;
}
// Per host: its name, its ranks and the tasks they finished in this run.
// Without the hosts (a caller that did not gather them), every rank is
// taken to run here.
ordered_json hosts_json(std::vector<std::string> rank_hosts, const std::vector<std::uint64_t>& per_rank,
                        int ranks, const std::string& here) {
  if (rank_hosts.empty()) rank_hosts.assign(static_cast<std::size_t>(ranks), here);
  ordered_json out = ordered_json::array();
  for (const HostRanks& h : ranks_per_host(rank_hosts)) {
    std::uint64_t done = 0;
    for (const int r : h.ranks)
      if (static_cast<std::size_t>(r) < per_rank.size()) done += per_rank[static_cast<std::size_t>(r)];
    out.push_back({{"host", h.host}, {"ranks", h.ranks}, {"done", done}});
  }
  return out;
}
}  // namespace

void write_status(const JobFacts& f, const sched::Progress& p, double seconds, const std::string& state,
                  std::uint64_t failed_total) {
  const double rate = seconds > 0 ? static_cast<double>(p.done) / seconds : 0.0;
  const std::uint64_t done = f.already + p.done;
  const double eta = rate > 0 && f.n_tasks >= done ? static_cast<double>(f.n_tasks - done) / rate : -1.0;
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  ordered_json j = {{"format", 1},
                    {"job", f.job},
                    {"output", f.output},
                    {"grid", f.grid},
                    {"state", state},
                    {"n_tasks", f.n_tasks},
                    {"done", done},
                    {"failed", failed_total > 0 ? failed_total : f.already_failed + p.failed},
                    {"resumed_from", f.already},
                    {"this_run", {{"total", p.total}, {"done", p.done}, {"seconds", seconds}, {"rate", rate}}},
                    {"eta_seconds", eta >= 0 ? ordered_json(eta) : ordered_json()},
                    {"ranks", f.ranks},
                    {"done_per_rank", p.per_rank},
                    {"hosts", hosts_json(f.rank_hosts, p.per_rank, f.ranks, host)},
                    {"started", f.started},
                    {"updated", core::utc_now_iso()},
                    {"recent_errors", recent_errors(f.errors_dir, 5)},
                    {"host", host},
                    {"pid", ::getpid()}};
  const std::string tmp = f.status_path + ".tmp";
  const std::string text = j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  ::unlink(tmp.c_str());  // a new file, never written through a planted link
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (::close(fd) == 0 && ok) std::rename(tmp.c_str(), f.status_path.c_str());
}

ProgressMonitor::ProgressMonitor(bool line, JobFacts facts, std::function<sched::Progress()> source)
    : line_(line), facts_(std::move(facts)), source_(std::move(source)) {
  thread_ = std::thread([this] { loop(); });
}

ProgressMonitor::~ProgressMonitor() { stop(); }

void ProgressMonitor::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  tick(true);
}

void ProgressMonitor::loop() {
  tick(false);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_.load(); })) {
    lock.unlock();
    tick(false);
    lock.lock();
  }
}

void ProgressMonitor::tick(bool final) {
  const sched::Progress p = source_();
  const double s = core::seconds_since(t0_);
  write_status(facts_, p, s, "running");
  if (!line_) return;
  const double rate = s > 0 ? static_cast<double>(p.done) / s : 0;
  const double pct = p.total ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 100.0;
  char eta[32] = "--:--";
  if (rate > 0 && p.total >= p.done) {
    const auto left = static_cast<long>(static_cast<double>(p.total - p.done) / rate);
    std::snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", left / 3600, (left / 60) % 60, left % 60);
  }
  std::fprintf(stderr, "\r\033[Krsim: %llu/%llu tasks (%.1f%%), %.0f tasks/s, ETA %s, %llu failed%s",
               static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total), pct, rate, eta,
               static_cast<unsigned long long>(p.failed), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace rsim::job
