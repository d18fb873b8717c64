#include "status.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rsim/grid/grid_reader.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/output_reader.hpp"

namespace fs = std::filesystem;

namespace rsim::app {

namespace {

// The value of "key" in rsim's own status JSON (flat, one key per line).
std::string json_field(const std::string& json, const std::string& key) {
  const std::string pat = "\"" + key + "\": ";
  const auto at = json.find(pat);
  if (at == std::string::npos) return "";
  auto b = at + pat.size();
  auto e = json.find_first_of(",\n", b);
  std::string v = json.substr(b, e == std::string::npos ? std::string::npos : e - b);
  while (!v.empty() && (v.back() == '}' || v.back() == ' ')) v.pop_back();
  if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
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

  std::string json;
  if (std::ifstream in(output + ".status.json"); in) {
    std::ostringstream s;
    s << in.rdbuf();
    json = s.str();
  }
  if (name.empty()) name = json_field(json, "job");
  if (!json.empty()) n_tasks = std::stoull(json_field(json, "n_tasks"));

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
  const std::string state = json.empty() ? std::string("unknown (no status file)") : json_field(json, "state");
  std::printf("  state: %s", state.c_str());
  if (!json.empty()) {
    const double a = age(json_field(json, "updated"));
    std::printf(" (as of %s, %s ago; pid %s on %s, %s rank%s)", json_field(json, "updated").c_str(),
                hms(a).c_str(), json_field(json, "pid").c_str(), json_field(json, "host").c_str(),
                json_field(json, "ranks").c_str(), json_field(json, "ranks") == "1" ? "" : "s");
    if (state == "running" && a > 30)
      std::printf("\n  note: no update for %s; the job may have been killed (rerun the same command to resume)",
                  hms(a).c_str());
  }
  std::printf("\n");
  if (n_tasks > 0)
    std::printf("  committed: %llu of %llu tasks (%.1f%%), %llu failed, in %zu checkpoint segment%s\n",
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(n_tasks),
                100.0 * static_cast<double>(committed) / static_cast<double>(n_tasks),
                static_cast<unsigned long long>(failed), segments.size(), segments.size() == 1 ? "" : "s");
  else
    std::printf("  committed: %llu tasks, %llu failed, in %zu checkpoint segments\n",
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(failed), segments.size());
  if (!json.empty() && state == "running") {
    const std::string eta = json_field(json, "eta_seconds");
    std::printf("  done (reported): %s, rate %s tasks/s, ETA %s\n", json_field(json, "done").c_str(),
                json_field(json, "rate").c_str(), eta == "null" || eta.empty() ? "--:--" : hms(std::stod(eta)).c_str());
  }
  if (state == "interrupted") std::printf("  rerun the same command to resume\n");
  return core::ExitCode::ok;
}

}  // namespace rsim::app
