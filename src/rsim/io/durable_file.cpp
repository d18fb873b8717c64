#include "rsim/io/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rsim/core/error.hpp"

namespace rsim::io {

namespace {

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, const std::string& data, const std::string& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string why = errno_text();
      throw core::IoError("cannot write checkpoint: " + why, path,
                          "free disk space or choose an output folder on a file system with room");
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems refuse directory fds
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_durably(const std::string& dir, const std::string& name, const std::string& data) {
  const std::string final_path = dir + "/" + name;
  const std::string tmp_path = dir + "/.tmp-" + name;
  ::unlink(tmp_path.c_str());
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    const std::string why = errno_text();
    throw core::IoError("cannot create checkpoint file: " + why, tmp_path,
                        "check that the output folder is writable and not full");
  }
  try {
    write_all(fd, data, tmp_path);
    if (::fsync(fd) != 0) {
      const std::string why = errno_text();
      throw core::IoError("cannot flush checkpoint to disk: " + why, tmp_path, "check the file system");
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp_path.c_str());
    throw core::IoError("cannot commit checkpoint: " + why, final_path, "check the output folder");
  }
  fsync_dir(dir);
}

std::string read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw core::IoError("cannot open checkpoint file: " + errno_text(), path, "check the file's permissions");
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1: EOF in one more read
  std::size_t got = 0;
  for (;;) {
    if (got == data.size()) data.resize(std::max<std::size_t>(4096, data.size() * 2));  // grew since fstat
    const ssize_t r = ::read(fd, &data[got], data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const std::string why = errno_text();
      ::close(fd);
      throw core::IoError("cannot read checkpoint file: " + why, path, "check the file system");
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  data.resize(got);
  return data;
}

std::vector<std::string> list_checkpoint_files(const std::string& dir, const std::string& prefix) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".rsb") out.push_back(e.path().string());
  }
  if (ec) throw core::IoError("cannot list checkpoint folder: " + ec.message(), dir, "check its permissions");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rsim::io
