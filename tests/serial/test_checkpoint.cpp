// Checkpoint segments: a committed batch reads back exactly; damaged or
// truncated segments are detected, never half-read; committed task ranges
// merge; each segment's stored identity goes to the job's check.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <iterator>

#include <xxhash.h>

#include "rsim/core/error.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/segment_index.hpp"

namespace fs = std::filesystem;
using namespace rsim;

namespace {

// An identity check that accepts exactly `want`.
io::SegmentIndex::IdentityCheck same(std::string want) {
  return [want](const std::string& id, const std::string& path) {
    if (id != want) throw core::ConfigError({"g.toml", 0, ""}, "the checkpoint " + path + " is of another job", "");
  };
}

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rsim-ckpt-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    io::make_dirs(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  static core::ResultBatch sample(std::uint64_t first, std::size_t n) {
    core::ResultBatch b({{"k", core::ValueType::Int},
                         {"x", core::ValueType::Float},
                         {"s", core::ValueType::String},
                         {"flag", core::ValueType::Bool},
                         {"v", core::ValueType::Float, 3}});
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t t = first + i;
      auto row = b.begin_row(t);
      if (t % 5 == 4) {  // a failed task: all fields stay NA
        b.add_error({t, "boom at " + std::to_string(t), "f()\ng()"});
        b.end_row(core::TaskStatus::error, 0.5, 2);
        continue;
      }
      row.set_int(0, static_cast<std::int64_t>(t) * 3);
      row.set_float(1, 0.25 * static_cast<double>(t));
      row.set_string(2, "s" + std::to_string(t) + " \xc3\xa9");
      row.set_bool(3, t % 2 == 0);
      double* v = row.float_vector(4);
      v[0] = 1.0 * static_cast<double>(t);
      v[1] = 2.0;
      v[2] = 3.0;
      b.end_row(core::TaskStatus::ok, 1e-3 * static_cast<double>(t), 1);
    }
    return b;
  }

  // Commits `b` as the folder's one segment; its path.
  std::string commit_one(const core::ResultBatch& b) const {
    io::SegmentWriter(dir_.string(), "h", 0, 1).commit(b);
    return io::list_segments(dir_.string()).at(0);
  }
  // Tasks 0..4: an integer field k = step * task (NA for task `na_task`), a
  // float field x, timings 0.1, 0.2, ...
  static core::ResultBatch five_tasks(std::int64_t step, std::uint64_t na_task = 99) {
    core::ResultBatch b({{"k", core::ValueType::Int}, {"x", core::ValueType::Float}});
    for (std::uint64_t t = 0; t < 5; ++t) {
      auto row = b.begin_row(t);
      if (t != na_task) row.set_int(0, step * static_cast<std::int64_t>(t));
      row.set_float(1, 0.5);
      b.end_row(core::TaskStatus::ok, 0.1 * static_cast<double>(t + 1), 1);
    }
    return b;
  }

  fs::path dir_;
};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Timings as a segment keeps them: float32, widened back.
std::vector<double> as_float32(const std::vector<double>& v) {
  std::vector<double> out;
  for (const double x : v) out.push_back(static_cast<float>(x));
  return out;
}

TEST_F(Checkpoint, RoundTripKeepsEveryValue) {
  const core::ResultBatch b = sample(100, 12);
  io::SegmentWriter w(dir_.string(), "sha256:abc", 3, 77);
  w.commit(b);
  const auto segs = io::list_segments(dir_.string());
  ASSERT_EQ(segs.size(), 1u);
  const io::Segment s = io::read_segment(segs[0]);
  EXPECT_EQ(s.header.identity, "sha256:abc");
  EXPECT_EQ(s.header.rank, 3u);
  EXPECT_EQ(s.header.run_id, 77u);
  EXPECT_EQ(s.header.schema, b.schema());
  EXPECT_EQ(s.batch.tasks(), b.tasks());
  EXPECT_EQ(s.batch.status(), b.status());
  EXPECT_EQ(s.batch.elapsed(), as_float32(b.elapsed())) << "timings are kept as the result file keeps them";
  EXPECT_EQ(s.batch.attempts(), b.attempts());
  ASSERT_EQ(s.batch.columns().size(), b.columns().size());
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(s.batch.columns()[0]),
            std::get<std::vector<std::int64_t>>(b.columns()[0]));
  EXPECT_EQ(std::get<std::vector<std::string>>(s.batch.columns()[2]),
            std::get<std::vector<std::string>>(b.columns()[2]));
  EXPECT_EQ(std::get<std::vector<std::int8_t>>(s.batch.columns()[3]),
            std::get<std::vector<std::int8_t>>(b.columns()[3]));
  const auto& x = std::get<std::vector<double>>(s.batch.columns()[1]);
  EXPECT_TRUE(core::is_na_float(x[4])) << "a failed task's float field must stay R's NA";
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(s.batch.columns()[0])[4], core::na_int);
  EXPECT_EQ(std::get<std::vector<double>>(s.batch.columns()[4]).size(), 36u);
  ASSERT_EQ(s.batch.errors().size(), 2u);
  EXPECT_EQ(s.batch.errors()[0].task, 104u);
  EXPECT_EQ(s.batch.errors()[0].message, "boom at 104");
  EXPECT_EQ(s.batch.errors()[0].calls, "f()\ng()");
}

