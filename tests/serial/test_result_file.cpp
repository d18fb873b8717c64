// The HDF5 result file assembled from checkpoint segments, read back with
// the HDF5 C API: layout, types, values, NA and fill values, errors,
// provenance attributes.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "rsim/core/error.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/factor.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/io/result_file.hpp"
#include "rsim/io/segment_index.hpp"

namespace fs = std::filesystem;
using namespace rsim;

namespace {

template <class T>
std::vector<T> read_all(hid_t file, const char* name, hid_t memtype, std::vector<hsize_t>* dims_out = nullptr) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  EXPECT_GE(d, 0) << name;
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(sp, dims, nullptr);
  if (dims_out) dims_out->assign(dims, dims + rank);
  std::vector<T> v(dims[0] * (rank == 2 ? dims[1] : 1));
  if (!v.empty()) {
    EXPECT_GE(H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  }
  H5Sclose(sp);
  H5Dclose(d);
  return v;
}

std::vector<std::string> read_strings(hid_t file, const char* name) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  auto raw = read_all<char*>(file, name, t);
  std::vector<std::string> out;
  for (char* p : raw) out.emplace_back(p ? p : "");
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  if (!raw.empty()) H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw.data());
  H5Sclose(sp);
  H5Dclose(d);
  H5Tclose(t);
  return out;
}

std::string read_str_attr(hid_t file, const char* name) {
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  EXPECT_GE(a, 0) << name;
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  char* p = nullptr;
  H5Aread(a, t, &p);
  std::string s = p ? p : "";
  H5free_memory(p);
  H5Tclose(t);
  H5Aclose(a);
  return s;
}

std::int64_t read_int_attr(hid_t file, const char* name) {
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  EXPECT_GE(a, 0) << name;
  std::int64_t v = -1;
  H5Aread(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  return v;
}

class ResultFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rsim-rf-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ckpt");
    spec_ = grid::parse_job_spec(
        "[job]\nname = \"rf\"\nseed = 3\nreplicates = 4\n[task]\nbackend = \"native\"\nkernel = \"x\"\n"
        "[grid]\nn = [10, 20]\nlabel = [\"a\", \"b\", \"c\"]\n",
        (dir_ / "g.toml").string());
    space_ = std::make_unique<grid::TaskSpace>(spec_);  // 6 points x 4 = 24 tasks
  }
  void TearDown() override { fs::remove_all(dir_); }

  core::ResultBatch batch(std::uint64_t first, std::uint64_t n, bool int_y = false) const {
    core::ResultBatch b({{"y", int_y ? core::ValueType::Int : core::ValueType::Float},
                         {"ok", core::ValueType::Bool},
                         {"v", core::ValueType::Float, 2}});
    for (std::uint64_t t = first; t < first + n; ++t) {
      auto row = b.begin_row(t);
      if (t == 9) {
        b.add_error({t, "failed on purpose", "kernel x"});
        b.end_row(core::TaskStatus::error, 0.1, 1);
        continue;
      }
      if (int_y) row.set_int(0, static_cast<std::int64_t>(t));
      else row.set_float(0, static_cast<double>(t) + 0.5);
      row.set_bool(1, t % 2 == 1);
      row.float_vector(2)[0] = static_cast<double>(t);
      row.float_vector(2)[1] = -static_cast<double>(t);
      b.end_row(core::TaskStatus::ok, 0.01, 1);
    }
    return b;
  }

  io::AssemblySummary assemble(const core::Schema& declared) {
    io::Provenance p{"2026-11-29T00:00:00Z", "2026-11-29T00:00:01Z", 2, "native kernel x", {}};
    const io::SegmentIndex index((dir_ / "ckpt").string(), [this](const std::string& id, const std::string& path) {
      if (id != spec_.source_hash) throw core::ConfigError({spec_.source_path, 0, ""}, path + " is of another job", "");
    });
    return io::assemble_results(spec_, *space_, index, "", declared, out(), p);
  }
  std::string out() const { return (dir_ / "rf.h5").string(); }

  fs::path dir_;
  grid::JobSpec spec_;
  std::unique_ptr<grid::TaskSpace> space_;
};

