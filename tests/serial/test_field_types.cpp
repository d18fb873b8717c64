// The one field-type rule (core/field_types.hpp): which stored type takes
// which, what two fields widen to, converting columns with NA kept; and the
// batch operations built on it (table rows joining, a field widening).
#include <gtest/gtest.h>

#include <stdexcept>

#include "rsim/core/field_types.hpp"
#include "rsim/core/result_batch.hpp"

using namespace rsim;
using core::ValueType;

namespace {

const ValueType kAll[] = {ValueType::Int, ValueType::Float, ValueType::String, ValueType::Bool};

TEST(FieldTypes, EachTypeTakesItselfAndFloatAlsoTakesIntegers) {
  for (ValueType stored : kAll)
    for (ValueType given : kAll) {
      const bool expected = stored == given || (stored == ValueType::Float && given == ValueType::Int);
      EXPECT_EQ(core::accepts(stored, given), expected)
          << core::type_name(stored) << " <- " << core::type_name(given);
    }
}

TEST(FieldTypes, IntegerAndFloatWidenToFloatInEitherOrderAndOtherPairsConflict) {
  EXPECT_EQ(core::widened(ValueType::Int, ValueType::Float), ValueType::Float);
  EXPECT_EQ(core::widened(ValueType::Float, ValueType::Int), ValueType::Float);
  for (ValueType t : kAll) EXPECT_EQ(core::widened(t, t), t);
  EXPECT_FALSE(core::widened(ValueType::String, ValueType::Int));
  EXPECT_FALSE(core::widened(ValueType::Float, ValueType::String));
  EXPECT_FALSE(core::widened(ValueType::Bool, ValueType::Int));
  EXPECT_FALSE(core::widened(ValueType::Float, ValueType::Bool));
}

TEST(FieldTypes, FieldsWidenOnlyWithTheSameNameAndWidth) {
  const core::Field i{"x", ValueType::Int, 1}, f{"x", ValueType::Float, 1};
  EXPECT_EQ(core::widened(i, f), f);
  EXPECT_EQ(core::widened(f, i), f);
  EXPECT_TRUE(core::accepts(f, i));
  EXPECT_FALSE(core::accepts(i, f));
  EXPECT_FALSE(core::widened(i, core::Field{"y", ValueType::Float, 1}));
  EXPECT_FALSE(core::accepts(f, core::Field{"y", ValueType::Int, 1}));
  EXPECT_FALSE(core::widened(core::Field{"v", ValueType::Float, 3}, core::Field{"v", ValueType::Float, 2}));
  EXPECT_EQ(core::widened_type(i, f), ValueType::Float);
  EXPECT_EQ(core::widened_type(f, f), ValueType::Float);
  EXPECT_FALSE(core::widened_type(i, core::Field{"y", ValueType::Int, 1}));
  EXPECT_FALSE(core::widened_type(core::Field{"v", ValueType::Int, 2}, core::Field{"v", ValueType::Int, 3}));
  EXPECT_FALSE(core::accepts(core::Field{"v", ValueType::Float, 3}, core::Field{"v", ValueType::Int, 2}));
}

TEST(FieldTypes, SchemasWidenColumnByColumnOrConflictAsAWhole) {
  const core::Schema a{{"k", ValueType::Int}, {"x", ValueType::Float}, {"s", ValueType::String}};
  const core::Schema b{{"k", ValueType::Float}, {"x", ValueType::Int}, {"s", ValueType::String}};
  const auto w = core::widened(a, b);
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, (core::Schema{{"k", ValueType::Float}, {"x", ValueType::Float}, {"s", ValueType::String}}));
  EXPECT_FALSE(core::widened(a, core::Schema(a.begin(), a.end() - 1)));  // a column fewer
  core::Schema renamed = a;
  renamed[2].name = "t";
  EXPECT_FALSE(core::widened(a, renamed));
  core::Schema retyped = a;
  retyped[2].type = ValueType::Bool;
  EXPECT_FALSE(core::widened(a, retyped));
}

TEST(FieldTypes, WideningAnIntegerKeepsItsValueAndMakesNaRsNa) {
  EXPECT_EQ(core::widen_int(-7), -7.0);
  EXPECT_EQ(core::widen_int(std::int64_t{1} << 52), 4503599627370496.0);
  EXPECT_TRUE(core::is_na_float(core::widen_int(core::na_int)));
  const std::int64_t src[] = {1, core::na_int, 3};
  double dst[3] = {0, 0, 0};
  core::widen_ints(src, 3, dst);
  EXPECT_EQ(dst[0], 1.0);
  EXPECT_TRUE(core::is_na_float(dst[1]));
  EXPECT_EQ(dst[2], 3.0);
}

