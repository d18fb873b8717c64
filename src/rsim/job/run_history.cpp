#include "rsim/job/run_history.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace rsim::job {

namespace {

using nlohmann::ordered_json;

ordered_json to_json(const RunRecord& r) {
  return {{"run", r.id},     {"started", r.started}, {"ended", r.ended.empty() ? ordered_json() : ordered_json(r.ended)},
          {"state", r.state}, {"ranks", r.ranks},     {"hosts", r.hosts},
          {"tasks", r.tasks}, {"options", r.options}};
}

std::string runs_file(const std::string& ckpt) { return ckpt + "/runs.jsonl"; }

// Adds (or, for a run already there, updates with) the runs in `records`.
void merge(std::map<std::uint64_t, ordered_json>& by_id, const ordered_json& rec) {
  if (!rec.is_object() || !rec.contains("run") || !rec["run"].is_number_unsigned()) return;
  ordered_json& slot = by_id[rec["run"].get<std::uint64_t>()];
  if (slot.is_null()) slot = ordered_json::object();
  for (const auto& [k, v] : rec.items())
    if (!v.is_null()) slot[k] = v;
}

}  // namespace

std::string this_host() {
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  return host;
}

void record_run(const std::string& ckpt, const RunRecord& r) {
  std::ofstream out(runs_file(ckpt), std::ios::app);
  out << to_json(r).dump() << '\n';  // provenance only: a failed write costs no results
}

std::string runs_json(const std::string& earlier_runs, const std::string& ckpt, const RunRecord& current) {
  std::map<std::uint64_t, ordered_json> by_id;
  const ordered_json earlier = ordered_json::parse(earlier_runs, nullptr, false);
  if (earlier.is_array())
    for (const auto& rec : earlier) merge(by_id, rec);
  std::ifstream in(runs_file(ckpt));
  for (std::string line; std::getline(in, line);) merge(by_id, ordered_json::parse(line, nullptr, false));  // torn: discarded
  for (auto& [id, rec] : by_id)
    if (rec.value("state", "") == "running") rec["state"] = "killed";  // started, never ended
  merge(by_id, to_json(current));
  std::vector<ordered_json> runs;
  for (auto& [id, rec] : by_id) runs.push_back(std::move(rec));
  std::stable_sort(runs.begin(), runs.end(), [](const ordered_json& a, const ordered_json& b) {
    return a.value("started", "") < b.value("started", "");
  });
  return ordered_json(runs).dump();
}

}  // namespace rsim::job
