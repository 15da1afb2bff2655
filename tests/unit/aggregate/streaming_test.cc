// The streaming forms give exactly the one-shot results: BarAggregator::TakeSymbolsBefore vs
// Finish, QuoteSampler vs SampleQuotes, AsofStream vs AsofJoin, on generated data fed in
// (symbol, ts) order as a LakeReader feeds them.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

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

// One output row worked out by brute force from the quotes, independently of the sampler.
struct ExpectedSample {
  std::string symbol;
  int64_t bucket = 0, quote_ts = 0, count = 0;
  double bid = 0, ask = 0;
  std::optional<int64_t> bid_size, ask_size;
  std::optional<double> twa_spread, twa_mid;
};

// The tightest quote per (symbol, 1s interval) of `quotes` (rows with a null bid or ask
// skipped), with time weights as bars.h states them, in (symbol, interval) order.
std::vector<ExpectedSample> BruteForceTightest(const arrow::Table& quotes) {
  auto flat = quotes.CombineChunksToBatch().ValueOrDie();
  const auto& ts = static_cast<const arrow::TimestampArray&>(*flat->GetColumnByName("ts"));
  const auto& sym = static_cast<const arrow::StringArray&>(*flat->GetColumnByName("symbol"));
  const auto& bid = static_cast<const arrow::DoubleArray&>(*flat->GetColumnByName("bid"));
  const auto& ask = static_cast<const arrow::DoubleArray&>(*flat->GetColumnByName("ask"));
  const auto& bs = static_cast<const arrow::Int64Array&>(*flat->GetColumnByName("bid_size"));
  const auto& as = static_cast<const arrow::Int64Array&>(*flat->GetColumnByName("ask_size"));
  std::map<std::string, std::vector<int64_t>> rows;  // by symbol, arrival order
  for (int64_t i = 0; i < flat->num_rows(); ++i) {
    if (bid.IsNull(i) || ask.IsNull(i)) continue;
    rows[sym.GetString(i)].push_back(i);
  }
  constexpr int64_t kSec = 1'000'000'000;
  std::vector<ExpectedSample> out;
  for (auto& [name, r] : rows) {
    std::stable_sort(r.begin(), r.end(),
                     [&](int64_t a, int64_t b) { return ts.Value(a) < ts.Value(b); });
    for (size_t k = 0; k < r.size();) {
      const int64_t bucket = ts.Value(r[k]) / kSec * kSec;
      size_t end = k;
      while (end < r.size() && ts.Value(r[end]) / kSec * kSec == bucket) ++end;
      ExpectedSample e;
      e.symbol = name;
      e.bucket = bucket;
      e.count = static_cast<int64_t>(end - k);
      size_t best = k;
      double w_sum = 0, w_spread = 0, w_mid = 0;
      for (size_t j = k; j < end; ++j) {
        const int64_t i = r[j];
        if (ask.Value(i) - bid.Value(i) < ask.Value(r[best]) - bid.Value(r[best])) best = j;
        const int64_t until = j + 1 < end ? ts.Value(r[j + 1]) : bucket + kSec;
        const double w = static_cast<double>(until - ts.Value(i));
        w_sum += w;
        w_spread += w * (ask.Value(i) - bid.Value(i));
        w_mid += w * (0.5 * (bid.Value(i) + ask.Value(i)));
      }
      const int64_t i = r[best];
      e.quote_ts = ts.Value(i);
      e.bid = bid.Value(i);
      e.ask = ask.Value(i);
      if (bs.IsValid(i)) e.bid_size = bs.Value(i);
      if (as.IsValid(i)) e.ask_size = as.Value(i);
      if (w_sum > 0) {
        e.twa_spread = w_spread / w_sum;
        e.twa_mid = w_mid / w_sum;
      }
      out.push_back(e);
      k = end;
    }
  }
  return out;
}

// The sampler's rows against the brute force, column by column and null by null.
void ExpectSamples(const arrow::Table& got, const std::vector<ExpectedSample>& want) {
  ASSERT_EQ(got.num_rows(), static_cast<int64_t>(want.size()));
  auto b = got.CombineChunksToBatch().ValueOrDie();
  ASSERT_TRUE(b->ValidateFull().ok());
  const auto& sym = static_cast<const arrow::StringArray&>(*b->GetColumnByName("symbol"));
  const auto& ts = static_cast<const arrow::TimestampArray&>(*b->GetColumnByName("ts"));
  const auto& qts = static_cast<const arrow::TimestampArray&>(*b->GetColumnByName("quote_ts"));
  const auto& bid = static_cast<const arrow::DoubleArray&>(*b->GetColumnByName("bid"));
  const auto& ask = static_cast<const arrow::DoubleArray&>(*b->GetColumnByName("ask"));
  const auto& spread = static_cast<const arrow::DoubleArray&>(*b->GetColumnByName("spread"));
  const auto& count = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("quote_count"));
  const auto& bs = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("bid_size"));
  const auto& as = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("ask_size"));
  const auto& tws = static_cast<const arrow::DoubleArray&>(*b->GetColumnByName("twa_spread"));
  const auto& twm = static_cast<const arrow::DoubleArray&>(*b->GetColumnByName("twa_mid"));
  for (const arrow::Array* never_null :
       std::vector<const arrow::Array*>{&sym, &ts, &qts, &bid, &ask, &spread, &count}) {
    EXPECT_EQ(never_null->null_count(), 0);
  }
  int64_t size_nulls = 0;
  for (int64_t i = 0; i < b->num_rows(); ++i) {
    const ExpectedSample& e = want[static_cast<size_t>(i)];
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(sym.GetString(i), e.symbol);
    EXPECT_EQ(ts.Value(i), e.bucket);
    EXPECT_EQ(qts.Value(i), e.quote_ts);
    EXPECT_EQ(bid.Value(i), e.bid);
    EXPECT_EQ(ask.Value(i), e.ask);
    EXPECT_EQ(spread.Value(i), e.ask - e.bid);
    EXPECT_EQ(count.Value(i), e.count);
    // Null exactly where the expectation has none, else equal.
    auto expect_optional = [i](const auto& column, const auto& expected) {
      EXPECT_EQ(column.IsValid(i), expected.has_value());
      if (expected) {
        EXPECT_EQ(column.Value(i), *expected);
      }
    };
    expect_optional(bs, e.bid_size);
    expect_optional(as, e.ask_size);
    expect_optional(tws, e.twa_spread);
    expect_optional(twm, e.twa_mid);
    size_nulls += as.IsNull(i) ? 1 : 0;
  }
  EXPECT_GT(size_nulls, 0);  // the nulls start part-way: rows before them stay valid
}

