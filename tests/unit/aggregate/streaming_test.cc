// The streaming forms give exactly the one-shot results: BarAggregator::TakeSymbolsBefore vs
// Finish, QuoteSampler vs SampleQuotes, AsofStream vs AsofJoin, on generated data fed in
// (symbol, ts) order as a LakeReader feeds them.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <random>

#include "marketlake/asof.h"
#include "marketlake/bars.h"
#include "marketlake/generate.h"
#include "marketlake/quotes.h"
#include "unit/aggregate/test_util.h"

namespace marketlake {
namespace {

using aggregate_test::T;

std::shared_ptr<arrow::Table> Generated(GenerateOptions::Kind kind, int64_t rows, int symbols,
                                        uint64_t seed) {
  GenerateOptions g;
  g.kind = kind;
  g.rows = rows;
  g.symbols = symbols;
  g.days = 4;
  g.seed = seed;
  g.start_date = "2024-11-26";  // Thanksgiving and the early close
  g.batch_rows = 7000;
  auto t = MakeSampleReader(g).ValueOrDie()->ToTable().ValueOrDie();
  // Plain strings, so the test can sort by symbol.
  int i = t->schema()->GetFieldIndex("symbol");
  auto sym = arrow::compute::Cast(arrow::Datum(t->column(i)), arrow::utf8()).ValueOrDie();
  return t->SetColumn(i, arrow::field("symbol", arrow::utf8()), sym.chunked_array()).ValueOrDie();
}

std::shared_ptr<arrow::Table> BySymbolTs(const std::shared_ptr<arrow::Table>& t) {
  // Stable: equal (symbol, ts) keep their order, as a LakeReader keeps file order.
  arrow::compute::SortOptions so(
      {arrow::compute::SortKey("symbol"), arrow::compute::SortKey("ts")});
  auto idx = arrow::compute::SortIndices(arrow::Datum(t), so).ValueOrDie();
  return arrow::compute::Take(t, idx).ValueOrDie().table()->CombineChunks().ValueOrDie();
}

std::vector<std::shared_ptr<arrow::RecordBatch>> Batches(const std::shared_ptr<arrow::Table>& t,
                                                         int64_t rows) {
  arrow::TableBatchReader reader(*t);
  reader.set_chunksize(rows);
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  std::shared_ptr<arrow::RecordBatch> b;
  while (reader.ReadNext(&b).ok() && b) out.push_back(b);
  return out;
}

std::string LastSymbol(const arrow::RecordBatch& b) {
  auto col = b.GetColumnByName("symbol");
  if (col->type_id() == arrow::Type::DICTIONARY) {
    col = arrow::compute::Cast(*col, arrow::utf8()).ValueOrDie();
  }
  return std::string(static_cast<const arrow::StringArray&>(*col).GetView(col->length() - 1));
}

TEST(BarsStreaming, TakeSymbolsBeforeEqualsFinish) {
  auto trades = BySymbolTs(Generated(GenerateOptions::Kind::kTrades, 60000, 9, 3));
  for (const char* interval : {"1m", "7m", "1d"}) {
    for (bool fill : {false, true}) {
      BarOptions o;
      o.interval = interval;
      o.fill = fill;
      auto whole = AggregateTrades(*trades, o).ValueOrDie()->CombineChunks().ValueOrDie();
      auto agg = BarAggregator::Make(o).ValueOrDie();
      std::vector<std::shared_ptr<arrow::Table>> parts;
      size_t max_open = 0;
      for (const auto& b : Batches(trades, 1500)) {
        ASSERT_TRUE(agg->Consume(*b).ok());
        max_open = std::max(max_open, agg->open_bars());
        parts.push_back(agg->TakeSymbolsBefore(LastSymbol(*b)).ValueOrDie());
      }
      parts.push_back(agg->Finish().ValueOrDie());
      auto streamed = arrow::ConcatenateTables(parts).ValueOrDie()->CombineChunks().ValueOrDie();
      EXPECT_TRUE(streamed->Equals(*whole)) << interval << " fill=" << fill;
      EXPECT_EQ(agg->late_rows(), 0);
      if (std::string(interval) == "1m") {
        // About two symbols' bars at most, not nine.
        EXPECT_LT(max_open, static_cast<size_t>(whole->num_rows() / 3)) << max_open;
      }
    }
  }
}

// Random quotes: few symbols, coarse timestamps (many ties), spreads on a small grid (many
// equal spreads), interleaved symbols, some null bids.
std::shared_ptr<arrow::Table> RandomQuotes(uint64_t seed, int64_t n) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> clock(4, T("2024-03-11T14:00:00Z"));
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  arrow::StringBuilder sym;
  arrow::DoubleBuilder bid, ask;
  arrow::Int64Builder bs, as;
  const char* names[] = {"AA", "B", "CC", "D"};
  for (int64_t i = 0; i < n; ++i) {
    int s = static_cast<int>(rng() % 4);
    clock[s] += static_cast<int64_t>(rng() % 4) * 250'000'000 * static_cast<int64_t>(rng() % 3);
    EXPECT_TRUE(ts.Append(clock[s]).ok());
    EXPECT_TRUE(sym.Append(names[s]).ok());
    double b = 100 + static_cast<double>(rng() % 50) / 8;
    if (rng() % 50 == 0) {
      EXPECT_TRUE(bid.AppendNull().ok());
    } else {
      EXPECT_TRUE(bid.Append(b).ok());
    }
    EXPECT_TRUE(ask.Append(b + static_cast<double>(1 + rng() % 3) / 16).ok());
    EXPECT_TRUE(bs.Append(static_cast<int64_t>(rng() % 900)).ok());
    if (rng() % 10 == 0) {
      EXPECT_TRUE(as.AppendNull().ok());
    } else {
      EXPECT_TRUE(as.Append(static_cast<int64_t>(rng() % 900)).ok());
    }
  }
  auto schema = arrow::schema(
      {arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
       arrow::field("symbol", arrow::utf8()), arrow::field("bid", arrow::float64()),
       arrow::field("ask", arrow::float64()), arrow::field("bid_size", arrow::int64()),
       arrow::field("ask_size", arrow::int64())});
  return arrow::Table::Make(
      schema, {ts.Finish().ValueOrDie(), sym.Finish().ValueOrDie(), bid.Finish().ValueOrDie(),
               ask.Finish().ValueOrDie(), bs.Finish().ValueOrDie(), as.Finish().ValueOrDie()});
}

TEST(QuoteSampler, EqualsSampleQuotesOnRandomData) {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    auto quotes = RandomQuotes(seed, 5000);
    for (auto pick : {QuoteOptions::Pick::kTightest, QuoteOptions::Pick::kLast}) {
      for (const char* interval : {"1s", "3s"}) {
        QuoteOptions o;
        o.pick = pick;
        o.interval = interval;
        auto expected = SampleQuotes(*quotes, o).ValueOrDie()->CombineChunks().ValueOrDie();
        // Interleaved symbols, in arrival order, in uneven batches.
        auto sampler = QuoteSampler::Make(o).ValueOrDie();
        std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
        for (const auto& b : Batches(quotes, 333 + static_cast<int64_t>(seed))) {
          ASSERT_TRUE(sampler->Consume(*b).ok());
          parts.push_back(sampler->TakeCompleted().ValueOrDie());
        }
        parts.push_back(sampler->Finish().ValueOrDie());
        auto got = BySymbolTs(arrow::Table::FromRecordBatches(parts).ValueOrDie());
        EXPECT_TRUE(got->Equals(*expected)) << "seed " << seed << " " << interval;
        // (symbol, ts)-ordered, closing finished symbols: already in SampleQuotes' order.
        auto sorted = BySymbolTs(quotes);
        auto s2 = QuoteSampler::Make(o, /*ordered_by_symbol=*/true).ValueOrDie();
        parts.clear();
        int64_t max_open = 0;
        for (const auto& b : Batches(sorted, 400)) {
          ASSERT_TRUE(s2->Consume(*b).ok());
          max_open = std::max(max_open, s2->open_symbols());
          parts.push_back(s2->TakeCompleted().ValueOrDie());
        }
        parts.push_back(s2->Finish().ValueOrDie());
        auto in_order =
            arrow::Table::FromRecordBatches(parts).ValueOrDie()->CombineChunks().ValueOrDie();
        EXPECT_TRUE(in_order->Equals(*expected)) << "seed " << seed;
        EXPECT_LE(max_open, 1);
      }
    }
  }
}

