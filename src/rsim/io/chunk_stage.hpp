#pragma once
// The rows of one compressed dataset, gathered chunk by chunk in memory and
// written once each chunk is whole: compressed on worker threads
// (deflate_pool.hpp) and handed to HDF5 with H5Dwrite_chunk, in the order
// they became whole.  The dataset declares HDF5's own shuffle and deflate
// filters, so any reader decodes the chunks.  A row of a chunk already
// handed on (a rerun's row replacing an earlier one) goes through HDF5's
// filters instead, which read the chunk back; either way each chunk holds
// the latest rows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsim/io/deflate_pool.hpp"
#include "rsim/io/h5.hpp"

namespace rsim::io {

class ChunkStage {
 public:
  // A dataset of `n_rows` rows of `row_bytes` bytes (values of `value_bytes`
  // each), chunked by `chunk_rows`, deflated at `level` (the level its
  // filter declares); `fill` is one value (nullptr: zeros).
  ChunkStage(hsize_t n_rows, hsize_t chunk_rows, std::size_t row_bytes, std::size_t value_bytes, const void* fill,
             int level);

  // Rows [off, off + cnt) from `buf`.  `direct` writes rows of chunks
  // already handed on through HDF5 (rows [o, o + c) from `src`).
  template <class Direct>
  void write(hid_t dset, hsize_t off, hsize_t cnt, const void* buf, const std::string& where, Direct direct) {
    const auto* src = static_cast<const char*>(buf);
    while (cnt > 0) {
      const hsize_t chunk = off / chunk_rows_;
      const hsize_t take = std::min(cnt, (chunk + 1) * chunk_rows_ - off);
      if (state_[chunk] == kHeld) {
        stage(dset, chunk, off - chunk * chunk_rows_, take, src, where);
      } else {
        if (state_[chunk] == kCompressing) drain(dset, where, 0);
        direct(off, take, src);
      }
      off += take;
      cnt -= take;
      src += take * row_bytes_;
    }
  }
  // Writes every chunk still held (partly filled: the rest is the fill value).
  void flush(hid_t dset, const std::string& where);

 private:
  enum : std::uint8_t { kHeld, kCompressing, kWritten };  // per chunk
  struct Pending {
    std::vector<char> bytes;
    std::vector<std::uint8_t> have;  // per row of the chunk: 1 once written
    hsize_t filled = 0;
  };
  struct InFlight {
    hsize_t chunk;
    std::future<Packed> packed;
  };
  hsize_t rows_in(hsize_t chunk) const;
  void stage(hid_t dset, hsize_t chunk, hsize_t first, hsize_t cnt, const char* src, const std::string& where);
  void hand_on(hid_t dset, hsize_t chunk, Pending p, const std::string& where);
  // The fill value in every row of `p` no task wrote (edge rows too).
  void fill_missing(Pending& p) const;
  // Writes compressed chunks, oldest first, until at most `keep` are in flight.
  void drain(hid_t dset, const std::string& where, std::size_t keep);

  hsize_t n_rows_, chunk_rows_;
  std::size_t row_bytes_, value_bytes_;
  int level_;
  std::vector<char> fill_;  // one value
  std::vector<std::uint8_t> state_;
  std::unordered_map<hsize_t, Pending> pending_;
  std::deque<InFlight> in_flight_;
};

}  // namespace rsim::io
