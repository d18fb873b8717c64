#include "rsim/io/chunk_stage.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace rsim::io {

ChunkStage::ChunkStage(hsize_t n_rows, hsize_t chunk_rows, std::size_t row_bytes, std::size_t value_bytes,
                       const void* fill, int level)
    : n_rows_(n_rows),
      chunk_rows_(chunk_rows),
      row_bytes_(row_bytes),
      value_bytes_(value_bytes),
      fill_(value_bytes, 0),
      written_((n_rows + chunk_rows - 1) / chunk_rows, false),
      compressor_(libdeflate_alloc_compressor(level)) {
  if (!compressor_) throw std::bad_alloc();
  if (fill) std::memcpy(fill_.data(), fill, value_bytes);
}

ChunkStage::~ChunkStage() { libdeflate_free_compressor(static_cast<libdeflate_compressor*>(compressor_)); }

hsize_t ChunkStage::rows_in(hsize_t chunk) const { return std::min(chunk_rows_, n_rows_ - chunk * chunk_rows_); }

void ChunkStage::stage(hid_t dset, hsize_t chunk, hsize_t first, hsize_t cnt, const char* src,
                       const std::string& where) {
  auto [it, fresh] = pending_.try_emplace(chunk);
  Pending& p = it->second;
  if (fresh) {
    // A whole chunk, edge chunks too (HDF5 stores every chunk at full size).
    p.bytes.resize(chunk_rows_ * row_bytes_);
    for (std::size_t at = 0; at < p.bytes.size(); at += value_bytes_) std::memcpy(&p.bytes[at], fill_.data(), value_bytes_);
    p.have.assign(chunk_rows_, false);
  }
  std::memcpy(&p.bytes[first * row_bytes_], src, cnt * row_bytes_);
  for (hsize_t r = first; r < first + cnt; ++r)
    if (!p.have[r]) {
      p.have[r] = true;
      ++p.filled;
    }
  if (p.filled < rows_in(chunk)) return;
  put(dset, chunk, p, where);
  pending_.erase(it);
}

// HDF5's shuffle filter (bytes of each value position together), then a
// zlib stream as its deflate filter writes, then the chunk as it is stored.
void ChunkStage::put(hid_t dset, hsize_t chunk, const Pending& p, const std::string& where) {
  const std::size_t n = p.bytes.size(), values = n / value_bytes_;
  const char* data = p.bytes.data();
  if (value_bytes_ > 1) {
    shuffled_.resize(n);
    for (std::size_t b = 0; b < value_bytes_; ++b)
      for (std::size_t i = 0; i < values; ++i) shuffled_[b * values + i] = data[i * value_bytes_ + b];
    data = shuffled_.data();
  }
  auto* c = static_cast<libdeflate_compressor*>(compressor_);
  packed_.resize(libdeflate_zlib_compress_bound(c, n));
  const std::size_t size = libdeflate_zlib_compress(c, data, n, packed_.data(), packed_.size());
  if (size == 0) throw std::logic_error("ChunkStage: libdeflate output exceeds its own bound");
  const hsize_t offset[2] = {chunk * chunk_rows_, 0};
  RSIM_H5_CHECK(H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, size, packed_.data()), where);
  written_[chunk] = true;
}

void ChunkStage::flush(hid_t dset, const std::string& where) {
  std::vector<hsize_t> chunks;
  for (const auto& [chunk, p] : pending_) chunks.push_back(chunk);
  std::sort(chunks.begin(), chunks.end());  // file offsets in order: the same file for the same rows
  for (const hsize_t c : chunks) put(dset, c, pending_.at(c), where);
  pending_.clear();
}

}  // namespace rsim::io
