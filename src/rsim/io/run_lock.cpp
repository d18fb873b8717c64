#include "rsim/io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::io {

RunLock::RunLock(const std::string& output) : path_(output + ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw core::IoError(std::string("cannot create the run lock: ") + std::strerror(errno), path_,
                        "check that the output folder is writable");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[256] = "";
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    holder[n > 0 ? n : 0] = '\0';
    ::close(fd_);
    fd_ = -1;
    throw core::IoError(std::string("another rsim run is writing this job (") + (n > 0 ? holder : "holder unknown") +
                            ")",
                        path_, "wait for it to finish, or stop it first; ranks of a killed mpirun may still run");
  }
  char host[128] = "";
  ::gethostname(host, sizeof host - 1);
  const std::string who = "pid " + std::to_string(::getpid()) + " on " + host;
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, who.data(), who.size(), 0) < 0) {
    // the holder's name is a courtesy; the lock itself is what matters
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

void RunLock::release_and_remove() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace rsim::io
