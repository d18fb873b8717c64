#pragma once
// One run per result file at a time: rank 0 holds an exclusive lock on
// <output>.lock for the whole run, so a second run (or ranks left over from
// a killed launcher) cannot run the same tasks into the same checkpoints.
// The lock goes with the process, however it ends.
#include <string>

namespace rsim::io {

class RunLock {
 public:
  // Throws core::IoError naming the holder (pid, host) if another run has
  // it, and a different IoError if the file system cannot flock.
  explicit RunLock(const std::string& output);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  // After a complete run: the lock file goes too.
  void release_and_remove();

 private:
  [[noreturn]] void refuse(int err);  // flock failed with `err`: closes and throws
  std::string path_;
  int fd_ = -1;
};

}  // namespace rsim::io