TEST(QuoteSampler, GeneratedQuotesAndOrderErrors) {
  auto quotes = Generated(GenerateOptions::Kind::kQuotes, 40000, 6, 9);
  QuoteOptions o;
  auto expected = SampleQuotes(*quotes, o).ValueOrDie()->CombineChunks().ValueOrDie();
  auto sampler = QuoteSampler::Make(o).ValueOrDie();
  std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
  for (const auto& b : Batches(quotes, 4096)) {
    ASSERT_TRUE(sampler->Consume(*b).ok());
    parts.push_back(sampler->TakeCompleted().ValueOrDie());
  }
  parts.push_back(sampler->Finish().ValueOrDie());
  EXPECT_TRUE(BySymbolTs(arrow::Table::FromRecordBatches(parts).ValueOrDie())->Equals(*expected));

  // A quote older than its symbol's previous one.
  auto bad = QuoteSampler::Make(o).ValueOrDie();
  auto rev = quotes->Slice(0, 2000);
  auto idx = arrow::compute::SortIndices(arrow::Datum(rev),
                                         arrow::compute::SortOptions({arrow::compute::SortKey(
                                             "ts", arrow::compute::SortOrder::Descending)}))
                 .ValueOrDie();
  auto reversed = arrow::compute::Take(rev, idx).ValueOrDie().table();
  Status st = bad->Consume(*reversed->CombineChunksToBatch().ValueOrDie());
  EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument) << st.ToString();
}

