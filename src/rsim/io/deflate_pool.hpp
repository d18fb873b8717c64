#pragma once
// Compresses the result file's chunks on worker threads while the
// assembly goes on reading checkpoints: HDF5's shuffle filter done by hand,
// then a zlib stream (libdeflate) as HDF5's deflate filter writes it.  The
// bytes depend on the chunk alone, never on which thread made them.  One
// worker less than the CPUs the process may run on, at most 4, started on
// first use; none (compression on the calling thread) for a rank bound to
// one core, as mpirun binds ranks by default.
#include <cstddef>
#include <future>
#include <vector>

namespace rsim::io {

// The compressed form of `chunk` (values of `value_bytes` each) at `level`.
std::future<std::vector<char>> deflate_later(std::vector<char> chunk, std::size_t value_bytes, int level);

// The same, on the calling thread.
std::vector<char> deflate_now(const std::vector<char>& chunk, std::size_t value_bytes, int level);

}  // namespace rsim::io
