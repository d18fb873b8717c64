#include "rsim/core/lecuyer.hpp"

#include <limits>
#include <string>

#include "rsim/core/error.hpp"

namespace rsim::core {

namespace {

constexpr std::uint64_t kM1 = 4294967087u;
constexpr std::uint64_t kM2 = 4294944443u;

using Mat = std::array<std::array<std::uint64_t, 3>, 3>;
using Vec = std::array<std::uint64_t, 3>;

// A1^(2^127) mod m1 and A2^(2^127) mod m2: one nextRNGStream step
// (L'Ecuyer, Simard, Chen and Kelton 2002; the matrices of R's parallel package).
constexpr Mat kA1p127 = {{{2427906178u, 3580155704u, 949770784u},
                          {226153695u, 1230515664u, 3580155704u},
                          {1988835001u, 986791581u, 1230515664u}}};
constexpr Mat kA2p127 = {{{1464411153u, 277697599u, 1610723613u},
                          {32183930u, 1464411153u, 1022607788u},
                          {2824425944u, 32183930u, 2093834863u}}};

// Entries and vector words are below M < 2^32, so each product fits in 64 bits
// and the running sum stays below 2M.
template <std::uint64_t M>
std::uint64_t dot(const std::array<std::uint64_t, 3>& row, const Vec& v) {
  std::uint64_t acc = 0;
  for (std::size_t j = 0; j < 3; ++j) acc = (acc + row[j] * v[j] % M) % M;
  return acc;
}

template <std::uint64_t M>
Vec mul(const Mat& a, const Vec& v) {
  return {dot<M>(a[0], v), dot<M>(a[1], v), dot<M>(a[2], v)};
}

template <std::uint64_t M>
Mat mul(const Mat& a, const Mat& b) {
  Mat c{};
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t k = 0; k < 3; ++k) c[i][k] = dot<M>(a[i], {b[0][k], b[1][k], b[2][k]});
  return c;
}

// Jumps by 2^i streams, i = 0..63, for both components: advance_streams applies
// one matrix per set bit of k, so it never squares at run time.
struct JumpTable {
  std::array<Mat, 64> a1, a2;
  JumpTable() {
    a1[0] = kA1p127;
    a2[0] = kA2p127;
    for (std::size_t i = 1; i < 64; ++i) {
      a1[i] = mul<kM1>(a1[i - 1], a1[i - 1]);
      a2[i] = mul<kM2>(a2[i - 1], a2[i - 1]);
    }
  }
};

const JumpTable& jump_table() {
  static const JumpTable table;
  return table;
}

LecuyerState apply(const Mat& a1, const Mat& a2, const LecuyerState& s) {
  const Vec x = mul<kM1>(a1, Vec{s[0], s[1], s[2]});
  const Vec y = mul<kM2>(a2, Vec{s[3], s[4], s[5]});
  return {static_cast<std::uint32_t>(x[0]), static_cast<std::uint32_t>(x[1]), static_cast<std::uint32_t>(x[2]),
          static_cast<std::uint32_t>(y[0]), static_cast<std::uint32_t>(y[1]), static_cast<std::uint32_t>(y[2])};
}

// One step of R's seed scrambler, mod 2^32 like R's unsigned Int32 arithmetic.
std::uint32_t lcg(std::uint32_t x) {
  return 69069u * x + 1u;
}

}  // namespace

LecuyerState lecuyer_from_seed(std::int32_t seed) {
  if (seed == std::numeric_limits<std::int32_t>::min())
    throw BackendError("seed " + std::to_string(seed) + " is NA_integer_ in R, which set.seed refuses",
                       "core::lecuyer_from_seed", "use a seed in -2147483647..2147483647");
  // R's RNG_Init: 50 scrambling steps, then one step per word, skipping values
  // >= m2 (so every word, also of the first triple, is below m2 < m1).  The
  // LCG has full period, so two consecutive words are never both 0 and
  // FixupSeeds would change nothing.
  std::uint32_t x = static_cast<std::uint32_t>(seed);
  for (int j = 0; j < 50; ++j) x = lcg(x);
  LecuyerState s{};
  for (std::uint32_t& word : s) {
    x = lcg(x);
    while (x >= kM2) x = lcg(x);
    word = x;
  }
  return s;
}

LecuyerState next_stream(const LecuyerState& s) {
  return apply(kA1p127, kA2p127, s);
}

LecuyerState advance_streams(const LecuyerState& s, std::uint64_t k) {
  const JumpTable& t = jump_table();
  LecuyerState r = s;
  for (std::size_t i = 0; k != 0; ++i, k >>= 1)
    if (k & 1u) r = apply(t.a1[i], t.a2[i], r);
  return r;
}

LecuyerState task_stream(std::int32_t seed, std::uint64_t task) {
  return next_stream(advance_streams(lecuyer_from_seed(seed), task));
}

std::array<std::int32_t, 7> random_seed_vector(const LecuyerState& s) {
  std::array<std::int32_t, 7> v{};
  v[0] = 7 + 100 * 4 + 10000 * 1;  // LECUYER_CMRG, INVERSION, REJECTION in R's enums (Random.h)
  for (std::size_t i = 0; i < 6; ++i) v[i + 1] = static_cast<std::int32_t>(s[i]);  // two's complement, as R's memcpy
  return v;
}

StreamCursor::StreamCursor(std::int32_t seed) : seed_(seed), start_(lecuyer_from_seed(seed)) {}

LecuyerState StreamCursor::stream(std::uint64_t task) {
  if (has_last_ && last_ != std::numeric_limits<std::uint64_t>::max() && task == last_ + 1)
    state_ = next_stream(state_);
  else if (!has_last_ || task != last_)
    state_ = next_stream(advance_streams(start_, task));
  has_last_ = true;
  last_ = task;
  return state_;
}

}  // namespace rsim::core
