#include "rsim/io/chunk_stage.hpp"

#include <algorithm>
#include <cstring>

#include "rsim/io/deflate_pool.hpp"

namespace rsim::io {

namespace {
constexpr std::size_t kInFlight = 8;  // chunks of one dataset being compressed at once
}

ChunkStage::ChunkStage(hsize_t n_rows, hsize_t chunk_rows, std::size_t row_bytes, std::size_t value_bytes,
                       const void* fill, int level)
    : n_rows_(n_rows),
      chunk_rows_(chunk_rows),
      row_bytes_(row_bytes),
      value_bytes_(value_bytes),
      level_(level),
      fill_(value_bytes, 0),
      state_((n_rows + chunk_rows - 1) / chunk_rows, kHeld) {
  if (fill) std::memcpy(fill_.data(), fill, value_bytes);
}

hsize_t ChunkStage::rows_in(hsize_t chunk) const { return std::min(chunk_rows_, n_rows_ - chunk * chunk_rows_); }

void ChunkStage::stage(hid_t dset, hsize_t chunk, hsize_t first, hsize_t cnt, const char* src,
                       const std::string& where) {
  auto [it, fresh] = pending_.try_emplace(chunk);
  Pending& p = it->second;
  if (fresh) {
    // A whole chunk, edge chunks too (HDF5 stores every chunk at full size);
    // the rows no task wrote get the fill value when it is handed on.
    p.bytes.resize(chunk_rows_ * row_bytes_);
    p.have.assign(chunk_rows_, 0);
  }
  std::memcpy(&p.bytes[first * row_bytes_], src, cnt * row_bytes_);
  const auto have = p.have.begin() + static_cast<std::ptrdiff_t>(first);
  p.filled += static_cast<hsize_t>(std::count(have, have + static_cast<std::ptrdiff_t>(cnt), std::uint8_t{0}));
  std::fill(have, have + static_cast<std::ptrdiff_t>(cnt), std::uint8_t{1});
  if (p.filled < rows_in(chunk)) return;
  Pending whole = std::move(p);
  pending_.erase(it);
  hand_on(dset, chunk, std::move(whole), where);
}

void ChunkStage::fill_missing(Pending& p) const {
  if (p.filled == chunk_rows_) return;
  const std::size_t per_row = row_bytes_ / value_bytes_;
  for (hsize_t r = 0; r < chunk_rows_; ++r)
    if (!p.have[r])
      for (std::size_t v = 0; v < per_row; ++v)
        std::memcpy(&p.bytes[r * row_bytes_ + v * value_bytes_], fill_.data(), value_bytes_);
}

void ChunkStage::hand_on(hid_t dset, hsize_t chunk, Pending p, const std::string& where) {
  fill_missing(p);
  state_[chunk] = kCompressing;
  in_flight_.push_back({chunk, deflate_later(std::move(p.bytes), value_bytes_, level_)});
  drain(dset, where, kInFlight);
}

void ChunkStage::drain(hid_t dset, const std::string& where, std::size_t keep) {
  while (in_flight_.size() > keep) {
    InFlight& f = in_flight_.front();
    await(f.packed);
    const Packed packed = f.packed.get();
    const hsize_t offset[2] = {f.chunk * chunk_rows_, 0};
    RSIM_H5_CHECK(H5Dwrite_chunk(dset, H5P_DEFAULT, packed.filter_mask, offset, packed.bytes.size(), packed.bytes.data()),
                  where);
    state_[f.chunk] = kWritten;
    in_flight_.pop_front();
  }
}

void ChunkStage::flush(hid_t dset, const std::string& where) {
  std::vector<hsize_t> chunks;
  for (const auto& [chunk, p] : pending_) chunks.push_back(chunk);
  std::sort(chunks.begin(), chunks.end());  // the same order for the same rows
  for (const hsize_t c : chunks) hand_on(dset, c, std::move(pending_.at(c)), where);
  pending_.clear();
  drain(dset, where, 0);
}

}  // namespace rsim::io