TEST_F(Checkpoint, EmptyBatchWritesNothingAndNoTempFilesRemain) {
  io::SegmentWriter w(dir_.string(), "h", 0, 1);
  w.commit(core::ResultBatch({{"x", core::ValueType::Float}}));
  w.commit(sample(0, 3));
  w.commit(sample(3, 3));
  EXPECT_EQ(w.segments_written(), 2u);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, 2u);
}

TEST_F(Checkpoint, TruncatedOrDamagedSegmentIsRefusedWithItsPath) {
  io::SegmentWriter w(dir_.string(), "h", 0, 1);
  w.commit(sample(0, 50));
  const std::string path = io::list_segments(dir_.string()).at(0);
  const auto size = fs::file_size(path);

  fs::resize_file(path, size - 3);
  try {
    io::read_segment(path);
    FAIL() << "a truncated segment was read";
  } catch (const core::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }

  fs::remove(path);
  w.commit(sample(0, 50));
  const std::string path2 = io::list_segments(dir_.string()).at(0);
  {
    std::fstream f(path2, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  EXPECT_THROW(
      {
        try {
          io::read_segment(path2);
        } catch (const core::IoError& e) {
          EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
          throw;
        }
      },
      core::IoError);
}

TEST_F(Checkpoint, CommittedRangesMergeAcrossSegments) {
  io::SegmentWriter w(dir_.string(), "h", 0, 1);
  w.commit(sample(10, 5));   // 10..14
  w.commit(sample(15, 5));   // 15..19
  w.commit(sample(40, 2));   // 40..41
  io::SegmentWriter w2(dir_.string(), "h", 1, 1);
  w2.commit(sample(0, 3));   // 0..2
  const auto r = io::SegmentIndex(dir_.string(), same("h")).committed_ranges();
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {{0, 3}, {10, 20}, {40, 42}};
  EXPECT_EQ(r, want);
}

// The index hands every segment's stored identity to the job's check.
TEST_F(Checkpoint, SegmentOfAnotherJobIsRefusedByTheCheck) {
  io::SegmentWriter w(dir_.string(), "sha256:old", 0, 1);
  w.commit(sample(0, 3));
  std::vector<std::string> seen;
  EXPECT_THROW(io::SegmentIndex(dir_.string(),
                                [&](const std::string& id, const std::string& path) {
                                  seen.push_back(id + " " + fs::path(path).extension().string());
                                  same("sha256:new")(id, path);
                                }),
               core::ConfigError);
  EXPECT_EQ(seen, (std::vector<std::string>{"sha256:old .rsb"}));
}

// The assembly's view: segments written after planning join the index with
// their headers, so fields only other ranks returned are part of the schema.
TEST_F(Checkpoint, SegmentsAddedAfterPlanningBringTheirFields) {
  core::ResultBatch a({{"a", core::ValueType::Float}});
  a.begin_row(0);
  a.end_row(core::TaskStatus::ok, 0, 1);
  io::SegmentWriter(dir_.string(), "h", 0, 1).commit(a);
  io::SegmentIndex index(dir_.string(), same("h"));
  core::ResultBatch b({{"b", core::ValueType::Int}});
  b.begin_row(1);
  b.end_row(core::TaskStatus::ok, 0, 1);
  io::SegmentWriter(dir_.string(), "h", 3, 2).commit(b);
  index.add_new_headers();
  ASSERT_EQ(index.entries().size(), 2u);
  const core::Schema s = index.schema();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].name, "b");
}

