#include "rsim/io/deflate_pool.hpp"

#include <libdeflate.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>

#include "rsim/core/cpus.hpp"

namespace rsim::io {

namespace {

// One compressor per thread and level (a libdeflate compressor is not shared).
libdeflate_compressor* compressor(int level) {
  struct Cache {
    libdeflate_compressor* by_level[13] = {};
    ~Cache() {
      for (auto* c : by_level) libdeflate_free_compressor(c);
    }
  };
  thread_local Cache cache;
  level = std::clamp(level, 1, 12);
  if (!cache.by_level[level]) cache.by_level[level] = libdeflate_alloc_compressor(level);
  if (!cache.by_level[level]) throw std::bad_alloc();
  return cache.by_level[level];
}

std::mutex g_cpus_mutex;
std::vector<int> g_cpus;  // set_compression_cpus(); empty: this process's own

// Workers beside the calling thread: one less than the CPUs they may use
// (set_compression_cpus(), else this process's affinity), at most 4; none
// for a single CPU: the chunks are then compressed inline.
std::vector<int> worker_cpus() {
  std::lock_guard<std::mutex> lock(g_cpus_mutex);
  return g_cpus.empty() ? core::allowed_cpus() : g_cpus;
}

// Pins the calling thread to `cpus` (best effort: an unknown CPU leaves it as it is).
void pin_to(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  if (CPU_COUNT(&set) > 0) ::sched_setaffinity(0, sizeof set, &set);
}

class Pool {
 public:
  explicit Pool(const std::vector<int>& cpus) {
    const std::size_t n = std::min<std::size_t>(cpus.empty() ? 0 : cpus.size() - 1, 4);
    for (std::size_t i = 0; i < n; ++i)
      workers_.emplace_back([this, cpus] {
        pin_to(cpus);
        work();
      });
  }
  bool empty() const { return workers_.empty(); }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  void add(std::packaged_task<Packed()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Runs the oldest queued job on the calling thread; false if none is queued.
  bool run_one() {
    std::packaged_task<Packed()> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.empty()) return false;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    return true;
  }

 private:
  void work() {
    for (;;) {
      std::packaged_task<Packed()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();  // an exception goes to the future
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<Packed()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};


constexpr std::size_t kSamplePerPlane = 1024;  // bytes of each byte position the sample takes
constexpr double kWorthIt = 0.8;              // deflate a chunk whose sample shrinks below this

// True if the start of every byte plane of `shuffled` deflates to under
// kWorthIt of its size: a 1/32 to 1/256 sample (1 KiB of each plane) that
// decides by the chunk's bytes alone.
bool worth_deflating(libdeflate_compressor* c, const char* shuffled, std::size_t n, std::size_t planes,
                     std::vector<char>& scratch) {
  const std::size_t plane = n / planes, take = std::min(plane, kSamplePerPlane);
  if (take * planes * 4 > n) return true;  // a small chunk: just deflate it
  std::vector<char> sample(take * planes);
  for (std::size_t b = 0; b < planes; ++b) std::memcpy(&sample[b * take], shuffled + b * plane, take);
  const std::size_t bound = libdeflate_zlib_compress_bound(c, sample.size());
  if (scratch.size() < bound) scratch.resize(bound);
  const std::size_t size = libdeflate_zlib_compress(c, sample.data(), sample.size(), scratch.data(), bound);
  return size > 0 && static_cast<double>(size) < kWorthIt * static_cast<double>(sample.size());
}

// Every value of the chunk the same (a status of ok, one attempt, no
// warnings: most per-task columns, chunk after chunk)?
bool one_value(const std::vector<char>& chunk, std::size_t value_bytes) {
  const std::size_t n = chunk.size();
  return n >= value_bytes && value_bytes > 0 && n % value_bytes == 0 &&
         std::memcmp(chunk.data(), chunk.data() + value_bytes, n - value_bytes) == 0;
}

// Values [first, values) of `width` bytes, a byte at a time.
void shuffle_scalar(const char* in, std::size_t first, std::size_t values, std::size_t width, char* out) {
  for (std::size_t i = first; i < values; ++i)
    for (std::size_t b = 0; b < width; ++b) out[b * values + i] = in[i * width + b];
}

// 16 values of W bytes (W = 2, 4, 8) at a time: W vectors, byte position
// p = (value, byte) of the 16 W bytes.  Interleaving vector k with vector
// k + W/2 (unpacklo/hi) rotates the bits of p left by one; four rotations
// turn (value, byte) into (byte, value): vector b then holds byte b of the
// 16 values.
template <std::size_t W>
void shuffle_fixed(const char* in, std::size_t values, char* out) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= values; i += 16) {
    __m128i v[W], t[W];
    for (std::size_t k = 0; k < W; ++k) v[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i * W + 16 * k));
    for (int round = 0; round < 4; ++round) {
      for (std::size_t k = 0; k < W / 2; ++k) {
        t[2 * k] = _mm_unpacklo_epi8(v[k], v[k + W / 2]);
        t[2 * k + 1] = _mm_unpackhi_epi8(v[k], v[k + W / 2]);
      }
      std::copy(t, t + W, v);
    }
    for (std::size_t b = 0; b < W; ++b) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + b * values + i), v[b]);
  }
