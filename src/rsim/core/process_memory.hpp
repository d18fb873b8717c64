#pragma once
// Resident memory of this process, per task: the kernel's high-water mark
// (VmHWM) is reset to the current RSS before a task and read after it, so
// each task's figure is the rank's peak while that task ran (0.4 us).
#include <cstdint>

namespace rsim::core {

class TaskMemory {
 public:
  TaskMemory();
  ~TaskMemory();
  TaskMemory(const TaskMemory&) = delete;
  TaskMemory& operator=(const TaskMemory&) = delete;
  // Before a task: the high-water mark drops to the current RSS.
  void reset() noexcept;
  // After it: the peak RSS in bytes since reset() (the process peak if the
  // mark cannot be reset on this system), or -1 if unknown.
  std::int64_t peak_bytes() const noexcept;

 private:
  int clear_refs_fd_ = -1;
};

// Caps this process's address space at what it uses now plus `extra_bytes`,
// so a task that allocates more fails with an allocation error (an R error,
// std::bad_alloc) instead of the node running out of memory.  Returns false
// if the limit could not be set.
bool limit_address_space(std::uint64_t extra_bytes);

}  // namespace rsim::core
