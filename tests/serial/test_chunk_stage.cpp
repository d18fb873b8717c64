// Staged datasets (io::ChunkStage): rows arriving in any order, whole chunks
// compressed by rsim and partial ones at the end, rows replacing rows of a
// chunk already written; read back through HDF5's own filters.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "rsim/io/deflate_pool.hpp"
#include "rsim/io/h5_write.hpp"

namespace fs = std::filesystem;
using namespace rsim;

TEST(ChunkStage, RowsInAnyOrderReadBackThroughHdf5sFiltersWithFillsAndReplacedRows) {
  const fs::path path = fs::temp_directory_path() / ("rsim-stage-" + std::to_string(::getpid()) + ".h5");
  constexpr hsize_t n = 100000, width = 3;  // 10,922 rows a chunk (256 KiB of 3 doubles): 10 chunks, the last partial
  const double fill = -1.5;
  std::vector<double> want(n * width, fill);
  {
    io::h5::Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_GE(file.get(), 0);
    io::Dataset d = io::create_dataset(file, "x", io::h5::Id(H5Tcopy(H5T_NATIVE_DOUBLE)), n, width, &fill, "t", true);
    ASSERT_TRUE(d.stage);
    auto put = [&](hsize_t off, hsize_t cnt, double base) {
      std::vector<double> rows(cnt * width);
      std::iota(rows.begin(), rows.end(), base);
      io::write_rows(d, off, cnt, rows.data());
      std::copy(rows.begin(), rows.end(), want.begin() + static_cast<std::ptrdiff_t>(off * width));
    };
    put(40000, 30000, 1e6);  // out of order, across chunk boundaries
    put(0, 40000, 0);        // chunks 0..2 whole now: written by the stage
    put(10, 1, 5e6);         // a row of a written chunk: through HDF5
    put(90000, 5000, 7e6);   // part of the last chunks: written by flush_rows()
    put(90000, 2, 8e6);      // replaced before the flush
    io::flush_rows(d);
    put(90001, 1, 9e6);      // after the flush: through HDF5
  }
  io::h5::Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  io::h5::Id d(H5Dopen2(file, "x", H5P_DEFAULT));
  io::h5::Id dcpl(H5Dget_create_plist(d));
  EXPECT_EQ(H5Pget_nfilters(dcpl), 2);
  std::vector<double> got(n * width);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, got.data()), 0);
  for (hsize_t i = 0; i < n * width; ++i)
    if (got[i] != want[i]) FAIL() << "value " << i << " (row " << i / width << "): " << got[i] << " != " << want[i];
  hsize_t n_chunks = 0;
  io::h5::Id space(H5Dget_space(d));
  ASSERT_GE(H5Dget_num_chunks(d, space, &n_chunks), 0);
  EXPECT_EQ(n_chunks, 8u) << "chunks 7 and 9 hold no row: never written, read as the fill value";
  unsigned mask = 9;
  ASSERT_GE(H5Dget_chunk_info(d, space, 3, nullptr, &mask, nullptr, nullptr), 0);
  EXPECT_EQ(mask, 0u) << "counting numbers deflate well: shuffled and deflated";
  fs::remove(path);
}