TEST(QuoteSampler, EqualsBruteForceWithNullsStartingMidBatch) {
  for (uint64_t seed : {11, 12, 13}) {
    auto quotes = RandomQuotes(seed, 6000);
    const auto want = BruteForceTightest(*quotes);
    // One-shot and (symbol, ts)-ordered streaming, batches small and large.
    ExpectSamples(*SampleQuotes(*quotes, QuoteOptions{}).ValueOrDie(), want);
    for (int64_t rows : {97, 2500, 6000}) {
      auto sampler = QuoteSampler::Make(QuoteOptions{}, /*ordered_by_symbol=*/true).ValueOrDie();
      std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
      for (const auto& b : Batches(BySymbolTs(quotes), rows)) {
        ASSERT_TRUE(sampler->Consume(*b).ok());
        parts.push_back(sampler->TakeCompleted().ValueOrDie());
      }
      parts.push_back(sampler->Finish().ValueOrDie());
      ExpectSamples(*arrow::Table::FromRecordBatches(parts).ValueOrDie(), want);
    }
  }
}

TEST(QuoteSampler, ColumnsChooseAndOrderTheOutput) {
  auto quotes = RandomQuotes(21, 3000);
  auto full = SampleQuotes(*quotes, QuoteOptions{}).ValueOrDie()->CombineChunks().ValueOrDie();
  for (std::vector<std::string> cols :
       {std::vector<std::string>{"symbol", "ts", "bid", "ask", "quote_count"},
        {"twa_mid", "ask_size", "symbol"},
        {"quote_ts"},
        {"symbol", "ts", "quote_ts", "bid", "ask", "bid_size", "ask_size", "spread", "quote_count",
         "twa_spread", "twa_mid"}}) {
    QuoteOptions o;
    o.columns = cols;
    auto sampler = QuoteSampler::Make(o, /*ordered_by_symbol=*/true).ValueOrDie();
    EXPECT_EQ(sampler->schema()->field_names(), cols);
    EXPECT_EQ(sampler->schema()->metadata()->Get("marketlake.interval").ValueOrDie(), "1s");
    std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
    for (const auto& b : Batches(BySymbolTs(quotes), 500)) {
      ASSERT_TRUE(sampler->Consume(*b).ok());
      parts.push_back(sampler->TakeCompleted().ValueOrDie());
    }
    parts.push_back(sampler->Finish().ValueOrDie());
    auto got = arrow::Table::FromRecordBatches(parts).ValueOrDie()->CombineChunks().ValueOrDie();
    std::vector<int> idx;
    for (const auto& c : cols) idx.push_back(full->schema()->GetFieldIndex(c));
    auto want = full->SelectColumns(idx).ValueOrDie();
    EXPECT_TRUE(got->Equals(*want, /*check_metadata=*/false)) << cols.front();
    EXPECT_TRUE(got->ValidateFull().ok());
  }
  // Without size columns in the input, the size columns are null.
  auto no_sizes = quotes->RemoveColumn(quotes->schema()->GetFieldIndex("ask_size"))
                      .ValueOrDie()
                      ->RemoveColumn(quotes->schema()->GetFieldIndex("bid_size"))
                      .ValueOrDie();
  QuoteOptions o;
  o.columns = {"symbol", "bid_size", "ask_size"};
  auto t = SampleQuotes(*no_sizes, o).ValueOrDie();
  EXPECT_EQ(t->num_rows(), full->num_rows());
  EXPECT_EQ(t->column(1)->null_count(), t->num_rows());
  EXPECT_EQ(t->column(2)->null_count(), t->num_rows());

  o.columns = {"symbol", "mid"};
  auto unknown = QuoteSampler::Make(o);
  EXPECT_EQ(CodeOf(unknown.status()), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "quote sample: no output column 'mid' (have: symbol, ts, quote_ts, bid, ask, "
            "bid_size, ask_size, spread, quote_count, twa_spread, twa_mid)");
  o.columns = {"bid", "ts", "bid"};
  auto twice = QuoteSampler::Make(o);
  EXPECT_EQ(CodeOf(twice.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(), "quote sample: output column 'bid' given twice");
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
