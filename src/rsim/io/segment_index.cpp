#include "rsim/io/segment_index.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

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
  SegmentTasks seg = read_segment_tasks(path);
  check_(seg.header.identity, path);
  entries_.push_back({path, std::move(seg.header), std::move(seg.tasks), std::move(seg.status)});
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

std::uint64_t SegmentIndex::failed_count(const TaskRanges& failed_before) const {
  const TaskRanges all = committed_ranges(false);
  // those failed before that no segment ran again, and the segments' tasks whose latest row failed
  return count(subtract(failed_before, all)) + count(all) - count(committed_ranges(true));
}

namespace {
// One kind of a field name: the fields whose types join.
struct Kind {
  core::Field field;
  core::FieldOrigin origin;
  bool kept = false;
};

// Which kind of a name the file keeps: a kept one, else the one with the
// lowest task that returned a value, else the lowest task that returned it.
bool wins_over(const Kind& a, const Kind& b) {
  if (a.kept != b.kept) return a.kept;
  if (a.origin.first_value != b.origin.first_value) return a.origin.first_value < b.origin.first_value;
  return a.origin.before(b.origin);
}

class Kinds {
 public:
  void add(const core::Field& f, const core::FieldOrigin& o, bool kept) {
    auto& list = by_name_[f.name];
    for (const std::size_t k : list)
      if (const auto t = core::widened_type(kinds_[k].field, f)) {
        kinds_[k].field.type = *t;
        kinds_[k].origin.merge(o);
        kinds_[k].kept = kinds_[k].kept || kept;
        return;
      }
    list.push_back(kinds_.size());
    kinds_.push_back({f, o, kept});
  }
  FieldPlan winners() const {
    struct Won {
      const Kind* kind;
      core::FieldOrigin first;  // the name's first appearance, of any kind: its place in the file
    };
    std::vector<Won> won;
    for (const auto& [name, list] : by_name_) {
      Won w{&kinds_[list[0]], kinds_[list[0]].origin};
      for (const std::size_t k : list) {
        if (wins_over(kinds_[k], *w.kind)) w.kind = &kinds_[k];
        if (kinds_[k].origin.before(w.first)) w.first = kinds_[k].origin;
      }
      won.push_back(w);
    }
    std::sort(won.begin(), won.end(), [](const Won& a, const Won& b) {
      if (a.kind->kept != b.kind->kept) return a.kind->kept;
      if (a.first.first_task != b.first.first_task || a.first.position != b.first.position)
        return a.first.before(b.first);
      return a.kind->field.name < b.kind->field.name;
    });
    FieldPlan plan;
    for (const Won& w : won) {
      plan.schema.push_back(w.kind->field);
      plan.origins.push_back(w.kind->origin);
      plan.kept.push_back(w.kind->kept);
    }
    return plan;
  }

 private:
  std::vector<Kind> kinds_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
};
}  // namespace

FieldPlan plan_fields(const core::Schema& kept, const std::vector<SegmentEntry>& segments,
                      const std::vector<core::FieldMeta>& kept_meta, const std::vector<bool>& kept_wide) {
  Kinds kinds;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    core::FieldOrigin o;
    o.note(0, static_cast<std::uint32_t>(i), i < kept_meta.size() ? &kept_meta[i] : nullptr);
    o.first_value = 0;
    o.wide = i < kept_wide.size() && kept_wide[i];
    kinds.add(kept[i], o, true);
  }
  for (const auto& seg : segments)
    for (std::size_t i = 0; i < seg.header.schema.size(); ++i)
      kinds.add(seg.header.schema[i], i < seg.header.origins.size() ? seg.header.origins[i] : core::FieldOrigin{}, false);
  return kinds.winners();
}

core::Schema SegmentIndex::schema(const core::Schema& kept) const { return plan_fields(kept, entries_).schema; }

TaskRanges unite(TaskRanges a, const TaskRanges& b) {
  a.insert(a.end(), b.begin(), b.end());
  return merge(std::move(a));
}

std::uint64_t count(const TaskRanges& r) {
  std::uint64_t n = 0;
  for (const auto& [b, e] : r) n += e - b;
  return n;
}

TaskRanges subtract(const TaskRanges& a, const TaskRanges& b) {
  TaskRanges out;
  std::size_t j = 0;
  for (auto [lo, hi] : a) {
    while (j < b.size() && b[j].second <= lo) ++j;
    for (std::size_t k = j; k < b.size() && b[k].first < hi; ++k) {
      if (b[k].first > lo) out.emplace_back(lo, b[k].first);
      lo = std::max(lo, b[k].second);
    }
    if (lo < hi) out.emplace_back(lo, hi);
  }
  return out;
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
