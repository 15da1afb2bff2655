#include <arrow/api.h>
#include <gtest/gtest.h>

#include "marketlake/bars.h"
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

struct Quote {
  std::string ts;
  std::string symbol;
  double bid, ask;
  int64_t bid_size, ask_size;
};

std::shared_ptr<arrow::Table> Quotes(const std::vector<Quote>& quotes) {
  std::vector<int64_t> ts, bs, as;
  std::vector<std::string> sym;
  std::vector<double> bid, ask;
  for (const auto& q : quotes) {
    ts.push_back(T(q.ts));
    sym.push_back(q.symbol);
    bid.push_back(q.bid);
    ask.push_back(q.ask);
    bs.push_back(q.bid_size);
    as.push_back(q.ask_size);
  }
  auto schema = arrow::schema(
      {arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
       arrow::field("symbol", arrow::utf8()), arrow::field("bid", arrow::float64()),
       arrow::field("ask", arrow::float64()), arrow::field("bid_size", arrow::int64()),
       arrow::field("ask_size", arrow::int64())});
  return arrow::Table::Make(schema, {TsArray(ts), StrArray(sym), DblArray(bid), DblArray(ask),
                                     I64Array(bs), I64Array(as)});
}

// Spreads in binary-exact steps (1/4, 1/8) so the hand arithmetic is exact.
std::shared_ptr<arrow::Table> Example() {
  return Quotes({
      {"2024-03-11T14:00:00.000Z", "A", 10.0, 10.5, 1, 2},      // spread .5
      {"2024-03-11T14:00:00.250Z", "A", 10.0, 10.25, 3, 4},     // .25 (tightest, first)
      {"2024-03-11T14:00:00.500Z", "A", 10.125, 10.375, 5, 6},  // .25 tie: later, loses
      {"2024-03-11T14:00:01.200Z", "A", 10.0, 11.0, 7, 8},      // next second
      {"2024-03-11T14:00:00.600Z", "B", 20.0, 20.5, 9, 9},      // B: alone in its second
  });
}

TEST(Quotes, TightestSpreadTiesEarliest) {
  QuoteOptions o;
  auto r = SampleQuotes(*Example(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto t = *r;
  EXPECT_EQ(Strs(*t, "symbol"), (std::vector<std::string>{"A", "A", "B"}));
  EXPECT_EQ(Ints(*t, "ts"),
            (std::vector<int64_t>{T("2024-03-11T14:00:00Z"), T("2024-03-11T14:00:01Z"),
                                  T("2024-03-11T14:00:00Z")}));
  EXPECT_EQ(Ints(*t, "quote_ts"),
            (std::vector<int64_t>{T("2024-03-11T14:00:00.25Z"), T("2024-03-11T14:00:01.2Z"),
                                  T("2024-03-11T14:00:00.6Z")}));
  EXPECT_EQ(Dbls(*t, "bid"), (std::vector<double>{10.0, 10.0, 20.0}));
  EXPECT_EQ(Ints(*t, "bid_size"), (std::vector<int64_t>{3, 7, 9}));
  EXPECT_EQ(Dbls(*t, "spread"), (std::vector<double>{0.25, 1.0, 0.5}));
  EXPECT_EQ(Ints(*t, "quote_count"), (std::vector<int64_t>{3, 1, 1}));
}

TEST(Quotes, LastQuote) {
  QuoteOptions o;
  o.pick = QuoteOptions::Pick::kLast;
  auto t = SampleQuotes(*Example(), o).ValueOrDie();
  EXPECT_EQ(Ints(*t, "bid_size"), (std::vector<int64_t>{5, 7, 9}));
}

TEST(Quotes, TimeWeightedSpreadAndMidByHand) {
  auto t = SampleQuotes(*Example(), QuoteOptions{}).ValueOrDie();
  // Second 14:00:00 for A: weights .25 s (.5 spread), .25 s (.25), .5 s (.25, clipped at the
  // second's end although the next quote comes at 1.2 s).
  //   spread: (.25*.5 + .25*.25 + .5*.25) / 1 = .3125
  //   mid:    (.25*10.25 + .25*10.125 + .5*10.25) / 1 = 10.21875
  // Second 14:00:01: one quote, weighted .8 s (to the second's end): 1.0 and 10.5.
  // B: one quote, .4 s: .5 and 20.25.
  EXPECT_EQ(Dbls(*t, "twa_spread"), (std::vector<double>{0.3125, 1.0, 0.5}));
  EXPECT_EQ(Dbls(*t, "twa_mid"), (std::vector<double>{10.21875, 10.5, 20.25}));
}

TEST(Quotes, UnsortedInputAndCoarserInterval) {
  auto sorted = Example();
  auto shuffled = Quotes({
      {"2024-03-11T14:00:00.600Z", "B", 20.0, 20.5, 9, 9},
      {"2024-03-11T14:00:01.200Z", "A", 10.0, 11.0, 7, 8},
      {"2024-03-11T14:00:00.500Z", "A", 10.125, 10.375, 5, 6},
      {"2024-03-11T14:00:00.000Z", "A", 10.0, 10.5, 1, 2},
      {"2024-03-11T14:00:00.250Z", "A", 10.0, 10.25, 3, 4},
  });
  EXPECT_TRUE(
      SampleQuotes(*shuffled, {}).ValueOrDie()->Equals(*SampleQuotes(*sorted, {}).ValueOrDie()));
  QuoteOptions m;
  m.interval = "1m";
  auto t = SampleQuotes(*sorted, m).ValueOrDie();
  ASSERT_EQ(t->num_rows(), 2);
  // A over the minute: .25*.5 + .25*.25 + .7*.25 + 58.8*1.0 over 60 s.
  EXPECT_DOUBLE_EQ(Dbls(*t, "twa_spread")[0], (0.125 + 0.0625 + 0.175 + 58.8) / 60.0);
  EXPECT_EQ(Ints(*t, "bid_size")[0], 3);
}

TEST(Quotes, MissingColumn) {
  auto t = Example()->RemoveColumn(3).ValueOrDie();  // ask
  auto r = SampleQuotes(*t, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kMissingColumn);
}

}  // namespace
}  // namespace marketlake
