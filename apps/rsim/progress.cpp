#include "progress.hpp"

#include "quote.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <vector>

#include "rsim/core/clock.hpp"

namespace rsim::app {

void append_error_line(const std::string& dir, int rank, std::uint64_t task, const char* status,
                       const std::string& message) {
  char name[40];
  std::snprintf(name, sizeof name, "/errors-r%05d.jsonl", rank);
  std::ofstream out(dir + name, std::ios::app);
  if (!out) return;
  out << "{\"task\": " << task << ", \"status\": " << quote_str(status) << ", \"message\": " << quote_str(message)
      << ", \"time\": " << quote_str(core::utc_now_iso()) << "}\n";
}

namespace {
// The last `n` error lines over every rank's errors file, newest last.
std::vector<std::string> recent_errors(const std::string& dir, std::size_t n) {
  std::vector<std::pair<std::string, std::string>> lines;  // (time, line)
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("errors-r", 0) != 0) continue;
    std::ifstream in(e.path());
    std::deque<std::string> tail;
    for (std::string l; std::getline(in, l);) {
      tail.push_back(l);
      if (tail.size() > n) tail.pop_front();
    }
    for (auto& l : tail) {
      const auto t = l.find("\"time\": ");
      lines.emplace_back(t == std::string::npos ? "" : l.substr(t), l);
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out.push_back(lines[i].second);
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
  std::string s = "{\n";
  s += "  \"format\": 1,\n";
  s += "  \"job\": " + quote_str(f.job) + ",\n";
  s += "  \"output\": " + quote_str(f.output) + ",\n";
  s += "  \"state\": " + quote_str(state) + ",\n";
  s += "  \"n_tasks\": " + std::to_string(f.n_tasks) + ",\n";
  s += "  \"done\": " + std::to_string(done) + ",\n";
  s += "  \"failed\": " + std::to_string(failed_total > 0 ? failed_total : p.failed) + ",\n";
  s += "  \"resumed_from\": " + std::to_string(f.already) + ",\n";
  s += "  \"this_run\": {\"total\": " + std::to_string(p.total) + ", \"done\": " + std::to_string(p.done) +
       ", \"seconds\": " + std::to_string(seconds) + ", \"rate\": " + std::to_string(rate) + "},\n";
  s += "  \"eta_seconds\": " + (eta >= 0 ? std::to_string(eta) : std::string("null")) + ",\n";
  s += "  \"ranks\": " + std::to_string(f.ranks) + ",\n";
  s += "  \"done_per_rank\": [";
  for (std::size_t r = 0; r < p.per_rank.size(); ++r) s += (r ? ", " : "") + std::to_string(p.per_rank[r]);
  s += "],\n";
  s += "  \"started\": " + quote_str(f.started) + ",\n";
  s += "  \"updated\": " + quote_str(core::utc_now_iso()) + ",\n";
  s += "  \"recent_errors\": [";
  const auto errs = recent_errors(f.errors_dir, 5);
  for (std::size_t i = 0; i < errs.size(); ++i) s += (i ? ",\n    " : "\n    ") + errs[i];
  s += errs.empty() ? "],\n" : "\n  ],\n";
  s += "  \"host\": " + quote_str(host) + ",\n";
  s += "  \"pid\": " + std::to_string(::getpid()) + "\n}\n";
  const std::string tmp = f.status_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;
    out << s;
    if (!out) return;
  }
  std::rename(tmp.c_str(), f.status_path.c_str());
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

}  // namespace rsim::app
