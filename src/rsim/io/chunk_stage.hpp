#pragma once
// The rows of one compressed dataset, gathered chunk by chunk in memory and
// written once each chunk is whole: shuffled and deflated here (libdeflate,
// about twice zlib's speed) and handed to HDF5 with H5Dwrite_chunk.  The
// dataset declares HDF5's own shuffle and deflate filters, so any reader
// decodes the chunks.  A row of a chunk already written (a rerun's row
// replacing an earlier one) goes through HDF5's filters instead, which read
// the chunk back; either way each chunk holds the latest rows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rsim/io/h5.hpp"

namespace rsim::io {

class ChunkStage {
 public:
  // A dataset of `n_rows` rows of `row_bytes` bytes (values of `value_bytes`
  // each), chunked by `chunk_rows`, deflated at `level` (the level its
  // filter declares); `fill` is one value (nullptr: zeros).
  ChunkStage(hsize_t n_rows, hsize_t chunk_rows, std::size_t row_bytes, std::size_t value_bytes, const void* fill,
             int level);
  ChunkStage(const ChunkStage&) = delete;
  ChunkStage& operator=(const ChunkStage&) = delete;
  ~ChunkStage();

  // Rows [off, off + cnt) from `buf`.  `direct` writes rows of chunks
  // already written through HDF5 (rows [o, o + c) from `src`).
  template <class Direct>
  void write(hid_t dset, hsize_t off, hsize_t cnt, const void* buf, const std::string& where, Direct direct) {
    const auto* src = static_cast<const char*>(buf);
    while (cnt > 0) {
      const hsize_t chunk = off / chunk_rows_;
      const hsize_t take = std::min(cnt, (chunk + 1) * chunk_rows_ - off);
      if (written_[chunk]) direct(off, take, src);
      else stage(dset, chunk, off - chunk * chunk_rows_, take, src, where);
      off += take;
      cnt -= take;
      src += take * row_bytes_;
    }
  }
  // Writes every chunk still held (partly filled: the rest is the fill value).
  void flush(hid_t dset, const std::string& where);

 private:
  struct Pending {
    std::vector<char> bytes;
    std::vector<bool> have;  // per row of the chunk
    hsize_t filled = 0;
  };
  hsize_t rows_in(hsize_t chunk) const;
  void stage(hid_t dset, hsize_t chunk, hsize_t first, hsize_t cnt, const char* src, const std::string& where);
  void put(hid_t dset, hsize_t chunk, const Pending& p, const std::string& where);

  hsize_t n_rows_, chunk_rows_;
  std::size_t row_bytes_, value_bytes_;
  std::vector<char> fill_;  // one value
  std::vector<bool> written_;
  std::unordered_map<hsize_t, Pending> pending_;
  std::vector<char> shuffled_, packed_;
  void* compressor_;  // libdeflate_compressor
};

}  // namespace rsim::io
