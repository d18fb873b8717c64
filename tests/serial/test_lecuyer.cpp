// The R backend's streams: lecuyer_from_seed, next_stream, advance_streams,
// task_stream and random_seed_vector against R itself (Rscript via popen).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/core/lecuyer.hpp"

using rsim::core::advance_streams;
using rsim::core::lecuyer_from_seed;
using rsim::core::LecuyerState;
using rsim::core::next_stream;
using rsim::core::random_seed_vector;
using rsim::core::StreamCursor;
using rsim::core::task_stream;

namespace {

bool have_rscript() {
  return std::system("Rscript --version >/dev/null 2>&1") == 0;
}

#define REQUIRE_RSCRIPT() \
  if (!have_rscript()) GTEST_SKIP() << "Rscript not on PATH"

// Runs `script` with Rscript --vanilla and returns its standard output.
std::string run_r(const std::string& script) {
  char path[] = "/tmp/rsim_test_lecuyer_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  std::ofstream(path) << script;
  const std::string cmd = std::string("Rscript --vanilla ") + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pipe ? pclose(pipe) : -1;
  std::remove(path);
  if (status != 0) throw std::runtime_error("Rscript failed:\n" + out);
  return out;
}

// The whitespace-separated integers of R's sprintf("%d") output.
std::vector<long long> ints(const std::string& text) {
  std::istringstream in(text);
  std::vector<long long> v;
  long long x;
  while (in >> x) v.push_back(x);
  return v;
}

std::vector<double> doubles(const std::string& text) {
  std::istringstream in(text);
  std::vector<double> v;
  std::string tok;
  while (in >> tok) v.push_back(std::strtod(tok.c_str(), nullptr));
  return v;
}

// .Random.seed as the C++ side gives it, widened to compare with parsed R output.
std::vector<long long> seed_vector(const LecuyerState& s) {
  const auto v = random_seed_vector(s);
  return std::vector<long long>(v.begin(), v.end());
}

std::vector<long long> slice7(const std::vector<long long>& v, std::size_t row) {
  return std::vector<long long>(v.begin() + static_cast<std::ptrdiff_t>(7 * row),
                                v.begin() + static_cast<std::ptrdiff_t>(7 * row + 7));
}

std::string r_int(std::int32_t x) {
  return std::to_string(x) + "L";
}

// R's unif_rand for L'Ecuyer-CMRG, to read the stream a state starts.
double unif_rand(LecuyerState& s) {
  const std::int64_t m1 = 4294967087, m2 = 4294944443;
  std::int64_t p1 = (1403580 * std::int64_t{s[1]} - 810728 * std::int64_t{s[0]}) % m1;
  if (p1 < 0) p1 += m1;
  s[0] = s[1], s[1] = s[2], s[2] = static_cast<std::uint32_t>(p1);
  std::int64_t p2 = (527612 * std::int64_t{s[5]} - 1370589 * std::int64_t{s[3]}) % m2;
  if (p2 < 0) p2 += m2;
  s[3] = s[4], s[4] = s[5], s[5] = static_cast<std::uint32_t>(p2);
  return static_cast<double>(p1 > p2 ? p1 - p2 : p1 - p2 + m1) * 2.328306549295727688e-10;
}

}  // namespace

TEST(Lecuyer, SeedingMatchesRSetSeed) {
  REQUIRE_RSCRIPT();
  std::vector<std::int32_t> seeds = {1, 42, 20261129, -5, 0, 2147483647, -2147483647};
  // Seeds whose LCG hits a value >= m2 at word 1, 1, 3, 4 and 6, which R skips.
  for (std::int32_t s : {-1990828124, -917011752, 1108730015, 15764804, -1743348140}) seeds.push_back(s);
  std::mt19937 gen(20240611);
  std::uniform_int_distribution<std::int32_t> any(-2147483647, 2147483647);  // -2^31 is NA_integer_
  for (int i = 0; i < 200; ++i) seeds.push_back(any(gen));

  std::string list;
  for (std::int32_t s : seeds) list += (list.empty() ? "" : ",") + r_int(s);
  const auto r = ints(run_r("for (s in c(" + list +
                            ")) { set.seed(s, kind = \"L'Ecuyer-CMRG\"); cat(sprintf('%d', .Random.seed), '\\n') }"));
  ASSERT_EQ(r.size(), 7 * seeds.size());
  for (std::size_t i = 0; i < seeds.size(); ++i)
    EXPECT_EQ(seed_vector(lecuyer_from_seed(seeds[i])), slice7(r, i)) << "seed " << seeds[i];
}

