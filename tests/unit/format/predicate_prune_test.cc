// CompareValues, MayMatch and SelectRows: the pure pruning logic behind the scanner.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "marketlake/predicate.h"

namespace marketlake {
namespace {

BoundLeaf Compare(CompareOp op, Value v) {
  BoundLeaf leaf;
  leaf.kind = BoundLeaf::Kind::kCompare;
  leaf.op = op;
  leaf.values = {std::move(v)};
  return leaf;
}

BoundLeaf In(std::vector<Value> values, bool negated = false) {
  BoundLeaf leaf;
  leaf.kind = BoundLeaf::Kind::kIn;
  leaf.negated = negated;
  leaf.values = std::move(values);
  return leaf;
}

BoundLeaf IsNull(bool negated) {
  BoundLeaf leaf;
  leaf.kind = BoundLeaf::Kind::kIsNull;
  leaf.negated = negated;
  return leaf;
}

ValueRange Range(Value min, Value max, int64_t nulls = 0, int64_t n = 100) {
  ValueRange r;
  r.min = std::move(min);
  r.max = std::move(max);
  r.null_count = nulls;
  r.num_values = n;
  return r;
}

TEST(CompareValuesTest, OrdersEachAlternative) {
  EXPECT_LT(CompareValues(int64_t{-5}, int64_t{3}), 0);
  EXPECT_EQ(CompareValues(int64_t{3}, int64_t{3}), 0);
  EXPECT_GT(CompareValues(2.5, 1.0), 0);
  EXPECT_EQ(CompareValues(-0.0, 0.0), 0);
  EXPECT_LT(CompareValues(Value(std::string("AAPL")), Value(std::string("MSFT"))), 0);
  EXPECT_LT(CompareValues(Value(std::string("ab")), Value(std::string("abc"))), 0);
  // Bytes compare unsigned: 0xC3 sorts after 'z'.
  EXPECT_GT(CompareValues(Value(std::string("\xC3")), Value(std::string("z"))), 0);
  EXPECT_LT(CompareValues(false, true), 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_GT(CompareValues(nan, 1e300), 0);
  EXPECT_EQ(CompareValues(nan, nan), 0);
}

TEST(MayMatchTest, Comparisons) {
  ValueRange r = Range(int64_t{10}, int64_t{20});
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kEq, int64_t{10}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kEq, int64_t{20}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, int64_t{9}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, int64_t{21}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kLt, int64_t{10}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kLt, int64_t{11}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kLe, int64_t{9}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kLe, int64_t{10}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kGt, int64_t{20}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kGt, int64_t{19}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kGe, int64_t{21}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kGe, int64_t{20}), r));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kNe, int64_t{15}), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kNe, int64_t{7}), Range(int64_t{7}, int64_t{7})));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kNe, int64_t{7}), Range(int64_t{7}, int64_t{8})));
}

TEST(MayMatchTest, FloatsNeverPruneNotEqualBecauseOfNaN) {
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kNe, 1.5), Range(1.5, 1.5)));
  EXPECT_TRUE(MayMatch(In({1.5}, /*negated=*/true), Range(1.5, 1.5)));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, 3.0), Range(1.0, 2.0)));
}

TEST(MayMatchTest, StringsAndIn) {
  ValueRange r = Range(std::string("GOOG"), std::string("MSFT"));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kEq, std::string("IBM")), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, std::string("AAPL")), r));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, std::string("MSFTX")), r));
  EXPECT_TRUE(MayMatch(In({std::string("AAPL"), std::string("IBM")}), r));
  EXPECT_FALSE(MayMatch(In({std::string("AAPL"), std::string("TSLA")}), r));
  EXPECT_FALSE(MayMatch(In({}), r));
  ValueRange one = Range(std::string("IBM"), std::string("IBM"));
  EXPECT_FALSE(MayMatch(In({std::string("IBM"), std::string("X")}, true), one));
  EXPECT_TRUE(MayMatch(In({std::string("X")}, true), one));
}