std::shared_ptr<arrow::Table> Collect(AsofStream& s, const std::shared_ptr<arrow::Table>& left,
                                      int64_t rows) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  for (const auto& b : Batches(left, rows)) {
    auto r = s.Join(*b);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) out.push_back(*r);
  }
  return arrow::Table::FromRecordBatches(s.schema(), out)
      .ValueOrDie()
      ->CombineChunks()
      .ValueOrDie();
}

AsofStream::Source FromBatches(std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
  auto state =
      std::make_shared<std::pair<std::vector<std::shared_ptr<arrow::RecordBatch>>, size_t>>(
          std::move(batches), 0);
  return [state]() -> Result<std::shared_ptr<arrow::RecordBatch>> {
    if (state->second >= state->first.size()) return std::shared_ptr<arrow::RecordBatch>();
    return state->first[state->second++];
  };
}

TEST(AsofStream, EqualsAsofJoin) {
  auto trades = BySymbolTs(Generated(GenerateOptions::Kind::kTrades, 30000, 7, 11));
  // Quotes with one symbol the trades lack and one the trades have dropped, so keys skip.
  auto quotes = BySymbolTs(Generated(GenerateOptions::Kind::kQuotes, 60000, 8, 12));
  for (std::optional<int64_t> tol :
       {std::optional<int64_t>(), std::optional<int64_t>(2'000'000'000)}) {
    AsofOptions o;
    o.tolerance_nanos = tol;
    auto expected = AsofJoin(*trades, *quotes, o).ValueOrDie()->CombineChunks().ValueOrDie();
    for (int64_t lrows : {500, 7000}) {
      for (int64_t rrows : {300, 20000}) {
        auto s = AsofStream::Make(trades->schema(), quotes->schema(),
                                  FromBatches(Batches(quotes, rrows)), o)
                     .ValueOrDie();
        auto got = Collect(*s, trades, lrows);
        EXPECT_TRUE(got->Equals(*expected)) << lrows << " " << rrows;
      }
    }
  }
}

TEST(AsofStream, TiesTakeLastRightRowAndOrderIsChecked) {
  auto left = aggregate_test::Trades({{"2024-03-11T14:00:01Z", "A", 1, 1},
                                      {"2024-03-11T14:00:03Z", "A", 2, 1},
                                      {"2024-03-11T14:00:00Z", "B", 3, 1}});
  auto right = aggregate_test::Trades({{"2024-03-11T14:00:01Z", "A", 10, 1},
                                       {"2024-03-11T14:00:01Z", "A", 11, 1},
                                       {"2024-03-11T14:00:05Z", "A", 12, 1},
                                       {"2024-03-11T14:00:00Z", "B", 13, 1}});
  AsofOptions o;
  auto s = AsofStream::Make(left->schema(), right->schema(), FromBatches(Batches(right, 1)), o)
               .ValueOrDie();
  auto got = Collect(*s, left, 2);
  EXPECT_EQ(aggregate_test::Dbls(*got, "right_price"), (std::vector<double>{11, 11, 13}));
  EXPECT_TRUE(got->Equals(*AsofJoin(*left, *right, o).ValueOrDie()->CombineChunks().ValueOrDie()));
  // Left out of order.
  auto s2 = AsofStream::Make(left->schema(), right->schema(), FromBatches(Batches(right, 4)), o)
                .ValueOrDie();
  auto unsorted = aggregate_test::Trades(
      {{"2024-03-11T14:00:03Z", "A", 2, 1}, {"2024-03-11T14:00:01Z", "A", 1, 1}});
  auto r = s2->Join(*unsorted->CombineChunksToBatch().ValueOrDie());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kInvalidArgument);
}

TEST(AsofStream, NullRightValuesAcrossBatches) {
  // Right values of fixed width (copied directly) and strings (taken), with nulls, over
  // matches that point into several right batches.
  auto ts = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  auto J = [](const std::shared_ptr<arrow::DataType>& type, const char* json) {
    return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
  };
  auto left =
      arrow::Table::FromRecordBatches(
          {arrow::RecordBatch::Make(
              arrow::schema({arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts)}), 5,
              {J(arrow::utf8(), R"(["A", "A", "A", "B", "C"])"), J(ts, "[10, 20, 30, 15, 5]")})})
          .ValueOrDie();
  auto right_schema =
      arrow::schema({arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts),
                     arrow::field("bid", arrow::float64()), arrow::field("n", arrow::int32()),
                     arrow::field("venue", arrow::utf8())});
  auto right = arrow::Table::FromRecordBatches(
                   {arrow::RecordBatch::Make(right_schema, 5,
                                             {J(arrow::utf8(), R"(["A", "A", "A", "B", "C"])"),
                                              J(ts, "[9, 19, 25, 15, 6]"),
                                              J(arrow::float64(), "[1.5, null, 3.5, 4.5, 9]"),
                                              J(arrow::int32(), "[null, 2, 3, 4, 9]"),
                                              J(arrow::utf8(), R"(["x", "y", null, "z", "w"])")})})
                   .ValueOrDie();
  AsofOptions o;
  auto expected = AsofJoin(*left, *right, o).ValueOrDie()->CombineChunks().ValueOrDie();
  for (int64_t rrows : {1, 2, 5}) {
    auto s =
        AsofStream::Make(left->schema(), right->schema(), FromBatches(Batches(right, rrows)), o)
            .ValueOrDie();
    auto got = Collect(*s, left, 5);
    EXPECT_TRUE(got->Equals(*expected)) << rrows << "\n"
                                        << got->ToString() << "\n"
                                        << expected->ToString();
    auto bid = got->GetColumnByName("bid")->chunk(0);
    EXPECT_EQ(bid->null_count(), 2);  // A@20 matches a null bid; C@5 matches nothing
    EXPECT_EQ(static_cast<const arrow::DoubleArray&>(*bid).Value(2), 3.5);
  }
}

}  // namespace
}  // namespace marketlake
