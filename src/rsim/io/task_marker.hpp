#pragma once
// Which task each rank is running, kept in a small memory-mapped file in the
// checkpoint folder.  A store into the mapping survives the process being
// killed (SIGKILL, a segfault, the OOM killer), so the next run learns which
// tasks were running when a rank died, and a task that has crashed its rank
// twice is marked failed instead of crashing the job forever.
#include <cstdint>
#include <map>
#include <string>

namespace rsim::io {

class TaskMarker {
 public:
  TaskMarker(const std::string& dir, std::uint32_t rank);
  ~TaskMarker();  // a clean end: the file goes
  TaskMarker(const TaskMarker&) = delete;
  TaskMarker& operator=(const TaskMarker&) = delete;
  void begin(std::uint64_t task) noexcept {
    if (slot_) {
      slot_->task = task;
      slot_->running = 1;
    }
  }
  void end() noexcept {
    if (slot_) slot_->running = 0;
  }

 private:
  struct Slot {
    std::uint64_t magic;
    volatile std::uint64_t task;
    volatile std::uint64_t running;
  };
  std::string path_;
  Slot* slot_ = nullptr;
};

// Reads and removes the marks an earlier run left in `dir`: the tasks that
// were running when their rank died are appended to <dir>/crashes.log.
// Returns how often each task in that log has crashed its rank.
std::map<std::uint64_t, int> collect_crashes(const std::string& dir);

}  // namespace rsim::io