TEST(MayMatchTest, NullsAndMissingStatistics) {
  ValueRange all_null;
  all_null.null_count = 50;
  all_null.num_values = 50;
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kEq, int64_t{1}), all_null));
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kNe, int64_t{1}), all_null));
  EXPECT_FALSE(MayMatch(In({int64_t{1}}, true), all_null));
  EXPECT_TRUE(MayMatch(IsNull(false), all_null));
  EXPECT_FALSE(MayMatch(IsNull(true), all_null));

  ValueRange no_nulls = Range(int64_t{1}, int64_t{2}, 0);
  EXPECT_FALSE(MayMatch(IsNull(false), no_nulls));
  EXPECT_TRUE(MayMatch(IsNull(true), no_nulls));

  ValueRange unknown;  // nothing recorded: everything may match
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kEq, int64_t{1}), unknown));
  EXPECT_TRUE(MayMatch(IsNull(false), unknown));
  EXPECT_TRUE(MayMatch(IsNull(true), unknown));

  ValueRange only_min;
  only_min.min = int64_t{10};
  EXPECT_FALSE(MayMatch(Compare(CompareOp::kLt, int64_t{5}), only_min));
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kGt, int64_t{500}), only_min));

  BoundLeaf unprunable = Compare(CompareOp::kEq, int64_t{1000});
  unprunable.prunable = false;
  EXPECT_TRUE(MayMatch(unprunable, Range(int64_t{1}, int64_t{2})));
  EXPECT_FALSE(MayMatch(unprunable, all_null));

  ValueRange empty;
  empty.num_values = 0;
  EXPECT_FALSE(MayMatch(IsNull(false), empty));
}

TEST(MayMatchTest, MismatchedDomainsStayConservative) {
  EXPECT_TRUE(MayMatch(Compare(CompareOp::kEq, std::string("x")), Range(int64_t{1}, int64_t{2})));
}

TEST(SelectRowsTest, CombinesLeaves) {
  BoundPredicate a;
  a.kind = BoundPredicate::Kind::kLeaf;
  a.leaf.column = "a";
  BoundPredicate b = a;
  b.leaf.column = "b";
  auto leaf_rows = [](const BoundLeaf& leaf) {
    RowRanges r;
    if (leaf.column == "a") {
      r.Add(0, 10);
      r.Add(50, 60);
    } else {
      r.Add(5, 55);
    }
    return r;
  };
  BoundPredicate both;
  both.kind = BoundPredicate::Kind::kAnd;
  both.children = {a, b};
  auto r = SelectRows(both, 100, leaf_rows);
  ASSERT_EQ(r.ranges().size(), 2u);
  EXPECT_EQ(r.ranges()[0].begin, 5);
  EXPECT_EQ(r.ranges()[0].end, 10);
  EXPECT_EQ(r.ranges()[1].begin, 50);
  EXPECT_EQ(r.ranges()[1].end, 55);

  BoundPredicate either;
  either.kind = BoundPredicate::Kind::kOr;
  either.children = {a, b};
  r = SelectRows(either, 100, leaf_rows);
  ASSERT_EQ(r.ranges().size(), 1u);
  EXPECT_EQ(r.ranges()[0].begin, 0);
  EXPECT_EQ(r.ranges()[0].end, 60);

  BoundPredicate t;
  t.kind = BoundPredicate::Kind::kTrue;
  EXPECT_EQ(SelectRows(t, 100, leaf_rows).row_count(), 100);
  BoundPredicate f;
  f.kind = BoundPredicate::Kind::kFalse;
  EXPECT_TRUE(SelectRows(f, 100, leaf_rows).empty());
  // Leaves never select rows beyond the unit.
  EXPECT_EQ(SelectRows(b, 20, leaf_rows).row_count(), 15);
}

}  // namespace
}  // namespace marketlake
