#include "rsim/io/segment_index.hpp"

#include <algorithm>
#include <map>

#include "rsim/core/error.hpp"
#include "rsim/core/field_types.hpp"

namespace rsim::io {

SegmentIndex::SegmentIndex(std::string dir, IdentityCheck check) : dir_(std::move(dir)), check_(std::move(check)) {
  refresh();
}

void SegmentIndex::refresh() {
  bool added = false;
  for (const auto& path : list_segments(dir_)) {
    if (seen_.count(path)) continue;
    read(path);
    added = true;
  }
  if (added)
    std::sort(entries_.begin(), entries_.end(), [](const SegmentEntry& a, const SegmentEntry& b) { return a.path < b.path; });
}

void SegmentIndex::add_new_headers() {
  for (const auto& path : list_segments(dir_)) {
    if (seen_.count(path)) continue;
    SegmentEntry e;
    e.path = path;
    e.header = read_segment_header(path);  // the fields it holds; the assembly verifies the whole file
    check_(e.header.identity, path);
    entries_.push_back(std::move(e));
    seen_.insert(path);
  }
  std::sort(entries_.begin(), entries_.end(), [](const SegmentEntry& a, const SegmentEntry& b) { return a.path < b.path; });
}

void SegmentIndex::read(const std::string& path) {
  Segment seg = read_segment(path);
  check_(seg.header.identity, path);
  entries_.push_back({path, std::move(seg.header), seg.batch.tasks(), seg.batch.status()});
  seen_.insert(path);
}

namespace {
bool failed(core::TaskStatus s) { return s == core::TaskStatus::error || s == core::TaskStatus::timeout; }

TaskRanges merge(TaskRanges runs) {
  std::sort(runs.begin(), runs.end());
  TaskRanges merged;
  for (const auto& r : runs) {
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  return merged;
}

// `ranges` minus the single tasks in `cut` (sorted).
TaskRanges cut_out(const TaskRanges& ranges, const std::vector<std::uint64_t>& cut) {
  TaskRanges out;
  auto c = cut.begin();
  for (auto [b, e] : ranges) {
    for (; c != cut.end() && *c < e; ++c) {
      if (*c < b) continue;
      if (*c > b) out.emplace_back(b, *c);
      b = *c + 1;
    }
    if (b < e) out.emplace_back(b, e);
  }
  return out;
}
}  // namespace

TaskRanges SegmentIndex::committed_ranges(bool exclude_failed) const {
  TaskRanges runs;
  std::map<std::uint64_t, bool> failed_latest;  // tasks that ever failed: does their latest row fail?
  for (const auto& seg : entries_) {
    const auto& t = seg.tasks;
    for (std::size_t i = 0; i < t.size();) {  // contiguous runs of ids
      std::size_t j = i + 1;
      while (j < t.size() && t[j] == t[j - 1] + 1) ++j;
      runs.emplace_back(t[i], t[j - 1] + 1);
      i = j;
    }
    if (!exclude_failed) continue;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (failed(seg.status[i])) failed_latest[t[i]] = true;
      else if (auto it = failed_latest.find(t[i]); it != failed_latest.end()) it->second = false;
    }
  }
  std::vector<std::uint64_t> cut;
  for (const auto& [task, is_failed] : failed_latest)
    if (is_failed) cut.push_back(task);
  return cut_out(merge(std::move(runs)), cut);
}

core::Schema merge_schema(core::Schema schema, const core::Schema& add) {
  for (const auto& f : add) {
    auto it = std::find_if(schema.begin(), schema.end(), [&](const core::Field& g) { return g.name == f.name; });
    if (it == schema.end()) schema.push_back(f);
    else if (auto w = core::widened(*it, f)) *it = *w;  // otherwise the first type stays
  }
  return schema;
}

core::Schema SegmentIndex::schema(core::Schema schema) const {
  for (const auto& seg : entries_) schema = merge_schema(std::move(schema), seg.header.schema);
  return schema;
}

TaskRanges unite(TaskRanges a, const TaskRanges& b) {
  a.insert(a.end(), b.begin(), b.end());
  return merge(std::move(a));
}

TaskRanges complement(std::uint64_t n_tasks, const TaskRanges& done) {
  TaskRanges out;
  std::uint64_t at = 0;
  for (const auto& [b, e] : done) {
    if (b > at) out.emplace_back(at, std::min(b, n_tasks));
    at = std::max(at, e);
  }
  if (at < n_tasks) out.emplace_back(at, n_tasks);
  return out;
}

}  // namespace rsim::io