TEST_F(ResultFile, LayoutValuesAndFillsFromSegmentsInAnyOrder) {
  // Rank 1 committed tasks 12..19, rank 0 tasks 0..9; 10, 11 and 20..23 never ran.
  io::SegmentWriter r1((dir_ / "ckpt").string(), spec_.source_hash, 1, 5);
  r1.commit(batch(12, 8));
  io::SegmentWriter r0((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
  r0.commit(batch(0, 10));
  const auto sum = assemble(batch(0, 0).schema());
  EXPECT_EQ(sum.ok, 17u);
  EXPECT_EQ(sum.error, 1u);
  EXPECT_EQ(sum.not_run, 6u);
  EXPECT_FALSE(fs::exists(out() + ".tmp"));

  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(read_all<std::int64_t>(f, "grid/n", H5T_NATIVE_INT64), (std::vector<std::int64_t>{10, 10, 10, 20, 20, 20}));
  EXPECT_EQ(read_strings(f, "grid/label"), (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));

  const auto status = read_all<std::int8_t>(f, "tasks/status", H5T_NATIVE_INT8);
  ASSERT_EQ(status.size(), 24u);
  for (std::uint64_t t = 0; t < 24; ++t) {
    const int want = t == 9 ? 1 : (t < 10 || (t >= 12 && t < 20)) ? 0 : 3;
    EXPECT_EQ(status[t], want) << "task " << t;
  }
  const auto rank = read_all<std::int32_t>(f, "tasks/rank", H5T_NATIVE_INT32);
  EXPECT_EQ(rank[0], 0);
  EXPECT_EQ(rank[12], 1);
  EXPECT_EQ(rank[10], -1);
  const auto elapsed = read_all<double>(f, "tasks/elapsed", H5T_NATIVE_DOUBLE);
  EXPECT_FLOAT_EQ(static_cast<float>(elapsed[3]), 0.01f);
  EXPECT_TRUE(std::isnan(elapsed[21]));
  {  // timings are float32: 4 bytes a task, 7 significant digits
    hid_t d = H5Dopen2(f, "tasks/elapsed", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    EXPECT_EQ(H5Tget_class(t), H5T_FLOAT);
    EXPECT_EQ(H5Tget_size(t), 4u);
    H5Tclose(t);
    H5Dclose(d);
  }

  const auto y = read_all<double>(f, "results/y", H5T_NATIVE_DOUBLE);
  EXPECT_DOUBLE_EQ(y[3], 3.5);
  EXPECT_TRUE(core::is_na_float(y[9])) << "failed task: NA";
  EXPECT_TRUE(core::is_na_float(y[22])) << "task not run: NA (fill value)";
  const auto okv = read_all<std::int8_t>(f, "results/ok", H5T_NATIVE_INT8);
  EXPECT_EQ(okv[3], 1);
  EXPECT_EQ(okv[4], 0);
  EXPECT_EQ(okv[22], core::na_bool);
  std::vector<hsize_t> dims;
  const auto v = read_all<double>(f, "results/v", H5T_NATIVE_DOUBLE, &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{24, 2}));
  EXPECT_DOUBLE_EQ(v[2 * 13 + 1], -13.0);

  EXPECT_EQ(read_all<std::int64_t>(f, "errors/task", H5T_NATIVE_INT64), (std::vector<std::int64_t>{9}));
  EXPECT_EQ(read_strings(f, "errors/message"), (std::vector<std::string>{"failed on purpose"}));

  EXPECT_EQ(read_int_attr(f, "format_version"), 1);
  EXPECT_EQ(read_int_attr(f, "n_tasks"), 24);
  EXPECT_EQ(read_int_attr(f, "n_points"), 6);
  EXPECT_EQ(read_int_attr(f, "complete"), 0);
  EXPECT_EQ(read_str_attr(f, "job_name"), "rf");
  EXPECT_EQ(read_str_attr(f, "grid_hash"), spec_.source_hash);
  EXPECT_EQ(read_str_attr(f, "grid_toml"), spec_.source_text);
  EXPECT_EQ(read_str_attr(f, "task"), "native kernel x");
  H5Fclose(f);
}

TEST_F(ResultFile, IntegerFieldWidensToFloatWhenSegmentsDisagree) {
  io::SegmentWriter w((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
  w.commit(batch(0, 5, /*int_y=*/true));
  w.commit(batch(5, 19, /*int_y=*/false));
  const auto sum = assemble(batch(0, 0, true).schema());
  EXPECT_EQ(sum.not_run, 0u);
  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "results/y", H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  EXPECT_EQ(H5Tget_class(t), H5T_FLOAT);
  H5Tclose(t);
  H5Dclose(d);
  const auto y = read_all<double>(f, "results/y", H5T_NATIVE_DOUBLE);
  EXPECT_DOUBLE_EQ(y[2], 2.0);
  EXPECT_DOUBLE_EQ(y[6], 6.5);
  EXPECT_EQ(read_int_attr(f, "complete"), 1);
  H5Fclose(f);
}

TEST_F(ResultFile, TableColumnOfIntegersAndDoublesFromTwoRanksIsDoubleWithNaKept) {
  auto tables = [](std::uint64_t first, bool ints) {
    core::ResultBatch b;
    for (std::uint64_t t = first; t < first + 2; ++t) {
      auto row = b.begin_row(t);
      core::TableBatch& d = row.table("d");
      if (d.schema.empty()) {
        d.schema = {{"x", ints ? core::ValueType::Int : core::ValueType::Float}};
        d.cols = {core::make_column(d.schema[0].type)};
      }
      d.task.push_back(t);
      if (ints) std::get<std::vector<std::int64_t>>(d.cols[0]).push_back(t == first ? core::na_int : 7);
      else std::get<std::vector<double>>(d.cols[0]).push_back(static_cast<double>(t) + 0.5);
      b.end_row(core::TaskStatus::ok, 0.01, 1);
    }
    return b;
  };
  io::SegmentWriter r1((dir_ / "ckpt").string(), spec_.source_hash, 1, 5);
  r1.commit(tables(2, /*ints=*/false));
  io::SegmentWriter r0((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
  r0.commit(tables(0, /*ints=*/true));
  assemble({});
  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(read_all<std::int64_t>(f, "tables/d/task", H5T_NATIVE_INT64), (std::vector<std::int64_t>{0, 1, 2, 3}));
  const auto x = read_all<double>(f, "tables/d/x", H5T_NATIVE_DOUBLE);
  ASSERT_EQ(x.size(), 4u);
  EXPECT_TRUE(core::is_na_float(x[0]));
  EXPECT_DOUBLE_EQ(x[1], 7.0);
  EXPECT_DOUBLE_EQ(x[2], 2.5);
  EXPECT_DOUBLE_EQ(x[3], 3.5);
  H5Fclose(f);
}

TEST_F(ResultFile, FieldOfAnotherTypeOnOneRankFailsThoseTasksNotTheAssembly) {
  io::SegmentWriter r0((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
  r0.commit(batch(0, 4));
  core::ResultBatch strings({{"y", core::ValueType::String}});
  for (std::uint64_t t = 4; t < 6; ++t) {
    strings.begin_row(t).set_string(0, "text");
    strings.end_row(core::TaskStatus::ok, 0.01, 1);
  }
  io::SegmentWriter r1((dir_ / "ckpt").string(), spec_.source_hash, 1, 5);
  r1.commit(strings);
  const auto sum = assemble(batch(0, 0).schema());
  EXPECT_EQ(sum.ok, 4u);
  EXPECT_EQ(sum.error, 2u);
  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(read_all<std::int64_t>(f, "errors/task", H5T_NATIVE_INT64), (std::vector<std::int64_t>{4, 5}));
  const auto msg = read_strings(f, "errors/message");
  ASSERT_EQ(msg.size(), 2u);
  EXPECT_EQ(msg[0],
            "result field \"y\" is string here but float in the fields the kernel declared or an earlier run "
            "committed; return the same type from every task (integers and doubles mix)");
  const auto y = read_all<double>(f, "results/y", H5T_NATIVE_DOUBLE);
  EXPECT_TRUE(core::is_na_float(y[4]));
  H5Fclose(f);
}

// A task committed twice (a rerun, or a task in two checkpoints) keeps the
// table rows of its latest row only; a later row with no table rows drops
// the earlier ones.
TEST_F(ResultFile, TableRowsOfATaskInTwoSegmentsAreTheLatestOnly) {
  auto rows = [](std::vector<std::pair<std::uint64_t, int>> tasks) {  // (task, table rows)
    core::ResultBatch b;
    for (const auto& [t, n] : tasks) {
      auto row = b.begin_row(t);
      for (int k = 0; k < n; ++k) {
        core::TableBatch& d = row.table("d");
        if (d.schema.empty()) {
          d.schema = {{"x", core::ValueType::Float}};
          d.cols = {core::make_column(core::ValueType::Float)};
        }
        d.task.push_back(t);
        std::get<std::vector<double>>(d.cols[0]).push_back(static_cast<double>(100 * n + k));
      }
      b.end_row(core::TaskStatus::ok, 0.01, 1);
    }
    return b;
  };
  io::SegmentWriter w((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
  w.commit(rows({{0, 2}, {1, 2}, {2, 1}}));
  w.commit(rows({{1, 3}, {2, 0}}));  // task 1 again with 3 rows, task 2 again with none
  assemble({});
  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(read_all<std::int64_t>(f, "tables/d/task", H5T_NATIVE_INT64), (std::vector<std::int64_t>{0, 0, 1, 1, 1}));
  EXPECT_EQ(read_all<double>(f, "tables/d/x", H5T_NATIVE_DOUBLE), (std::vector<double>{200, 201, 300, 301, 302}));
  H5Fclose(f);
}

// The index refuses it before the assembly starts (the one place segment identities are checked).
TEST_F(ResultFile, SegmentOfAnotherGridIsRefusedAndNoOutputAppears) {
  io::SegmentWriter w((dir_ / "ckpt").string(), "sha256:other", 0, 5);
  w.commit(batch(0, 4));
  EXPECT_THROW(assemble(batch(0, 0).schema()), core::ConfigError);
  EXPECT_FALSE(fs::exists(out()));
}

}  // namespace

TEST_F(ResultFile, ByteFieldsAreVariableLengthBytesWithTheirEncodingAndReadBack) {
  const core::Schema schema = {{"fit", core::ValueType::RObject}, {"blob", core::ValueType::Bytes}};
  core::ResultBatch b(schema);
  for (std::uint64_t t = 0; t < 24; ++t) {
    auto row = b.begin_row(t);
    if (t == 9) {
      b.add_error({t, "failed on purpose", ""});
      b.end_row(core::TaskStatus::error, 0.1, 1);
      continue;
    }
    row.set_bytes(0, std::string("X\n\0\0\0\3", 6) + std::to_string(t));
    row.set_bytes(1, std::string(t, '\x7f'));  // task 0: empty, i.e. missing
    b.end_row(core::TaskStatus::ok, 0.01, 1);
  }
  io::SegmentWriter((dir_ / "ckpt").string(), spec_.source_hash, 0, 5).commit(b);
  assemble(schema);

  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t d = H5Dopen2(f, "results/fit", H5P_DEFAULT);
  hid_t ft = H5Dget_type(d);
  EXPECT_EQ(H5Tget_class(ft), H5T_VLEN);
  H5Tclose(ft);
  hid_t mt = H5Tvlen_create(H5T_NATIVE_UINT8);
  std::vector<hvl_t> v(24);
  ASSERT_GE(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  EXPECT_EQ(std::string(static_cast<const char*>(v[12].p), v[12].len), std::string("X\n\0\0\0\3", 6) + "12");
  EXPECT_EQ(v[9].len, 0u) << "a failed task's value is an empty element";
  for (auto& e : v) H5free_memory(e.p);
  H5Tclose(mt);
  H5Dclose(d);
  hid_t fit = H5Dopen2(f, "results/fit", H5P_DEFAULT);
  ASSERT_GE(fit, 0);
  EXPECT_EQ(read_str_attr(fit, "encoding"), "R serialization (version 3, XDR)");
  H5Dclose(fit);
  hid_t blob = H5Dopen2(f, "results/blob", H5P_DEFAULT);
  ASSERT_GE(blob, 0);
  EXPECT_EQ(read_str_attr(blob, "encoding"), "bytes");
  H5Dclose(blob);
  H5Fclose(f);

  // Read back as the base of a rerun: same types, same bytes.
  EXPECT_EQ(io::output_schema(out()), schema);
  std::vector<core::Blob> fits;
  io::read_output_rows(out(), [&](const core::ResultBatch& rows, const std::vector<std::int32_t>&) {
    const auto& c = std::get<std::vector<core::Blob>>(rows.columns()[0]);
    fits.insert(fits.end(), c.begin(), c.end());
  });
  ASSERT_EQ(fits.size(), 24u);
  EXPECT_EQ(fits[23].bytes, std::string("X\n\0\0\0\3", 6) + "23");
  EXPECT_TRUE(fits[9].bytes.empty());
}

// Without declared fields (R tasks), the lowest task with a value decides a
// conflicting field's type, in any commit order; exactly the tasks with a
// value of the other type fail; an NA of another type joins.
TEST_F(ResultFile, ConflictingTypesKeepTheLowestTasksTypeInAnyCommitOrder) {
  const auto run = [&](std::uint64_t first_text, bool text_first) {
    fs::remove_all(dir_ / "ckpt");
    fs::create_directories(dir_ / "ckpt");
    core::ResultBatch text({{"y", core::ValueType::String}, {"na", core::ValueType::Bool}});
    core::ResultBatch nums({{"y", core::ValueType::Float}, {"na", core::ValueType::Float}});
    for (std::uint64_t t = 0; t < 8; ++t) {
      const bool is_text = t >= first_text && t < first_text + 2;
      core::ResultBatch& b = is_text ? text : nums;
      auto row = b.begin_row(t);
      if (is_text) row.set_string(0, "s" + std::to_string(t));  // "na" stays the logical NA
      else row.set_float(0, static_cast<double>(t)), row.set_float(1, 1.0);
      row.returned(0, 0);
      row.returned(1, 1);
      b.end_row(core::TaskStatus::ok, 0.01, 1);
    }
    io::SegmentWriter w((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
    if (text_first) w.commit(text), w.commit(nums);
    else w.commit(nums), w.commit(text);
    fs::remove(out());
    return assemble({});
  };
  for (const bool text_first : {false, true}) {
    const auto sum = run(4, text_first);  // tasks 4, 5 return text; task 0 a number: float wins
    EXPECT_EQ(sum.error, 2u);
    hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT_EQ(read_all<std::int64_t>(f, "errors/task", H5T_NATIVE_INT64), (std::vector<std::int64_t>{4, 5}));
    EXPECT_EQ(read_strings(f, "errors/message")[0],
              "result field \"y\" is string here but float in task 0, which decides its type (the lowest task with a "
              "value); return the same type from every task (integers and doubles mix)");
    const auto na = read_all<double>(f, "results/na", H5T_NATIVE_DOUBLE);
    EXPECT_TRUE(core::is_na_float(na[4])) << "a failed task has every field NA";
    EXPECT_DOUBLE_EQ(na[6], 1.0);
    H5Fclose(f);
  }
  const auto sum = run(0, false);  // tasks 0, 1 return text: string wins, the 6 number tasks fail
  EXPECT_EQ(sum.error, 6u);
  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_EQ(read_strings(f, "results/y")[1], "s1");
  const auto na = read_all<double>(f, "results/na", H5T_NATIVE_DOUBLE);
  EXPECT_TRUE(core::is_na_float(na[0])) << "the logical NA of tasks 0 and 1 joins the float field";
  H5Fclose(f);
}

// Factors (io/factor.hpp): an enum whose labels are the lowest task's levels,
// then the labels other rows use, sorted, whatever the commit order; the
// table's column classes come from the lowest task too, through checkpoints;
// reading the file back gives the labels and the meta again.
TEST_F(ResultFile, FactorsAreEnumsWithLabelsOfTheLowestTaskThenSortedInAnyCommitOrder) {
  const core::FieldMeta low{{"r_class", {"factor"}}, {"levels", {"b", "a", "unused"}}};
  const core::FieldMeta high{{"r_class", {"factor"}}, {"levels", {"z", "c", "y"}}};
  const auto seg = [&](std::uint64_t first, const core::FieldMeta& meta, const char* label) {
    core::ResultBatch b({{"f", core::ValueType::String}});
    for (std::uint64_t t = first; t < first + 4; ++t) {
      auto row = b.begin_row(t);
      if (t != 2) row.set_string(0, t == 0 ? "a" : t == 5 ? "y" : label);  // task 2: NA
      row.returned(0, 0, &meta);
      auto& tb = row.table("tab");
      if (tb.schema.empty()) tb.schema = {{"g", core::ValueType::String}}, tb.cols = {core::make_column(core::ValueType::String)};
      tb.note_meta(t, {meta});
      tb.task.push_back(t);
      std::get<std::vector<std::string>>(tb.cols[0]).push_back(t == 0 ? "a" : label);
      b.end_row(core::TaskStatus::ok, 0.01, 1);
    }
    return b;
  };
  for (const bool low_first : {true, false}) {
    fs::remove_all(dir_ / "ckpt");
    fs::create_directories(dir_ / "ckpt");
    io::SegmentWriter w((dir_ / "ckpt").string(), spec_.source_hash, 0, 5);
    if (low_first) w.commit(seg(0, low, "b")), w.commit(seg(4, high, "c"));
    else w.commit(seg(4, high, "c")), w.commit(seg(0, low, "b"));
    fs::remove(out());
    assemble({});
    hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    for (const char* name : {"results/f", "tables/tab/g"}) {
      hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
      hid_t t = H5Dget_type(d);
      ASSERT_EQ(H5Tget_class(t), H5T_ENUM) << name;
      std::vector<std::string> labels;
      for (int k = 0; k < H5Tget_nmembers(t); ++k) {
        char* m = H5Tget_member_name(t, static_cast<unsigned>(k));
        labels.emplace_back(m);
        H5free_memory(m);
      }
      // task 0's levels (unused ones kept), then c (and y) of other tasks, sorted; z, unused by task 4, left out
      const bool field = std::string(name) == "results/f";
      EXPECT_EQ(labels, field ? (std::vector<std::string>{"b", "a", "unused", "c", "y"})
                              : (std::vector<std::string>{"b", "a", "unused", "c"})) << name;
      EXPECT_EQ(H5Aexists(d, "levels"), 0) << "the labels are the enum's";
      H5Tclose(t);
      H5Dclose(d);
    }
    EXPECT_EQ(read_all<std::int8_t>(f, "results/f", H5T_NATIVE_INT8).size(), 24u);
    H5Fclose(f);
    const auto fields = io::output_fields(out());
    ASSERT_EQ(fields.schema.size(), 1u);
    EXPECT_EQ(fields.schema[0].type, core::ValueType::String);
    EXPECT_EQ(io::levels_of(fields.meta[0]), (std::vector<std::string>{"b", "a", "unused", "c", "y"}));
    std::vector<std::string> values;
    io::read_output_rows(out(), [&](const core::ResultBatch& b, const std::vector<std::int32_t>&) {
      values = std::get<std::vector<std::string>>(b.columns()[0]);
      ASSERT_EQ(b.tables().size(), 1u);
      EXPECT_TRUE(io::is_factor(b.tables()[0].second.meta.at(0)));
    });
    EXPECT_EQ(values, (std::vector<std::string>{"a", "b", std::string(core::na_string), "b", "c", "y", "c", "c"}));
  }
}

namespace {
// The type size and filters of dataset `name`: {bytes per value, filters}.
std::pair<std::size_t, std::vector<H5Z_filter_t>> storage_of(hid_t f, const char* name) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  hid_t dcpl = H5Dget_create_plist(d);
  std::vector<H5Z_filter_t> filters;
  for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
    unsigned flags = 0;
    std::size_t n = 0;
    filters.push_back(H5Pget_filter2(dcpl, i, &flags, &n, nullptr, 0, nullptr, nullptr));
  }
  const std::size_t size = H5Tget_size(t);
  H5Pclose(dcpl);
  H5Tclose(t);
  H5Dclose(d);
  return {size, filters};
}
}  // namespace

TEST_F(ResultFile, IntegersThatFit32BitsAreInt32NumbersAreCompressedAndARerunReadsThemBack) {
  core::ResultBatch b({{"small", core::ValueType::Int}, {"big", core::ValueType::Int}});
  for (std::uint64_t t = 0; t < 20; ++t) {
    auto row = b.begin_row(t);
    row.set_int(0, t == 3 ? core::na_int : static_cast<std::int64_t>(t) - 10);
    row.set_int(1, t == 5 ? std::int64_t{1} << 40 : static_cast<std::int64_t>(t));
    core::TableBatch& d = row.table("d");
    if (d.schema.empty()) {
      d.schema = {{"k", core::ValueType::Int}};
      d.cols = {core::make_column(core::ValueType::Int)};
    }
    d.task.push_back(t);
    std::get<std::vector<std::int64_t>>(d.cols[0]).push_back(t == 4 ? core::na_int : -static_cast<std::int64_t>(t));
    b.end_row(core::TaskStatus::ok, 0.01, 1);
  }
  io::SegmentWriter((dir_ / "ckpt").string(), spec_.source_hash, 0, 5).commit(b);
  assemble({});

  hid_t f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const std::vector<H5Z_filter_t> compressed = {H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE};
  EXPECT_EQ(storage_of(f, "results/small"), std::make_pair(std::size_t{4}, compressed));
  EXPECT_EQ(storage_of(f, "results/big"), std::make_pair(std::size_t{8}, compressed)) << "2^40 needs 64 bits";
  EXPECT_EQ(storage_of(f, "tables/d/k").first, 4u);
  for (const char* name : {"tasks/status", "tasks/elapsed", "tasks/rank", "grid/n"})
    EXPECT_EQ(storage_of(f, name).second, compressed) << name;
  EXPECT_TRUE(storage_of(f, "grid/label").second.empty()) << "variable-length strings: no filter";
  const auto small = read_all<std::int32_t>(f, "results/small", H5T_NATIVE_INT32);
  ASSERT_EQ(small.size(), 24u);
  EXPECT_EQ(small[0], -10);
  EXPECT_EQ(small[3], core::na_int32) << "NA is R's NA_integer_";
  EXPECT_EQ(small[22], core::na_int32) << "a task not run: the fill value";
  EXPECT_EQ(read_all<std::int32_t>(f, "tables/d/k", H5T_NATIVE_INT32)[4], core::na_int32);
  H5Fclose(f);

  // A rerun reads the int32 columns back as integers with NA, and keeps them narrow.
  const std::string base = (dir_ / "base.h5").string();
  fs::rename(out(), base);
  const io::OutputFields earlier = io::output_fields(base);
  EXPECT_EQ(earlier.wide, (std::vector<bool>{false, true}));
  std::vector<std::int64_t> back;
  io::read_output_rows(base, [&](const core::ResultBatch& rows, const std::vector<std::int32_t>&) {
    const auto& col = std::get<std::vector<std::int64_t>>(rows.columns()[0]);
    back.insert(back.end(), col.begin(), col.end());
    EXPECT_EQ(std::get<std::vector<std::int64_t>>(rows.tables().at(0).second.cols[0])[4], core::na_int);
  });
  ASSERT_EQ(back.size(), 20u);
  EXPECT_EQ(back[3], core::na_int);
  EXPECT_EQ(back[19], 9);
  fs::remove_all(dir_ / "ckpt");
  fs::create_directories(dir_ / "ckpt");
  const io::SegmentIndex none((dir_ / "ckpt").string(), [](const std::string&, const std::string&) {});
  io::assemble_results(spec_, *space_, none, base, {}, out(), {"a", "b", 1, "x", {}});
  f = H5Fopen(out().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_EQ(storage_of(f, "results/small").first, 4u);
  EXPECT_EQ(storage_of(f, "results/big").first, 8u);
  EXPECT_EQ(read_all<std::int32_t>(f, "results/small", H5T_NATIVE_INT32)[3], core::na_int32);
  EXPECT_EQ(read_all<std::int64_t>(f, "results/big", H5T_NATIVE_INT64)[5], std::int64_t{1} << 40);
  H5Fclose(f);
}
