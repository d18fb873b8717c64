#include "rsim/io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::io {

namespace {
// True if `fd` is still the file at `path` (a run that finished may have
// unlinked it between our open and our flock: that lock guards nothing).
bool still_there(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
}  // namespace

RunLock::RunLock(const std::string& output) : path_(output + ".lock") {
  for (int attempt = 0; attempt < 10; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0)
      throw core::IoError(std::string("cannot create the run lock: ") + std::strerror(errno), path_,
                          "check that the output folder is writable");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) refuse(errno);
    if (still_there(fd_, path_)) break;
    ::close(fd_);  // lost a race with a run removing its lock file: take the new one
    fd_ = -1;
  }
  if (fd_ < 0)
    throw core::IoError("cannot take the run lock: the lock file keeps being replaced", path_,
                        "another rsim run may be starting and ending on this job; try again");
  char host[128] = "";
  ::gethostname(host, sizeof host - 1);
  const std::string who = "pid " + std::to_string(::getpid()) + " on " + host;
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, who.data(), who.size(), 0) < 0) {
    // the holder's name is a courtesy; the lock itself is what matters
  }
}

void RunLock::refuse(int err) {
  if (err != EWOULDBLOCK) {  // no flock here (Lustre without -o flock, some NFS setups), or another failure
    ::close(fd_);
    fd_ = -1;
    throw core::IoError(std::string("cannot lock the run lock file: ") + std::strerror(err), path_,
                        "the output's file system must support flock (on Lustre mount it with -o flock; NFSv4 "
                        "and local disks do); or put the output on a file system that does");
  }
  char holder[256] = "";
  const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
  holder[n > 0 ? n : 0] = '\0';
  ::close(fd_);
  fd_ = -1;
  throw core::IoError(std::string("another rsim run is writing this job (") + (n > 0 ? holder : "holder unknown") + ")",
                      path_, "wait for it to finish, or stop it first; ranks of a killed mpirun may still run");
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

// Unlinked while still held: a run that opened the file before the unlink
// gets the lock only after the close, sees the path gone or replaced
// (still_there) and takes a fresh lock file.
void RunLock::release_and_remove() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace rsim::io