TEST(Lecuyer, KindCodeIsRs) {
  REQUIRE_RSCRIPT();
  const auto r = ints(run_r("set.seed(1, kind = \"L'Ecuyer-CMRG\"); cat(sprintf('%d', .Random.seed[1]))"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(random_seed_vector(lecuyer_from_seed(1))[0], r[0]);
}

TEST(Lecuyer, RefusesNaIntegerSeed) {
  EXPECT_THROW(lecuyer_from_seed(std::numeric_limits<std::int32_t>::min()), rsim::core::BackendError);
}

TEST(Lecuyer, TaskStreamsMatchRepeatedNextRNGStream) {
  REQUIRE_RSCRIPT();
  // R prints the state after t + 1 nextRNGStream calls for each t, looping once.
  const std::vector<std::uint64_t> tasks = {0, 1, 2, 17, 1000, 1000001};
  const std::int32_t seed = 20261129;
  const auto r = ints(run_r("set.seed(" + r_int(seed) +
                            ", kind = \"L'Ecuyer-CMRG\"); s <- .Random.seed\n"
                            "want <- c(0, 1, 2, 17, 1000, 1000001) + 1\n"
                            "for (i in 1:max(want)) { s <- parallel::nextRNGStream(s);"
                            " if (i %in% want) cat(sprintf('%d', s), '\\n') }"));
  ASSERT_EQ(r.size(), 7 * tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    EXPECT_EQ(seed_vector(task_stream(seed, tasks[i])), slice7(r, i)) << "task " << tasks[i];
}

TEST(Lecuyer, SmallTaskStreamsMatchRForSeveralSeeds) {
  REQUIRE_RSCRIPT();
  const std::vector<std::int32_t> seeds = {1, 42, -5, 0, 2147483647};
  std::string list;
  for (std::int32_t s : seeds) list += (list.empty() ? "" : ",") + r_int(s);
  const auto r = ints(run_r("for (seed in c(" + list +
                            ")) { set.seed(seed, kind = \"L'Ecuyer-CMRG\"); s <- .Random.seed\n"
                            "  for (i in 1:18) { s <- parallel::nextRNGStream(s);"
                            " if (i %in% c(1, 2, 3, 18)) cat(sprintf('%d', s), '\\n') } }"));
  const std::vector<std::uint64_t> tasks = {0, 1, 2, 17};
  ASSERT_EQ(r.size(), 7 * tasks.size() * seeds.size());
  for (std::size_t i = 0; i < seeds.size(); ++i)
    for (std::size_t j = 0; j < tasks.size(); ++j)
      EXPECT_EQ(seed_vector(task_stream(seeds[i], tasks[j])), slice7(r, i * tasks.size() + j))
          << "seed " << seeds[i] << " task " << tasks[j];
}

TEST(Lecuyer, JumpsComposeAndAgreeWithSingleSteps) {
  const LecuyerState s = lecuyer_from_seed(20261129);
  EXPECT_EQ(advance_streams(s, 0), s);
  EXPECT_EQ(advance_streams(s, 1), next_stream(s));
  LecuyerState walked = s;
  for (int i = 0; i < 5000; ++i) walked = next_stream(walked);
  EXPECT_EQ(advance_streams(s, 5000), walked);

  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() / 2;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> splits = {
      {1, 123456788}, {1000001, 123456789 - 1000001}, {65536, 65535}, {123456789, 987654321}, {big, big}, {3, big}};
  for (const auto& [a, b] : splits)
    EXPECT_EQ(advance_streams(s, a + b), advance_streams(advance_streams(s, a), b)) << a << " + " << b;
  // Task 123456789 from task 1000001, which R confirmed above.
  EXPECT_EQ(task_stream(20261129, 123456789), advance_streams(task_stream(20261129, 1000001), 123456789 - 1000001));
}

TEST(Lecuyer, StreamCursorGivesTheSameStreamsInAnyOrder) {
  const std::int32_t seed = -5;
  StreamCursor sequential(seed);
  std::vector<LecuyerState> in_order;
  for (std::uint64_t t = 0; t < 2000; ++t) in_order.push_back(sequential.stream(t));
  for (std::uint64_t t : {0u, 1u, 999u, 1999u}) EXPECT_EQ(in_order[t], task_stream(seed, t)) << t;

  std::vector<std::uint64_t> order(2000);
  for (std::uint64_t t = 0; t < order.size(); ++t) order[t] = t;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  StreamCursor random_access(seed);
  for (std::uint64_t t : order) EXPECT_EQ(random_access.stream(t), in_order[t]) << t;
  EXPECT_EQ(random_access.stream(order.back()), in_order[order.back()]);  // the same task twice
  EXPECT_EQ(random_access.stream(5), in_order[5]);                        // backwards
  EXPECT_EQ(random_access.stream(6), in_order[6]);
  EXPECT_EQ(random_access.stream(std::numeric_limits<std::uint64_t>::max()),
            task_stream(seed, std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(random_access.stream(0), in_order[0]);  // not a wrapped "next" of the last task
}

TEST(Lecuyer, SeedVectorContinuesTheStreamInR) {
  REQUIRE_RSCRIPT();
  const std::int32_t seed = 42;
  const std::uint64_t task = 17;
  LecuyerState state = task_stream(seed, task);
  std::string vec;
  for (std::int32_t x : random_seed_vector(state)) vec += (vec.empty() ? "" : ",") + r_int(x);
  // First runif(3) from our vector, then runif(3) from R's own nextRNGStream walk.
  const auto r = doubles(run_r(".Random.seed <- c(" + vec +
                               "); a <- runif(3)\n"
                               "set.seed(" +
                               r_int(seed) +
                               ", kind = \"L'Ecuyer-CMRG\"); s <- .Random.seed\n"
                               "for (i in 1:" +
                               std::to_string(task + 1) +
                               ") s <- parallel::nextRNGStream(s)\n"
                               ".Random.seed <- s; b <- runif(3); cat(sprintf('%.17g', c(a, b)))"));
  ASSERT_EQ(r.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r[i], r[i + 3]) << "draw " << i;
    EXPECT_EQ(r[i], unif_rand(state)) << "draw " << i;
  }
}