TEST(ChunkStage, ChunksThatDeflateWouldBarelyShrinkAreStoredAsTheyAreAndReadBack) {
  const fs::path path = fs::temp_directory_path() / ("rsim-stage-raw-" + std::to_string(::getpid()) + ".h5");
  constexpr hsize_t n = 70000;  // 32,768 doubles a chunk
  std::mt19937_64 gen(20261203);
  std::uniform_real_distribution<double> unif;
  std::vector<double> x(n);
  for (auto& v : x) v = unif(gen);
  for (hsize_t i = 65536; i < n; ++i) x[i] = 0.25;  // the last chunk: one value, deflates to almost nothing
  {
    io::h5::Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    const double fill = 0;
    io::Dataset d = io::create_dataset(file, "u", io::h5::Id(H5Tcopy(H5T_NATIVE_DOUBLE)), n, 1, &fill, "t", true);
    io::write_rows(d, 0, n, x.data());
    io::flush_rows(d);
  }
  io::h5::Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  io::h5::Id d(H5Dopen2(file, "u", H5P_DEFAULT));
  std::vector<double> got(n);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, got.data()), 0);
  EXPECT_EQ(got, x);
  io::h5::Id space(H5Dget_space(d));
  unsigned masks[3] = {9, 9, 9};
  hsize_t sizes[3] = {0, 0, 0};
  for (hsize_t c = 0; c < 3; ++c)
    ASSERT_GE(H5Dget_chunk_info(d, space, c, nullptr, &masks[c], nullptr, &sizes[c]), 0);
  EXPECT_EQ(masks[0], 3u) << "uniform doubles: both filters skipped";
  EXPECT_EQ(sizes[0], 32768u * 8);
  EXPECT_EQ(masks[2], 0u);
  EXPECT_LT(sizes[2], 4096u);
  fs::remove(path);
}

TEST(ChunkStage, ChunksOfOneValueAreCompressedOnceAndReadBackLikeAnyOther) {
  const fs::path path = fs::temp_directory_path() / ("rsim-stage-one-" + std::to_string(::getpid()) + ".h5");
  constexpr hsize_t per = 65536, n = 5 * per;  // int32: 65,536 a chunk
  std::vector<std::int32_t> x(n, 1);
  for (hsize_t i = 2 * per; i < 3 * per; ++i) x[i] = 2;
  for (hsize_t i = 3 * per; i < 4 * per; ++i) x[i] = static_cast<std::int32_t>(i);
  x[n - 1] = 3;  // the last chunk: one value but for its last row
  {
    io::h5::Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    const std::int32_t fill = -1;
    io::Dataset d = io::create_dataset(file, "k", io::h5::Id(H5Tcopy(H5T_NATIVE_INT32)), n, 1, &fill, "t", true);
    io::write_rows(d, 0, n, x.data());
    io::flush_rows(d);
  }
  io::h5::Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  io::h5::Id d(H5Dopen2(file, "k", H5P_DEFAULT));
  std::vector<std::int32_t> got(n);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, got.data()), 0);
  EXPECT_EQ(got, x);
  io::h5::Id space(H5Dget_space(d));
  hsize_t sizes[5] = {};
  for (hsize_t c = 0; c < 5; ++c) {
    unsigned mask = 9;
    ASSERT_GE(H5Dget_chunk_info(d, space, c, nullptr, &mask, nullptr, &sizes[c]), 0);
    EXPECT_EQ(mask, 0u) << "chunk " << c;
  }
  EXPECT_EQ(sizes[0], sizes[1]);
  EXPECT_LT(sizes[0], 1024u);
  // The reused bytes are those a fresh compression makes (another thread has its own cache).
  const std::vector<char> ones(reinterpret_cast<const char*>(x.data()), reinterpret_cast<const char*>(x.data() + per));
  const io::Packed a = io::deflate_now(ones, 4, 1), b = io::deflate_now(ones, 4, 1);
  io::Packed fresh;
  std::thread([&] { fresh = io::deflate_now(ones, 4, 1); }).join();
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.bytes, fresh.bytes);
  EXPECT_EQ(a.filter_mask, 0u);
  fs::remove(path);
}

TEST(ChunkStage, ShuffleMatchesHdf5sDefinitionForEveryWidthAndLength) {
  std::mt19937 rng(11);
  for (const std::size_t width : {1u, 2u, 3u, 4u, 8u})
    for (const std::size_t values : {0u, 1u, 15u, 16u, 17u, 33u, 1000u, 32768u}) {
      std::vector<char> in(values * width), got(in.size()), want(in.size());
      for (auto& c : in) c = static_cast<char>(rng());
      for (std::size_t i = 0; i < values; ++i)
        for (std::size_t b = 0; b < width; ++b) want[b * values + i] = in[i * width + b];
      io::shuffle_bytes(in.data(), in.size(), width, got.data());
      ASSERT_EQ(got, want) << width << "-byte values, " << values << " of them";
    }
}