TEST(FieldTypes, ColumnsKnowTheirTypeAndConvertInPlaceWithNaKept) {
  for (ValueType t : kAll) EXPECT_EQ(core::column_type(core::make_column(t)), t);
  core::ColumnData col = std::vector<std::int64_t>{4, core::na_int, -2};
  core::convert_column(col, ValueType::Int);  // the same type: unchanged
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(col).size(), 3u);
  core::convert_column(col, ValueType::Float);
  const auto& d = std::get<std::vector<double>>(col);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], 4.0);
  EXPECT_TRUE(core::is_na_float(d[1]));
  EXPECT_EQ(d[2], -2.0);
}

TEST(FieldTypes, ConvertingAgainstTheRuleIsAProgrammingError) {
  core::ColumnData floats = std::vector<double>{1.5};
  EXPECT_THROW(core::convert_column(floats, ValueType::Int), std::logic_error);
  core::ColumnData strings = std::vector<std::string>{"a"};
  EXPECT_THROW(core::convert_column(strings, ValueType::Float), std::logic_error);
  EXPECT_EQ(std::get<std::vector<std::string>>(strings)[0], "a");
}

core::TableBatch table(ValueType type, std::initializer_list<std::int64_t> values, std::uint64_t task) {
  core::TableBatch t;
  t.schema = {{"x", type}, {"s", ValueType::String}};
  t.cols = {core::make_column(type), core::make_column(ValueType::String)};
  for (std::int64_t v : values) {
    t.task.push_back(task);
    if (type == ValueType::Int)
      std::get<std::vector<std::int64_t>>(t.cols[0]).push_back(v);
    else
      std::get<std::vector<double>>(t.cols[0]).push_back(v == core::na_int ? core::na_float()
                                                                            : static_cast<double>(v) + 0.5);
    std::get<std::vector<std::string>>(t.cols[1]).push_back("r" + std::to_string(v));
  }
  return t;
}

TEST(FieldTypes, TableRowsOfDoublesWidenTheIntegerColumnTheyJoin) {
  core::TableBatch t = table(ValueType::Int, {1, core::na_int}, 0);
  ASSERT_TRUE(t.append_widening(table(ValueType::Float, {5}, 1)));
  EXPECT_EQ(t.schema[0].type, ValueType::Float);
  const auto& x = std::get<std::vector<double>>(t.cols[0]);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[0], 1.0);
  EXPECT_TRUE(core::is_na_float(x[1]));
  EXPECT_EQ(x[2], 5.5);
  EXPECT_EQ(t.task, (std::vector<std::uint64_t>{0, 0, 1}));
  EXPECT_EQ(std::get<std::vector<std::string>>(t.cols[1])[2], "r5");
}

TEST(FieldTypes, TableRowsOfIntegersWidenAsTheyJoinADoubleColumn) {
  core::TableBatch t = table(ValueType::Float, {1}, 0);
  ASSERT_TRUE(t.append_widening(table(ValueType::Int, {7, core::na_int}, 3)));
  EXPECT_EQ(t.schema[0].type, ValueType::Float);
  const auto& x = std::get<std::vector<double>>(t.cols[0]);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[1], 7.0);
  EXPECT_TRUE(core::is_na_float(x[2]));
}

TEST(FieldTypes, ConflictingTableRowsAreRefusedAndChangeNothing) {
  core::TableBatch t = table(ValueType::Int, {1, 2}, 0);
  core::TableBatch other = table(ValueType::Float, {3}, 1);
  other.schema[1].type = ValueType::Bool;  // s: string here, logical there
  other.cols[1] = std::vector<std::int8_t>{1};
  EXPECT_FALSE(t.append_widening(other));
  EXPECT_EQ(t.schema[0].type, ValueType::Int);  // not widened by the refused rows
  EXPECT_EQ(t.rows(), 2u);
}

TEST(FieldTypes, AWidenedResultFieldKeepsTheBatchsEarlierValuesAndNa) {
  core::ResultBatch b({{"k", ValueType::Int}, {"name", ValueType::String}});
  b.begin_row(0).set_int(0, 41);
  b.end_row(core::TaskStatus::ok, 0.0, 1);
  b.begin_row(1);  // k stays NA
  b.end_row(core::TaskStatus::ok, 0.0, 1);
  auto row = b.begin_row(2);
  row.widen_to_float(0);
  row.widen_to_float(1);  // not an integer field: unchanged
  row.set_float(0, 2.5);
  b.end_row(core::TaskStatus::ok, 0.0, 1);
  EXPECT_EQ(b.schema()[0].type, ValueType::Float);
  EXPECT_EQ(b.schema()[1].type, ValueType::String);
  const auto& k = std::get<std::vector<double>>(b.columns()[0]);
  EXPECT_EQ(k[0], 41.0);
  EXPECT_TRUE(core::is_na_float(k[1]));
  EXPECT_EQ(k[2], 2.5);
}

}  // namespace