// A header past 64 KiB (10,000 fields) is read whole, not called damaged.
TEST_F(Checkpoint, AHeaderOfTenThousandFieldsIsRead) {
  core::Schema schema;
  for (int i = 0; i < 10000; ++i) schema.push_back({"a_rather_long_field_name_" + std::to_string(i), core::ValueType::Float, 1});
  core::ResultBatch b(schema);
  b.begin_row(0);
  b.end_row(core::TaskStatus::ok, 0, 1);
  io::SegmentWriter(dir_.string(), "h", 0, 1).commit(b);
  const auto segs = io::list_segments(dir_.string());
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(io::read_segment_header(segs[0]).schema.size(), 10000u);
  io::SegmentIndex index(dir_.string(), same("h"));
  index.add_new_headers();
  EXPECT_EQ(index.schema().size(), 10000u);
}

TEST_F(Checkpoint, UnwritableFolderIsAnIoError) {
  io::SegmentWriter w((dir_ / "missing").string(), "h", 0, 1);
  EXPECT_THROW(w.commit(sample(0, 2)), core::IoError);
}

}  // namespace

TEST(CheckpointBytes, ByteFieldsRoundTripWithNulBytesAndMissingValues) {
  const fs::path dir = fs::temp_directory_path() / ("rsim-ckpt-bytes-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  io::make_dirs(dir.string());
  core::ResultBatch b({{"obj", core::ValueType::RObject}, {"raw", core::ValueType::Bytes}, {"x", core::ValueType::Float}});
  const std::string with_nul("X\n\0\0\0\3\xff", 7);
  for (std::uint64_t t = 0; t < 4; ++t) {
    auto row = b.begin_row(t);
    if (t == 2) {  // failed: both byte fields stay empty (missing)
      b.end_row(core::TaskStatus::error, 0.1, 1);
      continue;
    }
    row.set_bytes(0, with_nul + std::string(t, 'a'));
    row.bytes(1) = std::string(1000 * t, '\0');
    row.set_float(2, 1.5);
    b.end_row(core::TaskStatus::ok, 0.1, 1);
  }
  io::SegmentWriter w(dir.string(), "h", 0, 1);
  w.commit(b);
  const io::Segment s = io::read_segment(io::list_segments(dir.string()).at(0));
  EXPECT_EQ(s.header.schema, b.schema()) << "RObject and Bytes keep their types";
  const auto& obj = std::get<std::vector<core::Blob>>(s.batch.columns()[0]);
  const auto& raw = std::get<std::vector<core::Blob>>(s.batch.columns()[1]);
  ASSERT_EQ(obj.size(), 4u);
  EXPECT_EQ(obj[3].bytes, with_nul + "aaa");
  EXPECT_TRUE(obj[2].bytes.empty());
  EXPECT_EQ(raw[3].bytes, std::string(3000, '\0'));
  EXPECT_EQ(std::get<std::vector<double>>(s.batch.columns()[2])[1], 1.5);
  fs::remove_all(dir);
}

// plan_fields(): the union of the segments' fields, ordered by the lowest
// task that returned each (then its place there), the same in any segment
// order; element names from that task.
TEST(FieldPlan, UnionOrderedByLowestTaskThenPositionInAnySegmentOrder) {
  const auto entry = [](core::Schema schema, std::vector<std::pair<std::uint64_t, std::uint32_t>> firsts) {
    io::SegmentEntry e;
    e.header.schema = std::move(schema);
    for (const auto& [task, pos] : firsts) {
      core::FieldOrigin o;
      o.note(task, pos);
      o.first_value = task;
      e.header.origins.push_back(o);
    }
    return e;
  };
  // rank A ran tasks 3 and 5: (late, b, a) first at task 3; rank B ran task 0: (a, b, v) with v named.
  io::SegmentEntry a = entry({{"late", core::ValueType::Float}, {"b", core::ValueType::Int}, {"a", core::ValueType::Float}},
                             {{3, 0}, {3, 1}, {3, 2}});
  io::SegmentEntry b = entry({{"a", core::ValueType::Int}, {"b", core::ValueType::Float}, {"v", core::ValueType::Float, 2}},
                             {{0, 0}, {0, 1}, {0, 2}});
  b.header.origins[2].meta = {{"element_names", {"x", "y"}}};
  const io::FieldPlan p1 = io::plan_fields({}, {a, b});
  const io::FieldPlan p2 = io::plan_fields({}, {b, a});
  std::vector<std::string> names;
  for (const auto& f : p1.schema) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "v", "late"}));
  EXPECT_EQ(p1.schema, p2.schema);
  EXPECT_EQ(p1.schema[0].type, core::ValueType::Float) << "integers and doubles join as double";
  EXPECT_EQ(p1.schema[1].type, core::ValueType::Float);
  EXPECT_EQ(p1.origins[2].meta, (core::FieldMeta{{"element_names", {"x", "y"}}}));
  EXPECT_EQ(p2.origins[2].meta, p1.origins[2].meta);
}

