#pragma once
// Internal to rsim/io: the little-endian byte encoding of checkpoint files
// (segments and summary blocks): fixed-size values as their bytes, strings
// with a 32-bit length, and a reader that never reads past its end.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "rsim/core/error.hpp"

namespace rsim::io::codec {

template <class T>
void put(std::string& b, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void put_str(std::string& b, const std::string& s) {
  put<std::uint32_t>(b, static_cast<std::uint32_t>(s.size()));
  b.append(s);
}
template <class T>
void put_vec(std::string& b, const std::vector<T>& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (!v.empty()) b.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Reads `data` up to `end`; a damaged file is a core::IoError naming `path`
// as "damaged <what>".
class ByteReader {
 public:
  ByteReader(const std::string& data, std::size_t end, const std::string& path, const char* what)
      : d_(data), end_(end), path_(path), what_(what) {}
  template <class T>
  T get() {
    T v;
    need(sizeof v);
    std::memcpy(&v, d_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string get_str() {
    const auto n = get<std::uint32_t>();
    need(n);
    std::string s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  template <class T>
  void get_vec(std::vector<T>& v, std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(n * sizeof(T));
    v.resize(n);
    if (n) std::memcpy(v.data(), d_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  std::size_t pos() const { return pos_; }
  [[noreturn]] void corrupt(const std::string& why) const {
    throw core::IoError("damaged " + std::string(what_) + ": " + why, path_,
                        "move the file out of the checkpoint folder (its tasks will run again), "
                        "or move the checkpoint folder aside to start over");
  }

 private:
  void need(std::size_t n) const {
    if (n > end_ - pos_ || pos_ > end_) corrupt("record runs past the end of the data");
  }
  const std::string& d_;
  std::size_t end_;
  std::size_t pos_ = 0;
  const std::string& path_;
  const char* what_;
};

}  // namespace rsim::io::codec
