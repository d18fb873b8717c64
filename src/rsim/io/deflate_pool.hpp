#pragma once
// Compresses the result file's chunks on worker threads while the
// assembly goes on reading checkpoints: HDF5's shuffle filter done by hand,
// then a zlib stream (libdeflate) as HDF5's deflate filter writes it.  The
// bytes depend on the chunk alone, never on which thread made them.  One
// worker less than the CPUs they may use, at most 4, started on first use;
// none (compression on the calling thread) for a single CPU.
#include <cstddef>
#include <cstdint>
#include <future>
#include <vector>

namespace rsim::io {

// A chunk as stored: shuffled and deflated (filter_mask 0), or, when a
// sample of it shows deflate would save less than a fifth, its bytes as
// they are with both filters marked skipped (filter_mask 3): random doubles
// keep 85-90% of their size under deflate at the highest cost per byte.
// Readers honour the mask (HDF5 records it per chunk).
struct Packed {
  std::vector<char> bytes;
  std::uint32_t filter_mask = 0;
};

// The stored form of `chunk` (values of `value_bytes` each) at `level`.
std::future<Packed> deflate_later(std::vector<char> chunk, std::size_t value_bytes, int level);

// The same, on the calling thread.
Packed deflate_now(std::vector<char> chunk, std::size_t value_bytes, int level);

// Waits for `f` (from deflate_later()), compressing queued chunks on the
// calling thread meanwhile: the thread that writes the file helps the
// workers instead of idling.
void await(const std::future<Packed>& f);

// HDF5's shuffle filter: byte b of every value of `width` bytes, for
// b = 0, 1, ...; `n` bytes (a multiple of `width`) from `in` to `out`.
void shuffle_bytes(const char* in, std::size_t n, std::size_t width, char* out);

// The CPUs the workers may use, before the first chunk: the job's idle
// ranks' CPUs on this host (a launcher binds each rank to its own core;
// while rank 0 assembles, the others wait).  Default: this process's own.
void set_compression_cpus(std::vector<int> cpus);

}  // namespace rsim::io
