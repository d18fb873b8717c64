#pragma once
// Resident memory of this process, per task: before a task the kernel's
// high-water mark (VmHWM) is reset to the current RSS, which is noted; after
// it the mark is read.  The difference is what the task itself added at its
// peak (memory an earlier task left allocated does not count).  ~1.5 us.
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
  // After it: the peak RSS in bytes since reset() minus the RSS at reset()
  // (the process peak minus it if the mark cannot be reset here), or -1.
  std::int64_t peak_bytes() const noexcept;

 private:
  int clear_refs_fd_ = -1;
  int statm_fd_ = -1;
  std::int64_t base_ = 0;  // RSS at reset(), bytes
  std::int64_t page_ = 4096;
};

// Caps this process's address space at what it uses now plus `extra_bytes`,
// so a task that allocates more fails with an allocation error (an R error,
// std::bad_alloc) instead of the node running out of memory.  Returns false
// if the limit could not be set.
bool limit_address_space(std::uint64_t extra_bytes);

}  // namespace rsim::core
