#include "rsim/core/process_memory.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace rsim::core {

TaskMemory::TaskMemory() {
  clear_refs_fd_ = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  statm_fd_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  page_ = static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

TaskMemory::~TaskMemory() {
  if (clear_refs_fd_ >= 0) ::close(clear_refs_fd_);
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

void TaskMemory::reset() noexcept {
  if (clear_refs_fd_ >= 0 && ::write(clear_refs_fd_, "5", 1) != 1) {
    // not resettable here: peak_bytes() then reports the process peak
  }
  base_ = 0;
  char buf[128];
  const ssize_t n = statm_fd_ >= 0 ? ::pread(statm_fd_, buf, sizeof buf - 1, 0) : -1;
  if (n > 0) {
    buf[n] = '\0';
    unsigned long size = 0, resident = 0;
    if (std::sscanf(buf, "%lu %lu", &size, &resident) == 2) base_ = static_cast<std::int64_t>(resident) * page_;
  }
}

std::int64_t TaskMemory::peak_bytes() const noexcept {
  struct rusage ru {};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  const std::int64_t peak = static_cast<std::int64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
  return peak > base_ ? peak - base_ : 0;
}

bool limit_address_space(std::uint64_t extra_bytes) {
  unsigned long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  if (pages == 0) return false;
  const auto now = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_AS, &rl) != 0) return false;
  rlim_t want = static_cast<rlim_t>(now + extra_bytes);
  if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) want = rl.rlim_max;
  rl.rlim_cur = want;
  return ::setrlimit(RLIMIT_AS, &rl) == 0;
}

}  // namespace rsim::core
