#include "rsim/job/status.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <nlohmann/json.hpp>

#include "rsim/grid/grid_reader.hpp"
#include "rsim/job/hosts.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/output_reader.hpp"

namespace fs = std::filesystem;

namespace rsim::job {

namespace {

// The job's status file as JSON; an empty object if it is missing, and a
// note instead of a crash if it is torn or not JSON (a disk that filled up).
nlohmann::json read_status_file(const std::string& path, std::string& problem) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  std::ostringstream s;
  s << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(s.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    problem = "the status file " + path + " is damaged (not JSON); showing the checkpoints only";
    return nlohmann::json::object();
  }
  return j;
}

// j[key] as text ("" if absent): strings as they are, numbers as JSON writes them.
std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

double number(const nlohmann::json& j, const char* key, double otherwise) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : otherwise;
}

std::string hms(double s) {
  if (s < 0) return "--:--";
  const auto t = static_cast<long>(s);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

// Seconds since an ISO 8601 UTC stamp ("2026-11-29T14:23:54Z"), or -1.
double age(const std::string& iso) {
  std::tm tm{};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return -1;
  return std::difftime(std::time(nullptr), timegm(&tm));
}

// The status file's `hosts`: a line per host, its ranks and the tasks they
// finished in the run that wrote the file.  Entries of another shape are skipped.
void print_hosts(const nlohmann::json& json) {
  const auto it = json.find("hosts");
  if (it == json.end() || !it->is_array() || it->empty()) return;
  std::printf("  hosts: %zu\n", it->size());
  for (const auto& h : *it) {
    if (!h.is_object() || !h.contains("host") || !h["host"].is_string() || !h.contains("ranks") ||
        !h["ranks"].is_array())
      continue;
    std::vector<int> ranks;
    for (const auto& r : h["ranks"])
      if (r.is_number_integer()) ranks.push_back(r.get<int>());
    const std::string done = text(h, "done");
    std::printf("    %s: %s%s\n", h["host"].get<std::string>().c_str(), rank_list(ranks).c_str(),
                done.empty() ? "" : (", " + done + " tasks done in this run").c_str());
  }
}

}  // namespace

core::ExitCode show_status(const std::string& path) {
  std::string output = path;
  std::string name;
  std::uint64_t n_tasks = 0;
  if (fs::path(path).extension() == ".toml") {
    const grid::JobSpec spec = grid::read_job_spec(path);
    output = spec.output;
    name = spec.name;
  } else if (!fs::exists(path) && !fs::exists(path + ".ckpt") && !fs::exists(path + ".status.json")) {
    throw core::UsageError("no job found at " + path + " (no result file, checkpoints or status file)",
                           "give the grid.toml or the job's output path: rsim status grid.toml");
  }

  std::string problem;
  const nlohmann::json json = read_status_file(output + ".status.json", problem);
  if (name.empty()) name = text(json, "job");
  n_tasks = static_cast<std::uint64_t>(number(json, "n_tasks", 0));

  const io::OutputInfo info = io::inspect_output(output);
  const std::string ckpt = io::checkpoint_dir_for(output);
  const auto segments = io::list_segments(ckpt);
  std::printf("job %s (%s)\n", name.empty() ? "?" : name.c_str(), output.c_str());

  if (info.is_rsim && segments.empty()) {
    std::printf("  finished: %llu tasks, %llu ok, %llu failed, %llu not run; results in %s\n",
                static_cast<unsigned long long>(info.n_tasks), static_cast<unsigned long long>(info.n_ok),
                static_cast<unsigned long long>(info.n_failed), static_cast<unsigned long long>(info.n_not_run),
                output.c_str());
    return core::ExitCode::ok;
  }

  // Committed so far: from the checkpoints themselves (latest row of a task wins).
  std::uint64_t committed = 0, failed = 0;
  for (const auto& seg : segments) {
    const io::Segment s = io::read_segment(seg);
    for (const auto st : s.batch.status()) {
      ++committed;
      if (st == core::TaskStatus::error || st == core::TaskStatus::timeout) ++failed;
    }
  }
  if (!problem.empty()) std::printf("  note: %s\n", problem.c_str());
  const std::string state = json.empty() ? std::string("unknown (no status file)") : text(json, "state");
  std::printf("  state: %s", state.c_str());
  if (!json.empty()) {
    const double a = age(text(json, "updated"));
    std::printf(" (as of %s, %s ago; pid %s on %s, %s rank%s)", text(json, "updated").c_str(), hms(a).c_str(),
                text(json, "pid").c_str(), text(json, "host").c_str(), text(json, "ranks").c_str(),
                text(json, "ranks") == "1" ? "" : "s");
    if (state == "running" && a > 30)
      std::printf("\n  note: no update for %s; the job may have been killed (rerun the same command to resume)",
                  hms(a).c_str());
  }
  std::printf("\n");
  print_hosts(json);
  if (n_tasks > 0)
    std::printf("  committed: %llu of %llu tasks (%.1f%%), %llu failed, in %zu checkpoint segment%s\n",
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(n_tasks),
                100.0 * static_cast<double>(committed) / static_cast<double>(n_tasks),
                static_cast<unsigned long long>(failed), segments.size(), segments.size() == 1 ? "" : "s");
  else
    std::printf("  committed: %llu tasks, %llu failed, in %zu checkpoint segments\n",
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(failed), segments.size());
  if (!json.empty() && state == "running") {
    const double rate = json.contains("this_run") ? number(json["this_run"], "rate", 0) : 0;
    std::printf("  done (reported): %s, rate %.1f tasks/s, ETA %s\n", text(json, "done").c_str(), rate,
                hms(number(json, "eta_seconds", -1)).c_str());
  }
  if (state == "interrupted") std::printf("  rerun the same command to resume\n");
  return core::ExitCode::ok;
}

}  // namespace rsim::job