#endif
  shuffle_scalar(in, i, values, W, out);
}
}  // namespace

void shuffle_bytes(const char* in, std::size_t n, std::size_t width, char* out) {
  const std::size_t values = width ? n / width : 0;
  switch (width) {
    case 2: return shuffle_fixed<2>(in, values, out);
    case 4: return shuffle_fixed<4>(in, values, out);
    case 8: return shuffle_fixed<8>(in, values, out);
    default: return shuffle_scalar(in, 0, values, width, out);
  }
}

namespace {
// The shuffled, deflated (or, not worth it, raw) form of `chunk`.
Packed deflate_chunk(std::vector<char> chunk, std::size_t value_bytes, int level) {
  thread_local std::vector<char> shuffled, packed;  // reused: no fresh pages per chunk
  const std::size_t n = chunk.size();
  const char* data = chunk.data();
  if (value_bytes > 1) {
    if (shuffled.size() < n) shuffled.resize(n);
    shuffle_bytes(data, n, value_bytes, shuffled.data());
    data = shuffled.data();
  }
  libdeflate_compressor* c = compressor(level);
  if (!worth_deflating(c, data, n, value_bytes, packed)) return {std::move(chunk), 3};
  const std::size_t bound = libdeflate_zlib_compress_bound(c, n);
  if (packed.size() < bound) packed.resize(bound);
  const std::size_t size = libdeflate_zlib_compress(c, data, n, packed.data(), bound);
  if (size == 0) throw std::logic_error("deflate: libdeflate output exceeds its own bound");
  return {std::vector<char>(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(size)), 0};
}

Pool& pool() {
  static Pool p(worker_cpus());
  return p;
}
}  // namespace

Packed deflate_now(std::vector<char> chunk, std::size_t value_bytes, int level) {
  // A chunk of one value stores as the same bytes every time: made once per
  // thread, then copied (a scan instead of a shuffle and a deflate).
  thread_local std::map<std::tuple<std::string, std::size_t, int>, Packed> same;
  std::tuple<std::string, std::size_t, int> key;
  if (one_value(chunk, value_bytes)) {
    key = {std::string(chunk.data(), value_bytes), chunk.size(), level};
    if (const auto it = same.find(key); it != same.end()) return it->second;
    if (same.size() > 64) same.clear();  // a bounded cache: a handful of values recur
    Packed p = deflate_chunk(std::move(chunk), value_bytes, level);
    same.emplace(std::move(key), p);
    return p;
  }
  return deflate_chunk(std::move(chunk), value_bytes, level);
}

std::future<Packed> deflate_later(std::vector<char> chunk, std::size_t value_bytes, int level) {
  Pool& pool = io::pool();
  if (pool.empty()) {
    std::promise<Packed> now;
    now.set_value(deflate_now(std::move(chunk), value_bytes, level));
    return now.get_future();
  }
  std::packaged_task<Packed()> job(
      [chunk = std::move(chunk), value_bytes, level]() mutable { return deflate_now(std::move(chunk), value_bytes, level); });
  auto done = job.get_future();
  pool.add(std::move(job));
  return done;
}

void await(const std::future<Packed>& f) {
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    if (!pool().run_one()) return f.wait();
}

void set_compression_cpus(std::vector<int> cpus) {
  std::lock_guard<std::mutex> lock(g_cpus_mutex);
  g_cpus = std::move(cpus);
}

}  // namespace rsim::io