namespace {
// `seg` (format 5 of batch `b`: fields without meta, no errors, no
// tables) rewritten as rsim wrote format 4: no byte saying which integer
// fields need 64 bits, every bookkeeping column in full, an FNV-1a checksum.
template <class T>
void append(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
std::string as_format4(const std::string& seg, const core::ResultBatch& b) {
  auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, seg.data() + at, 4);
    return v;
  };
  std::size_t at = 8 + 4;                 // magic, format
  at += 4 + u32(at) + 4 + 8;              // identity, rank, run id
  const std::uint32_t nf = u32(at);
  at += 4;
  for (std::uint32_t f = 0; f < nf; ++f) at += 4 + u32(at) + 1 + 4;  // name, type, width
  std::string out = seg.substr(0, at);
  for (std::uint32_t f = 0; f < nf; ++f, at += 8 + 4 + 8 + 1 + 4) {
    out += seg.substr(at, 8 + 4 + 8);  // first_task, position, first_value; the width byte dropped
    out += seg.substr(at + 21, 4);     // an empty meta
  }
  const std::uint64_t n = b.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  append(out, b.tasks());
  append(out, b.status());
  append(out, b.elapsed());
  append(out, b.attempts());
  append(out, b.warnings());
  append(out, b.max_rss());
  append(out, std::get<std::vector<std::int64_t>>(b.columns()[0]));
  append(out, std::get<std::vector<double>>(b.columns()[1]));
  out.append(std::string(8 + 8 + 4, '\0'));  // no errors, no warnings, no tables
  const std::uint32_t four = 4;
  std::memcpy(&out[8], &four, 4);
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : out) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  out.append(reinterpret_cast<const char*>(&h), 8);
  return out + seg.substr(seg.size() - 8);
}
}  // namespace

TEST_F(Checkpoint, SegmentsOfFormat4StillReadAndTheirIntegerFieldsCountAs64Bit) {
  const core::ResultBatch b = five_tasks(1);
  const std::string path = commit_one(b);
  const io::Segment now = io::read_segment(path);
  EXPECT_EQ(now.header.format, 6u);
  EXPECT_FALSE(now.header.origins[0].wide) << "0..4 fit 32 bits";
  const std::string rewritten = as_format4(file_bytes(path), b);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << rewritten;
  const io::Segment old = io::read_segment(path);
  EXPECT_EQ(old.header.format, 4u);
  EXPECT_TRUE(old.header.origins[0].wide) << "format 4 does not say: taken as 64-bit";
  EXPECT_FALSE(old.header.origins[1].wide);
  EXPECT_EQ(old.header.origins[0].first_value, 0u);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(old.batch.columns()[0]),
            std::get<std::vector<std::int64_t>>(b.columns()[0]));
  EXPECT_EQ(old.batch.tasks(), b.tasks());
  EXPECT_EQ(old.batch.max_rss(), b.max_rss());
}

namespace {
// `seg` (of batch `b`, as in the test above) rewritten as rsim wrote
// format 5: timings as float64, integer fields as int64 (whether or not
// they fit 32 bits), task ids as runs, an XXH3 checksum.
std::string as_format5(const std::string& seg, const core::ResultBatch& b) {
  auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, seg.data() + at, 4);
    return v;
  };
  std::size_t at = 8 + 4;
  at += 4 + u32(at) + 4 + 8;
  const std::uint32_t nf = u32(at);
  at += 4;
  for (std::uint32_t f = 0; f < nf; ++f) at += 4 + u32(at) + 1 + 4;
  at += nf * (8 + 4 + 8 + 1 + 4);  // origins with an empty meta, the width byte kept
  std::string out = seg.substr(0, at);
  const std::uint32_t five = 5;
  std::memcpy(&out[8], &five, 4);
  const std::uint64_t n = b.size();
  append(out, std::vector<std::uint64_t>{n, n});  // rows, then runs: one per task
  for (const std::uint64_t t : b.tasks()) append(out, std::vector<std::uint64_t>{t, 1});
  const std::string full(1, '\0');  // "a column follows", not a single value
  out += full;
  append(out, b.status());
  append(out, b.elapsed());
  out += full;
  append(out, b.attempts());
  out += full;
  append(out, b.warnings());
  out += full;
  append(out, b.max_rss());
  append(out, std::get<std::vector<std::int64_t>>(b.columns()[0]));
  append(out, std::get<std::vector<double>>(b.columns()[1]));
  out.append(std::string(8 + 8 + 4, '\0'));
  append(out, std::vector<std::uint64_t>{XXH3_64bits(out.data(), out.size())});
  return out + seg.substr(seg.size() - 8);
}
}  // namespace

