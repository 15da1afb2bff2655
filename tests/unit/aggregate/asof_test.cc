#include "marketlake/asof.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "unit/aggregate/test_util.h"

namespace marketlake {
namespace {

using aggregate_test::DblArray;
using aggregate_test::Dbls;
using aggregate_test::I64Array;
using aggregate_test::Ints;
using aggregate_test::StrArray;
using aggregate_test::Strs;
using aggregate_test::T;
using aggregate_test::TsArray;

std::shared_ptr<arrow::Field> TsField(const std::string& name = "ts") {
  return arrow::field(name, arrow::timestamp(arrow::TimeUnit::NANO, "UTC"));
}

std::shared_ptr<arrow::Table> Left() {
  // Deliberately not sorted.
  return arrow::Table::Make(
      arrow::schema({TsField(), arrow::field("symbol", arrow::utf8()),
                     arrow::field("price", arrow::float64())}),
      {TsArray({T("2024-03-11T14:00:05Z"), T("2024-03-11T14:00:01Z"), T("2024-03-11T14:00:03Z"),
                T("2024-03-11T14:00:10Z"), T("2024-03-11T14:00:04Z"), T("2024-03-11T13:59:59Z")}),
       StrArray({"A", "A", "B", "A", "C", "A"}), DblArray({1, 2, 3, 4, 5, 6})});
}

std::shared_ptr<arrow::Table> Right() {
  return arrow::Table::Make(
      arrow::schema({TsField(), arrow::field("symbol", arrow::utf8()),
                     arrow::field("bid", arrow::float64()),
                     arrow::field("price", arrow::float64())}),
      {TsArray({T("2024-03-11T14:00:03Z"), T("2024-03-11T14:00:00Z"), T("2024-03-11T14:00:03Z"),
                T("2024-03-11T14:00:02Z"), T("2024-03-11T14:00:05Z")}),
       StrArray({"A", "A", "A", "B", "A"}), DblArray({10.3, 10.0, 10.31, 20.2, 10.5}),
       DblArray({0.3, 0.0, 0.31, 0.2, 0.5})});
}

TEST(Asof, LatestAtOrBeforeWithTiesAndMissingKeys) {
  auto r = AsofJoin(*Left(), *Right(), AsofOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto t = *r;
  EXPECT_EQ(t->schema()->ToString(),
            arrow::schema({TsField(), arrow::field("symbol", arrow::utf8()),
                           arrow::field("price", arrow::float64()), TsField("right_ts"),
                           arrow::field("bid", arrow::float64()),
                           arrow::field("right_price", arrow::float64())})
                ->ToString());
  EXPECT_EQ(Dbls(*t, "price"), (std::vector<double>{1, 2, 3, 4, 5, 6}));  // left order kept
  // 14:00:05 A -> the 14:00:05 row (equal time counts); :01 A -> :00; :03 B -> :02;
  // :10 A -> :05; C -> none; 13:59:59 A -> none (all later).
  EXPECT_EQ(Dbls(*t, "bid"), (std::vector<double>{10.5, 10.0, 20.2, 10.5, -999, -999}));
  EXPECT_EQ(
      Ints(*t, "right_ts"),
      (std::vector<int64_t>{T("2024-03-11T14:00:05Z"), T("2024-03-11T14:00:00Z"),
                            T("2024-03-11T14:00:02Z"), T("2024-03-11T14:00:05Z"), -999, -999}));
  // Two right rows at 14:00:03 for A: the later one in right's order wins.
  auto left2 = arrow::Table::Make(arrow::schema({TsField(), arrow::field("symbol", arrow::utf8())}),
                                  {TsArray({T("2024-03-11T14:00:04Z")}), StrArray({"A"})});
  EXPECT_EQ(Dbls(*AsofJoin(*left2, *Right(), {}).ValueOrDie(), "bid"), std::vector<double>{10.31});
}

TEST(Asof, Tolerance) {
  AsofOptions o;
  o.tolerance_nanos = 2'000'000'000;  // 2 s
  auto t = AsofJoin(*Left(), *Right(), o).ValueOrDie();
  // :10 A -> :05 is 5 s old: none; :01 A -> :00 is 1 s: kept; :03 B -> :02: kept.
  EXPECT_EQ(Dbls(*t, "bid"), (std::vector<double>{10.5, 10.0, 20.2, -999, -999, -999}));
  o.tolerance_nanos = 0;  // exact times only
  EXPECT_EQ(Dbls(*AsofJoin(*Left(), *Right(), o).ValueOrDie(), "bid"),
            (std::vector<double>{10.5, -999, -999, -999, -999, -999}));
  o.tolerance_nanos = -1;
  EXPECT_FALSE(AsofJoin(*Left(), *Right(), o).ok());
}

TEST(Asof, DictionaryKeysIntegerKeysAndNoKeys) {
  auto left = Left();
  auto enc = arrow::compute::DictionaryEncode(left->GetColumnByName("symbol")).ValueOrDie();
  auto dict_left =
      left->SetColumn(1, arrow::field("symbol", enc.type()), enc.chunked_array()).ValueOrDie();
  auto plain = AsofJoin(*Left(), *Right(), {}).ValueOrDie();
  auto dict = AsofJoin(*dict_left, *Right(), {}).ValueOrDie();
  EXPECT_EQ(Dbls(*dict, "bid"), Dbls(*plain, "bid"));

  AsofOptions none;
  none.by = {};
  auto t = AsofJoin(*Left(), *Right(), none).ValueOrDie();
  // Any symbol: :05 -> :05 (10.5); :01 -> :00; :03 -> second :03 row; :10 -> :05; :04 -> :03.
  EXPECT_EQ(Dbls(*t, "bid"), (std::vector<double>{10.5, 10.0, 10.31, 10.5, 10.31, -999}));
  EXPECT_EQ(Strs(*t, "right_symbol"),
            (std::vector<std::string>{"A", "A", "A", "A", "A", "<null>"}));

  // Two key columns, one of them an integer.
  auto l2 = arrow::Table::Make(
      arrow::schema({TsField(), arrow::field("symbol", arrow::utf8()),
                     arrow::field("venue", arrow::int32())}),
      {TsArray({T("2024-03-11T14:00:05Z"), T("2024-03-11T14:00:05Z")}), StrArray({"A", "A"}),
       std::make_shared<arrow::Int32Array>(2,
                                           arrow::Buffer::FromVector(std::vector<int32_t>{1, 2}))});
  auto r2 = arrow::Table::Make(
      arrow::schema({TsField(), arrow::field("symbol", arrow::utf8()),
                     arrow::field("venue", arrow::int64()), arrow::field("bid", arrow::float64())}),
      {TsArray({T("2024-03-11T14:00:01Z"), T("2024-03-11T14:00:02Z")}), StrArray({"A", "A"}),
       I64Array({2, 1}), DblArray({1.5, 2.5})});
  AsofOptions two;
  two.by = {"symbol", "venue"};
  EXPECT_EQ(Dbls(*AsofJoin(*l2, *r2, two).ValueOrDie(), "bid"), (std::vector<double>{2.5, 1.5}));
}

TEST(Asof, Errors) {
  AsofOptions o;
  o.time_column = "time";
  auto r = AsofJoin(*Left(), *Right(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kMissingColumn);
  o = AsofOptions{};
  o.by = {"price"};  // float keys are refused
  EXPECT_EQ(CodeOf(AsofJoin(*Left(), *Right(), o).status()), ErrorCode::kDataType);
}

}  // namespace
}  // namespace marketlake
