// The native random stream: Philox4x64-10 keyed by (seed, task), its
// reproducibility and the distributions drawn from it.
#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "rsim/core/philox.hpp"

using rsim::core::Philox;

namespace {

constexpr int kN = 1000000;

std::vector<std::uint64_t> take(Philox& g, int count) {
  std::vector<std::uint64_t> v;
  for (int i = 0; i < count; ++i) v.push_back(g.next_u64());
  return v;
}

// Mean and sample variance of `count` draws.
template <class Draw>
std::pair<double, double> moments(Draw draw, int count) {
  double sum = 0, sum2 = 0;
  for (int i = 0; i < count; ++i) {
    const double x = draw();
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / count;
  return {mean, (sum2 - count * mean * mean) / (count - 1)};
}

}  // namespace

TEST(Philox, MatchesRandom123KnownAnswer) {
  // Random123's kat_vectors: philox4x64 10, counter 0 and key 0.
  Philox g(0, 0);
  EXPECT_EQ(take(g, 4), (std::vector<std::uint64_t>{0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL,
                                                    0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL}));
}

TEST(Philox, IsKeyedBySeedAndTaskAndCountsBlocksFromZero) {
  const std::uint64_t seed = 20261129, task = 77;
  Philox g(seed, task);
  const std::vector<std::uint64_t> got = take(g, 12);
  for (std::uint64_t block = 0; block < 3; ++block) {
    const r123::Philox4x64::ctr_type ctr = {{block, 0, 0, 0}};
    const r123::Philox4x64::key_type key = {{seed, task}};
    const auto out = r123::Philox4x64()(ctr, key);
    for (std::size_t i = 0; i < 4; ++i)
      EXPECT_EQ(got[block * 4 + i], out.v[i]) << "block " << block << " word " << i;
  }
}

TEST(Philox, SameSeedAndTaskGiveTheSameNumbers) {
  Philox a(42, 1000), b(42, 1000);
  EXPECT_EQ(take(a, 1001), take(b, 1001));
  for (int i = 0; i < 1001; ++i) {
    ASSERT_EQ(a.normal(), b.normal());
    ASSERT_EQ(a.uniform(), b.uniform());
    ASSERT_EQ(a.exponential(), b.exponential());
  }
}

TEST(Philox, DifferentTaskOrSeedGiveDifferentNumbers) {
  Philox base(42, 7), other_task(42, 8), other_seed(43, 7), swapped(7, 42);
  const auto x = take(base, 1000);
  for (Philox* g : {&other_task, &other_seed, &swapped}) {
    const auto y = take(*g, 1000);
    int equal = 0;
    for (std::size_t i = 0; i < x.size(); ++i) equal += x[i] == y[i];
    EXPECT_EQ(equal, 0);
  }
}

TEST(Philox, UniformUsesTheTop53BitsCentred) {
  Philox a(5, 9), b(5, 9);
  for (int i = 0; i < 1000; ++i) {
    const double expected = (static_cast<double>(b.next_u64() >> 11) + 0.5) * std::ldexp(1.0, -53);
    ASSERT_EQ(a.uniform(), expected);
  }
}

TEST(Philox, UniformIsInsideTheOpenUnitIntervalWithMeanOneHalf) {
  Philox g(1, 2);
  double lo = 1, hi = 0;
  const auto [mean, var] = moments(
      [&] {
        const double u = g.uniform();
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        return u;
      },
      kN);
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_LT(std::fabs(mean - 0.5), 4 * std::sqrt(1.0 / 12 / kN));
  EXPECT_LT(std::fabs(var - 1.0 / 12), 4 * std::sqrt(1.0 / 180 / kN));  // Var(S^2) ~ (mu4 - sigma^4) / N
}

TEST(Philox, NormalHasMeanZeroVarianceOneAndNormalTails) {
  Philox g(2026, 3);
  int beyond = 0;
  const auto [mean, var] = moments(
      [&] {
        const double z = g.normal();
        beyond += std::fabs(z) > 1.959963984540054;
        return z;
      },
      kN);
  EXPECT_LT(std::fabs(mean), 4 / std::sqrt(kN));
  EXPECT_LT(std::fabs(var - 1), 4 * std::sqrt(2.0 / kN));
  const double tail = static_cast<double>(beyond) / kN;
  EXPECT_LT(std::fabs(tail - 0.05), 4 * std::sqrt(0.05 * 0.95 / kN));
}

TEST(Philox, ExponentialHasMeanOneAndVarianceOne) {
  Philox g(99, 0);
  double lo = 1;
  const auto [mean, var] = moments(
      [&] {
        const double x = g.exponential();
        lo = std::min(lo, x);
        return x;
      },
      kN);
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(std::fabs(mean - 1), 4 / std::sqrt(kN));
  EXPECT_LT(std::fabs(var - 1), 4 * std::sqrt(8.0 / kN));
}