TEST_F(Checkpoint, SegmentsOfFormat5StillReadWithTheirTimingsAndIntegersIn8Bytes) {
  const core::ResultBatch b = five_tasks(1000, 3);
  const std::string path = commit_one(b);
  const std::string rewritten = as_format5(file_bytes(path), b);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << rewritten;
  const io::Segment old = io::read_segment(path);
  EXPECT_EQ(old.header.format, 5u);
  EXPECT_EQ(old.batch.elapsed(), b.elapsed()) << "float64 timings read whole";
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(old.batch.columns()[0]),
            std::get<std::vector<std::int64_t>>(b.columns()[0]));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(old.batch.columns()[0])[3], core::na_int);
}

TEST_F(Checkpoint, IntegersThatFit32BitsAndTimingsTake4BytesAndReadBackWithNa) {
  constexpr std::uint64_t n = 10000;
  core::ResultBatch b({{"small", core::ValueType::Int}, {"big", core::ValueType::Int}});
  for (std::uint64_t t = 0; t < n; ++t) {
    auto row = b.begin_row(t);
    if (t % 7 != 0) row.set_int(0, static_cast<std::int64_t>(t) - 5000);  // NA every 7th
    row.set_int(1, t == 9 ? std::int64_t{1} << 40 : static_cast<std::int64_t>(t));
    b.end_row(core::TaskStatus::ok, 1e-6 * static_cast<double>(t % 13), 1);
  }
  io::SegmentWriter(dir_.string(), "h", 0, 1).commit(b);
  const std::string path = io::list_segments(dir_.string()).at(0);
  const io::Segment s = io::read_segment(path);
  EXPECT_FALSE(s.header.origins[0].wide);
  EXPECT_TRUE(s.header.origins[1].wide);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(s.batch.columns()[0]),
            std::get<std::vector<std::int64_t>>(b.columns()[0]));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(s.batch.columns()[0])[7], core::na_int);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(s.batch.columns()[1]),
            std::get<std::vector<std::int64_t>>(b.columns()[1]));
  EXPECT_EQ(s.batch.elapsed(), as_float32(b.elapsed()));
  // timings 4 + small 4 + big 8 bytes a task, plus a header and runs
  EXPECT_LT(fs::file_size(path), n * 16 + 400) << "timings and the fitting field in 4 bytes each (format 5: 24 a task)";
}

TEST_F(Checkpoint, TaskIdsInRunsAndColumnsOfOneValueReadBackExactly) {
  core::ResultBatch b({{"x", core::ValueType::Float}});
  const std::vector<std::uint64_t> tasks = {7, 8, 9, 3, 40, 41, 0, 1000000000000};
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    auto row = b.begin_row(tasks[i]);
    row.set_float(0, 0.5 * static_cast<double>(i));
    b.end_row(core::TaskStatus::ok, 0.001 * static_cast<double>(i), 1);  // status, attempts, warnings, memory: one value
  }
  io::SegmentWriter(dir_.string(), "h", 0, 1).commit(b);
  const std::string path = io::list_segments(dir_.string()).at(0);
  const io::Segment s = io::read_segment(path);
  EXPECT_EQ(s.batch.tasks(), tasks);
  EXPECT_EQ(s.batch.status(), b.status());
  EXPECT_EQ(s.batch.attempts(), b.attempts());
  EXPECT_EQ(s.batch.warnings(), b.warnings());
  EXPECT_EQ(s.batch.max_rss(), b.max_rss());
  EXPECT_EQ(s.batch.elapsed(), as_float32(b.elapsed()));
  EXPECT_LT(fs::file_size(path), 400u) << "8 rows: runs and single values, not columns";
}
