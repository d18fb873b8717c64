#include "rsim/io/task_marker.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace rsim::io {

namespace {
constexpr std::uint64_t kMagic = 0x52534d4d41524b31ULL;  // "RSMMARK1"
}

TaskMarker::TaskMarker(const std::string& dir, std::uint32_t rank) {
  char name[48];
  std::snprintf(name, sizeof name, "running-r%05u.mark", rank);
  path_ = (fs::path(dir) / name).string();
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;  // best effort: without it crashes are not attributed
  if (::ftruncate(fd, sizeof(Slot)) == 0) {
    void* p = ::mmap(nullptr, sizeof(Slot), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
      slot_ = static_cast<Slot*>(p);
      slot_->magic = kMagic;
      slot_->running = 0;
    }
  }
  ::close(fd);
}

TaskMarker::~TaskMarker() {
  if (slot_) ::munmap(slot_, sizeof(Slot));
  std::error_code ec;
  fs::remove(path_, ec);
}

std::map<std::uint64_t, int> collect_crashes(const std::string& dir) {
  std::map<std::uint64_t, int> counts;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return counts;
  const std::string log = (fs::path(dir) / "crashes.log").string();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("running-r", 0) != 0 || e.path().extension() != ".mark") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::uint64_t slot[3] = {0, 0, 0};
    in.read(reinterpret_cast<char*>(slot), sizeof slot);
    if (in && slot[0] == kMagic && slot[2] == 1) {
      std::ofstream out(log, std::ios::app);
      out << slot[1] << "\n";
    }
    fs::remove(e.path(), ec);
  }
  std::ifstream in(log);
  std::uint64_t t;
  while (in >> t) ++counts[t];
  return counts;
}

}  // namespace rsim::io
