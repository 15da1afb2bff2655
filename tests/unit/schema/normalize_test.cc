#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "marketlake/schema.h"
#include "unit/schema/test_util.h"

namespace marketlake {
namespace {

using testing::DoubleValues;
using testing::F64;
using testing::I64;
using testing::Int64Values;
using testing::MakeBatch;
using testing::Str;
using testing::StringValues;

constexpr int64_t kOpen0311 = 1710163800000000000;  // 2024-03-11T13:30:00Z

NormalizeOptions Opts(ValidationMode mode, std::string source = "f.parquet") {
  NormalizeOptions o;
  o.mode = mode;
  o.source_name = std::move(source);
  return o;
}

Result<NormalizedBatch> Trades(const std::shared_ptr<arrow::RecordBatch>& b,
                               NormalizeOptions o = Opts(ValidationMode::kStrict)) {
  return Normalize(TradesSpec(), b, o);
}

// ---------------------------------------------------------------------------------------------
// Aliases and canonical output

TEST(NormalizeAliases, TradesTickerTimestampVolume) {
  auto b =
      MakeBatch({{"ticker", Str(), R"(["AAPL", "MSFT"])"},
                 {"timestamp", Str(), R"(["2024-03-11T09:30:00-04:00", "2024-03-11T13:30:01Z"])"},
                 {"price", F64(), "[150.25, 400.5]"},
                 {"volume", I64(), "[100, 200]"},
                 {"note", Str(), R"(["x", "y"])"}});
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
  EXPECT_TRUE(out.batch->schema()->Equals(*TradesSpec().ArrowSchema(), /*check_metadata=*/true));
  EXPECT_EQ(StringValues(*out.batch, "symbol"), (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(Int64Values(*out.batch, "ts"),
            (std::vector<int64_t>{kOpen0311, kOpen0311 + 1'000'000'000}));
  EXPECT_EQ(DoubleValues(*out.batch, "price"), (std::vector<double>{150.25, 400.5}));
  EXPECT_EQ(Int64Values(*out.batch, "size"), (std::vector<int64_t>{100, 200}));
  EXPECT_EQ(out.stats.dropped_columns, std::vector<std::string>{"note"});
  EXPECT_EQ(out.stats.renamed.size(), 3u);  // ticker, timestamp, volume
  EXPECT_EQ(out.stats.missing_optional,
            (std::vector<std::string>{"exchange", "conditions", "trade_id", "sequence", "tape"}));
  EXPECT_EQ(out.batch->GetColumnByName("exchange")->null_count(), 2);
  EXPECT_EQ(out.rejects->num_rows(), 0);
}

TEST(NormalizeAliases, SymbolCapitalisations) {
  for (const char* name : {"symbol", "Symbol", "SYMBOL", "ticker", "Ticker", "TICKER"}) {
    auto b = MakeBatch({{name, Str(), R"(["AAPL"])"},
                        {"ts", Str(), R"(["2024-03-11T13:30:00Z"])"},
                        {"price", F64(), "[1.0]"},
                        {"size", I64(), "[1]"}});
    ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
    EXPECT_EQ(StringValues(*out.batch, "symbol")[0], "AAPL") << name;
  }
}

TEST(NormalizeAliases, TimeColumnNames) {
  for (const char* name : {"timestamp", "ts", "time", "date", "datetime", "Timestamp", "DATE"}) {
    auto b = MakeBatch({{"symbol", Str(), R"(["AAPL"])"},
                        {name, Str(), R"(["2024-03-11T13:30:00Z"])"},
                        {"price", F64(), "[1.0]"},
                        {"size", I64(), "[1]"}});
    ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
    EXPECT_EQ(Int64Values(*out.batch, "ts")[0], kOpen0311) << name;
  }
}

TEST(NormalizeAliases, DictionaryAndLargeStringSymbols) {
  auto dict = arrow::json::DictArrayFromJSONString(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                                   "[0, 1, 0]", R"(["AAPL", "MSFT"])")
                  .ValueOrDie();
  auto ts = arrow::json::ArrayFromJSONString(
                arrow::large_utf8(),
                R"(["2024-03-11T13:30:00Z", "2024-03-11T13:30:01Z", "2024-03-11T13:30:02Z"])")
                .ValueOrDie();
  auto price = arrow::json::ArrayFromJSONString(arrow::float32(), "[1.5, 2.5, 3.5]").ValueOrDie();
  auto size = arrow::json::ArrayFromJSONString(arrow::int32(), "[1, 2, 3]").ValueOrDie();
  auto b = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("symbol", dict->type()), arrow::field("ts", ts->type()),
                     arrow::field("price", price->type()), arrow::field("size", size->type())}),
      3, {dict, ts, price, size});
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
  EXPECT_EQ(StringValues(*out.batch, "symbol"), (std::vector<std::string>{"AAPL", "MSFT", "AAPL"}));
  EXPECT_EQ(DoubleValues(*out.batch, "price"), (std::vector<double>{1.5, 2.5, 3.5}));
  EXPECT_EQ(Int64Values(*out.batch, "size"), (std::vector<int64_t>{1, 2, 3}));
}

TEST(NormalizeAliases, QuotesPriceVolumeVariant) {
  // The seed's quotes: price/volume, no bid/ask.
  auto b = MakeBatch({{"ticker", Str(), R"(["AAPL"])"},
                      {"timestamp", Str(), R"(["2024-01-15T14:30:00Z"])"},
                      {"price", F64(), "[150.25]"},
                      {"volume", I64(), "[1000000]"}});
  ASSERT_OK_AND_ASSIGN(auto out, Normalize(QuotesSpec(), b, Opts(ValidationMode::kStrict)));
  EXPECT_EQ(DoubleValues(*out.batch, "price")[0], 150.25);
  EXPECT_EQ(Int64Values(*out.batch, "volume")[0], 1000000);
  EXPECT_EQ(out.batch->GetColumnByName("bid")->null_count(), 1);
}

TEST(NormalizeAliases, QuotesBidAskVariants) {
  const std::vector<std::vector<std::string>> variants = {
      {"bid", "ask", "bid_size", "ask_size"},
      {"bid_price", "ask_price", "bidsize", "asksize"},
      {"BidPrice", "AskPrice", "BidSize", "AskSize"},
      {"bp", "ap", "bs", "as"}};
  for (const auto& v : variants) {
    auto b = MakeBatch({{"symbol", Str(), R"(["AAPL"])"},
                        {"timestamp", Str(), R"(["2024-01-15T14:30:00Z"])"},
                        {v[0], F64(), "[150.20]"},
                        {v[1], F64(), "[150.30]"},
                        {v[2], I64(), "[100]"},
                        {v[3], I64(), "[200]"}});
    ASSERT_OK_AND_ASSIGN(auto out, Normalize(QuotesSpec(), b, Opts(ValidationMode::kStrict)));
    EXPECT_EQ(DoubleValues(*out.batch, "bid")[0], 150.20) << v[0];
    EXPECT_EQ(DoubleValues(*out.batch, "ask")[0], 150.30) << v[1];
    EXPECT_EQ(Int64Values(*out.batch, "bid_size")[0], 100) << v[2];
    EXPECT_EQ(Int64Values(*out.batch, "ask_size")[0], 200) << v[3];
  }
}

TEST(NormalizeAliases, QuotesNeedPriceOrBidAsk) {
  auto b = MakeBatch({{"symbol", Str(), R"(["AAPL"])"},
                      {"timestamp", Str(), R"(["2024-01-15T14:30:00Z"])"},
                      {"volume", I64(), "[1]"}});
  auto st = Normalize(QuotesSpec(), b, Opts(ValidationMode::kCoerce)).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kMissingColumn);
  EXPECT_EQ(st.message(),
            "f.parquet: dataset 'quotes' requires one of the columns price, bid, ask; found: "
            "symbol, timestamp, volume");
}

TEST(NormalizeAliases, OhlcvCapitalisedWithOptionalColumns) {
  auto spec = BarsSpec("1d").ValueOrDie();
  auto b = MakeBatch({{"Ticker", Str(), R"(["AAPL", "AAPL"])"},
                      {"Date", Str(), R"(["2024-01-15", "2024-01-16"])"},
                      {"Open", F64(), "[150.0, 151.0]"},
                      {"HIGH", F64(), "[152.0, 153.0]"},
                      {"low", F64(), "[149.5, 150.5]"},
                      {"Close", F64(), "[151.0, 152.0]"},
                      {"Volume", I64(), "[50000000, 40000000]"},
                      {"Adj Close", F64(), "[151.0, 152.0]"},
                      {"vw", F64(), "[150.9, 151.9]"},
                      {"n", I64(), "[1000, 900]"}});
  ASSERT_OK_AND_ASSIGN(auto out, Normalize(spec, b, Opts(ValidationMode::kStrict)));
  EXPECT_EQ(Int64Values(*out.batch, "ts"),
            (std::vector<int64_t>{1705276800000000000, 1705363200000000000}));
  EXPECT_EQ(DoubleValues(*out.batch, "adj_close"), (std::vector<double>{151.0, 152.0}));
  EXPECT_EQ(DoubleValues(*out.batch, "vwap"), (std::vector<double>{150.9, 151.9}));
  EXPECT_EQ(Int64Values(*out.batch, "trade_count"), (std::vector<int64_t>{1000, 900}));
  EXPECT_EQ(out.batch->schema()->metadata()->Get("marketlake.interval").ValueOrDie(), "1d");
}

TEST(NormalizeAliases, OhlcvWithoutOptionalColumns) {
  auto spec = BarsSpec("1m").ValueOrDie();
  auto b = MakeBatch({{"symbol", Str(), R"(["AAPL"])"},
                      {"t", Str(), R"(["2024-01-15T14:30:00Z"])"},
                      {"o", F64(), "[1.0]"},
                      {"h", F64(), "[2.0]"},
                      {"l", F64(), "[0.5]"},
                      {"c", F64(), "[1.5]"},
                      {"v", I64(), "[10]"}});
  ASSERT_OK_AND_ASSIGN(auto out, Normalize(spec, b, Opts(ValidationMode::kStrict)));
  EXPECT_EQ(out.stats.missing_optional,
            (std::vector<std::string>{"adj_close", "trade_count", "vwap"}));
}

TEST(NormalizeAliases, NewsTickersListOrCommaString) {
  auto as_list =
      MakeBatch({{"headline", Str(), R"(["Apple announces", "Quiet day"])"},
                 {"source", Str(), R"(["Reuters", "AP"])"},
                 {"published_at", Str(), R"(["2024-01-15T14:30:00Z", "2024-01-15T15:00:00Z"])"},
                 {"tickers", arrow::list(arrow::utf8()), R"([["AAPL", "MSFT"], []])"}});
  auto as_string =
      MakeBatch({{"headline", Str(), R"(["Apple announces", "Quiet day"])"},
                 {"source", Str(), R"(["Reuters", "AP"])"},
                 {"published_at", Str(), R"(["2024-01-15T14:30:00Z", "2024-01-15T15:00:00Z"])"},
                 {"tickers", Str(), R"(["AAPL, MSFT", ""])"}});
  ASSERT_OK_AND_ASSIGN(auto a, Normalize(NewsSpec(), as_list, Opts(ValidationMode::kStrict)));
  ASSERT_OK_AND_ASSIGN(auto b, Normalize(NewsSpec(), as_string, Opts(ValidationMode::kStrict)));
  EXPECT_TRUE(a.batch->Equals(*b.batch)) << a.batch->ToString() << b.batch->ToString();
  auto tickers = std::static_pointer_cast<arrow::ListArray>(b.batch->GetColumnByName("tickers"));
  EXPECT_EQ(tickers->value_length(0), 2);
  EXPECT_EQ(tickers->value_length(1), 0);
  EXPECT_EQ(Int64Values(*b.batch, "ts")[0], 1705329000000000000);
}

TEST(NormalizeAliases, NewsSentimentRange) {
  auto b = MakeBatch({{"headline", Str(), R"(["a", "b", "c"])"},
                      {"published_at", Str(), R"(["2024-01-15", "2024-01-15", "2024-01-16"])"},
                      {"sentiment_score", F64(), "[0.75, -1.5, 1.0]"}});
  ASSERT_OK_AND_ASSIGN(auto out, Normalize(NewsSpec(), b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(out.stats.Count("range", "sentiment_score"), 1);
  EXPECT_EQ(out.stats.rows_out, 2);
}

TEST(NormalizeAliases, TwoColumnsForOneCanonicalIsAnError) {
  auto b = MakeBatch({{"ticker", Str(), R"(["A"])"},
                      {"symbol", Str(), R"(["A"])"},
                      {"ts", Str(), R"(["2024-01-15"])"},
                      {"price", F64(), "[1]"},
                      {"size", I64(), "[1]"}});
  auto st = Trades(b).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kSchemaMismatch);
  EXPECT_EQ(st.message(), "f.parquet: columns 'ticker' and 'symbol' both map to 'symbol'");
}

TEST(NormalizeAliases, MissingRequiredColumnNamesColumnAndFound) {
  auto b = MakeBatch({{"ticker", Str(), R"(["A"])"},
                      {"timestamp", Str(), R"(["2024-01-15"])"},
                      {"volume", I64(), "[1]"}});
  for (auto mode : {ValidationMode::kStrict, ValidationMode::kCoerce, ValidationMode::kIgnore}) {
    auto st = Trades(b, Opts(mode, "s3://b/trades/x.parquet")).status();
    EXPECT_EQ(CodeOf(st), ErrorCode::kMissingColumn);
    EXPECT_EQ(st.message(),
              "s3://b/trades/x.parquet: dataset 'trades' requires column 'price' (also accepted: "
              "p, trade_price, last, last_price); found: ticker, timestamp, volume");
  }
}

TEST(NormalizeAliases, UnconvertibleColumnTypeIsDataTypeError) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A"])"},
                      {"ts", Str(), R"(["2024-01-15"])"},
                      {"price", arrow::boolean(), "[true]"},
                      {"size", I64(), "[1]"}});
  auto st = Trades(b, Opts(ValidationMode::kCoerce)).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(),
            "f.parquet: column 'price' has type bool, which cannot be converted to float64");
}

TEST(NormalizeAliases, StringNumbersAreParsed) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A", "A"])"},
                      {"ts", Str(), R"(["2024-01-15", "2024-01-16"])"},
                      {"price", Str(), R"(["150.25", " 1e2 "])"},
                      {"size", Str(), R"(["100", "200.0"])"}});
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
  EXPECT_EQ(DoubleValues(*out.batch, "price"), (std::vector<double>{150.25, 100.0}));
  EXPECT_EQ(Int64Values(*out.batch, "size"), (std::vector<int64_t>{100, 200}));
}

// ---------------------------------------------------------------------------------------------
// Timestamps

std::shared_ptr<arrow::RecordBatch> TradeAt(std::shared_ptr<arrow::DataType> ts_type,
                                            const std::string& ts_json, int rows = 1) {
  std::string sym = "[", price = "[", size = "[";
  for (int i = 0; i < rows; ++i) {
    sym += std::string(i ? "," : "") + "\"S" + std::to_string(i) + "\"";
    price += std::string(i ? "," : "") + "1.0";
    size += std::string(i ? "," : "") + "1";
  }
  return MakeBatch({{"symbol", Str(), sym + "]"},
                    {"ts", std::move(ts_type), ts_json},
                    {"price", F64(), price + "]"},
                    {"size", I64(), size + "]"}});
}

std::vector<int64_t> TsOf(const std::shared_ptr<arrow::RecordBatch>& b, NormalizeOptions o) {
  auto out = Trades(b, o);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? Int64Values(*out->batch, "ts") : std::vector<int64_t>{};
}

TEST(NormalizeTime, IsoStringsWithOffsets) {
  auto b = TradeAt(Str(),
                   R"(["2024-03-11T09:30:00-04:00", "2024-03-11T13:30:00Z", "2024-03-11T13:30:00z",
                       "2024-03-11 13:30:00+00:00", "2024-03-11T15:30:00+0200",
                       "2024-03-11T09:30:00.123456789-04:00", "2024-03-11T13:30:00.5 UTC",
                       "2024-03-11T14:30+01"])",
                   8);
  EXPECT_EQ(TsOf(b, Opts(ValidationMode::kStrict)),
            (std::vector<int64_t>{kOpen0311, kOpen0311, kOpen0311, kOpen0311, kOpen0311,
                                  kOpen0311 + 123456789, kOpen0311 + 500000000, kOpen0311}));
}

TEST(NormalizeTime, OffsetWinsOverTzOption) {
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "Asia/Tokyo";
  EXPECT_EQ(TsOf(TradeAt(Str(), R"(["2024-03-11T09:30:00-04:00"])"), o),
            std::vector<int64_t>{kOpen0311});
}

TEST(NormalizeTime, NaiveStringsInStatedZone) {
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/New_York";
  EXPECT_EQ(TsOf(TradeAt(Str(), R"(["2024-03-11 09:30:00", "2024-03-11T09:30:00"])", 2), o),
            (std::vector<int64_t>{kOpen0311, kOpen0311}));
  // Default zone is UTC.
  EXPECT_EQ(TsOf(TradeAt(Str(), R"(["2024-03-11 13:30:00"])"), Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{kOpen0311});
}

TEST(NormalizeTime, DatesAreLocalMidnight) {
  EXPECT_EQ(TsOf(TradeAt(Str(), R"(["2024-01-15"])"), Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{1705276800000000000});
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/New_York";
  EXPECT_EQ(TsOf(TradeAt(Str(), R"(["2024-01-15"])"), o),
            std::vector<int64_t>{1705294800000000000});
  EXPECT_EQ(TsOf(TradeAt(arrow::date32(), "[19737]"), o),
            std::vector<int64_t>{1705294800000000000});
  EXPECT_EQ(TsOf(TradeAt(arrow::date64(), "[1705276800000]"), Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{1705276800000000000});
}

TEST(NormalizeTime, EpochIntegersAutoByMagnitude) {
  const std::vector<std::pair<std::string, EpochUnit>> cases = {
      {"[1710163800]", EpochUnit::kSeconds},
      {"[1710163800000]", EpochUnit::kMillis},
      {"[1710163800000000]", EpochUnit::kMicros},
      {"[1710163800000000000]", EpochUnit::kNanos}};
  for (const auto& [json, unit] : cases) {
    auto out = Trades(TradeAt(I64(), json), Opts(ValidationMode::kStrict));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(Int64Values(*out->batch, "ts"), std::vector<int64_t>{kOpen0311}) << json;
    EXPECT_EQ(out->stats.epoch_units.at("ts"), unit) << json;
  }
  // Float epoch seconds with a fraction; int32 seconds.
  EXPECT_EQ(TsOf(TradeAt(F64(), "[1710163800.25]"), Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{kOpen0311 + 250000000});
  EXPECT_EQ(TsOf(TradeAt(arrow::int32(), "[1710163800]"), Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{kOpen0311});
}

TEST(NormalizeTime, EpochUnitForced) {
  auto o = Opts(ValidationMode::kStrict);
  o.epoch_unit = EpochUnit::kMillis;
  // 1e9 ms would be seconds by magnitude; forced, it is 1970-01-12.
  EXPECT_EQ(TsOf(TradeAt(I64(), "[1000000000]"), o), std::vector<int64_t>{1000000000000000});
}

TEST(NormalizeTime, EpochMixedMagnitudesViolate) {
  auto b = TradeAt(I64(), "[1710163800000, 1710163801, 1710163802000]", 3);
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(out.stats.epoch_units.at("ts"), EpochUnit::kMillis);
  EXPECT_EQ(out.stats.Count("epoch_unit"), 1);
  EXPECT_EQ(out.stats.rows_out, 2);
  auto st = Trades(b, Opts(ValidationMode::kStrict)).status();
  EXPECT_EQ(st.message(),
            "f.parquet: row 1, column 'ts': value '1710163801' violates epoch_unit: epoch "
            "value's magnitude differs from the unit inferred from the column's first value");
}

TEST(NormalizeTime, ArrowTimestampsAnyUnitAndZone) {
  EXPECT_EQ(TsOf(TradeAt(arrow::timestamp(arrow::TimeUnit::SECOND, "UTC"), "[1710163800]"),
                 Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{kOpen0311});
  EXPECT_EQ(
      TsOf(TradeAt(arrow::timestamp(arrow::TimeUnit::MILLI, "America/New_York"), "[1710163800000]"),
           Opts(ValidationMode::kStrict)),
      std::vector<int64_t>{kOpen0311});
  EXPECT_EQ(
      TsOf(TradeAt(arrow::timestamp(arrow::TimeUnit::NANO, "+05:00"), "[1710163800000000000]"),
           Opts(ValidationMode::kStrict)),
      std::vector<int64_t>{kOpen0311});
  // Naive Arrow timestamps are wall times in the stated zone.
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/New_York";
  auto naive = TradeAt(arrow::timestamp(arrow::TimeUnit::MICRO), R"(["2024-03-11 09:30:00"])");
  EXPECT_EQ(TsOf(naive, o), std::vector<int64_t>{kOpen0311});
  EXPECT_EQ(TsOf(naive, Opts(ValidationMode::kStrict)),
            std::vector<int64_t>{kOpen0311 - 4 * 3600 * 1000000000LL});
}

TEST(NormalizeTime, UnparseableTimes) {
  auto b = TradeAt(Str(),
                   R"(["2024-03-11T13:30:00Z", "yesterday", "2024-02-30", "2024-03-11T25:00:00",
                       "2024-03-11T13:30:00+05:00:00", "1500-01-01"])",
                   6);
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(out.stats.Count("timestamp", "ts"), 5);
  EXPECT_EQ(out.stats.rows_out, 1);
  auto st = Trades(b, Opts(ValidationMode::kStrict)).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(),
            "f.parquet: row 1, column 'ts': value 'yesterday' violates timestamp: not a "
            "timestamp (ISO-8601 date or time, Arrow date/timestamp or epoch number)");
}

TEST(NormalizeTime, UnknownZoneIsInvalidArgument) {
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/Nowhere";
  auto st = Trades(TradeAt(Str(), R"(["2024-03-11 09:30:00"])"), o).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "unknown time zone 'America/Nowhere' (expected an IANA name such as "
            "America/New_York)");
}

TEST(NormalizeTime, DstGapStrictFails) {
  auto o = Opts(ValidationMode::kStrict, "ny.csv");
  o.tz = "America/New_York";
  o.row_offset = 1000;
  auto b =
      TradeAt(Str(), R"(["2024-03-10 01:59:59", "2024-03-10 02:30:00", "2024-03-10 03:00:00"])", 3);
  auto st = Trades(b, o).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(),
            "ny.csv: row 1001, column 'ts': value '2024-03-10 02:30:00' violates "
            "nonexistent_time: local time does not exist in America/New_York (skipped by a DST "
            "change)");
}

TEST(NormalizeTime, DstGapCoerceRejects) {
  auto o = Opts(ValidationMode::kCoerce, "ny.csv");
  o.tz = "America/New_York";
  auto b =
      TradeAt(Str(), R"(["2024-03-10 01:59:59", "2024-03-10 02:30:00", "2024-03-10 03:00:00"])", 3);
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b, o));
  EXPECT_EQ(Int64Values(*out.batch, "ts"),
            (std::vector<int64_t>{1710053999000000000, 1710054000000000000}));
  ASSERT_EQ(out.rejects->num_rows(), 1);
  EXPECT_EQ(StringValues(*out.rejects, "ts"), std::vector<std::string>{"2024-03-10 02:30:00"});
  EXPECT_EQ(StringValues(*out.rejects, "_reject_rule"),
            std::vector<std::string>{"nonexistent_time"});
  EXPECT_EQ(out.stats.Count("nonexistent_time"), 1);
  // IGNORE cannot represent it either.
  o.mode = ValidationMode::kIgnore;
  ASSERT_OK_AND_ASSIGN(auto ign, Trades(b, o));
  EXPECT_EQ(ign.stats.rows_rejected, 1);
}

TEST(NormalizeTime, DstOverlapPolicies) {
  auto b = TradeAt(Str(), R"(["2024-11-03 01:30:00"])");
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/New_York";
  // Default: the earliest occurrence, EDT (-04:00), counted.
  auto out = Trades(b, o);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Int64Values(*out->batch, "ts"), std::vector<int64_t>{1730611800000000000});
  EXPECT_EQ(out->stats.ambiguous_times, 1);
  o.ambiguous = AmbiguousTime::kLatest;
  EXPECT_EQ(TsOf(b, o), std::vector<int64_t>{1730615400000000000});
  o.ambiguous = AmbiguousTime::kReject;
  auto st = Trades(b, o).status();
  EXPECT_EQ(st.message(),
            "f.parquet: row 0, column 'ts': value '2024-11-03 01:30:00' violates "
            "ambiguous_time: local time is ambiguous in America/New_York (repeated by a DST "
            "change)");
}

TEST(NormalizeTime, ZoneCacheAcrossTransitions) {
  // Local midnight of every day of 2024 in New York: the cached offset must follow DST.
  std::string json = "[";
  for (int d = 0; d < 366; ++d) json += std::string(d ? "," : "") + std::to_string(19723 + d);
  json += "]";
  auto o = Opts(ValidationMode::kStrict);
  o.tz = "America/New_York";
  ASSERT_OK_AND_ASSIGN(auto out, Trades(TradeAt(arrow::date32(), json, 366), o));
  auto ts = Int64Values(*out.batch, "ts");
  ASSERT_EQ(ts.size(), 366u);
  for (int d = 0; d < 366; ++d) {
    const int64_t day = 19723 + d;  // 2024-01-01 is day 19723
    // EDT from 2024-03-10 02:00 (day 19792) to 2024-11-03 02:00 (day 20030) local.
    const int64_t offset_h = (day > 19792 && day <= 20030) ? 4 : 5;
    EXPECT_EQ(ts[d], (day * 86400 + offset_h * 3600) * 1000000000LL) << "day " << day;
  }
}

// ---------------------------------------------------------------------------------------------
// Quality rules in each mode

struct ModeCase {
  ValidationMode mode;
  int64_t rows_out;
  int64_t rejected;
};

std::shared_ptr<arrow::RecordBatch> BadTrades() {
  // row 0 ok; 1 price 0; 2 price -1.5; 3 size -5; 4 duplicate of row 0; 5 null price
  // (required); 6 ok; 7 price "abc" (not a number).
  return MakeBatch(
      {{"symbol", Str(), R"(["AAPL","AAPL","AAPL","AAPL","AAPL","AAPL","MSFT","MSFT"])"},
       {"ts", I64(),
        "[1710163800, 1710163801, 1710163802, 1710163803, 1710163800, 1710163805, "
        "1710163800, 1710163807]"},
       {"price", Str(), R"(["150.0", "0", "-1.5", "150.5", "150.0", null, "400", "abc"])"},
       {"size", I64(), "[100, 100, 100, -5, 100, 100, 10, 10]"}});
}

TEST(NormalizeRules, TradesCountsPerRuleInEachMode) {
  for (const auto& mc :
       {ModeCase{ValidationMode::kCoerce, 2, 6}, ModeCase{ValidationMode::kIgnore, 6, 2}}) {
    ASSERT_OK_AND_ASSIGN(auto out, Trades(BadTrades(), Opts(mc.mode)));
    EXPECT_EQ(out.stats.rows_in, 8);
    EXPECT_EQ(out.stats.rows_out, mc.rows_out);
    EXPECT_EQ(out.stats.rows_rejected, mc.rejected);
    EXPECT_EQ(out.stats.Count("type", "price"), 1);
    EXPECT_EQ(out.stats.Count("not_null", "price"), 1);
    EXPECT_EQ(out.stats.Count("positive", "price"), 2);
    EXPECT_EQ(out.stats.Count("non_negative", "size"), 1);
    EXPECT_EQ(out.stats.Count("unique_key"), 1);
    EXPECT_EQ(out.stats.violations.size(), 5u);
  }
  auto st = Trades(BadTrades(), Opts(ValidationMode::kStrict)).status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(),
            "f.parquet: row 1, column 'price': value '0' violates positive: price must be > 0");
}

TEST(NormalizeRules, CoerceRejectsContent) {
  auto o = Opts(ValidationMode::kCoerce, "t.parquet");
  o.row_offset = 10;
  ASSERT_OK_AND_ASSIGN(auto out, Trades(BadTrades(), o));
  const auto& r = *out.rejects;
  EXPECT_EQ(r.schema()->ToString(),
            "symbol: string\nts: string\nprice: string\nsize: string\n_reject_rule: string not "
            "null\n_reject_column: string not null\n_reject_row: int64 not null");
  EXPECT_EQ(StringValues(r, "_reject_rule"),
            (std::vector<std::string>{"positive", "positive", "non_negative", "unique_key",
                                      "not_null", "type"}));
  EXPECT_EQ(StringValues(r, "_reject_column"),
            (std::vector<std::string>{"price", "price", "size", "symbol,ts", "price", "price"}));
  EXPECT_EQ(Int64Values(r, "_reject_row"), (std::vector<int64_t>{11, 12, 13, 14, 15, 17}));
  EXPECT_EQ(StringValues(r, "price"),
            (std::vector<std::string>{"0", "-1.5", "150.5", "150.0", "<null>", "abc"}));
  EXPECT_EQ(StringValues(r, "ts"),
            (std::vector<std::string>{"1710163801", "1710163802", "1710163803", "1710163800",
                                      "1710163805", "1710163807"}));
  EXPECT_EQ(StringValues(*out.batch, "symbol"), (std::vector<std::string>{"AAPL", "MSFT"}));
}

TEST(NormalizeRules, StrictMessageNamesFileColumnRowValue) {
  auto b = MakeBatch({{"ticker", Str(), R"(["AAPL", "AAPL"])"},
                      {"timestamp", Str(), R"(["2024-03-11T13:30:00Z", "2024-03-11T13:30:01Z"])"},
                      {"price", F64(), "[1.0, 1.0]"},
                      {"qty", I64(), "[1, -7]"}});
  auto o = Opts(ValidationMode::kStrict, "s3://lake/raw/trades/AAPL.parquet");
  o.row_offset = 4096;
  auto st = Trades(b, o).status();
  EXPECT_EQ(st.message(),
            "s3://lake/raw/trades/AAPL.parquet: row 4097, column 'qty': value '-7' violates "
            "non_negative: size must be >= 0");
}

TEST(NormalizeRules, TradeKeyIncludesSequenceAndTradeId) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A", "A", "A", "A"])"},
                      {"ts", I64(), "[1710163800, 1710163800, 1710163800, 1710163800]"},
                      {"price", F64(), "[1, 1, 1, 1]"},
                      {"size", I64(), "[1, 1, 1, 1]"},
                      {"sequence", I64(), "[1, 2, 2, null]"},
                      {"trade_id", Str(), R"(["x", "y", "y", null])"}});
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(out.stats.Count("unique_key", "symbol,ts,sequence,trade_id"), 1);
  EXPECT_EQ(Int64Values(*out.rejects, "_reject_row"), std::vector<int64_t>{2});
}

std::shared_ptr<arrow::RecordBatch> BadBars() {
  // 0 ok; 1 high < close; 2 low > open; 3 volume -1; 4 open 0; 5 high < open and low > close.
  return MakeBatch({{"symbol", Str(), R"(["A","A","A","A","A","A"])"},
                    {"date", Str(), R"(["2024-01-01","2024-01-02","2024-01-03","2024-01-04",
                                        "2024-01-05","2024-01-06"])"},
                    {"open", F64(), "[10, 10, 10, 10, 0, 10]"},
                    {"high", F64(), "[12, 10.5, 12, 12, 12, 9]"},
                    {"low", F64(), "[9, 9, 10.5, 9, 9, 11]"},
                    {"close", F64(), "[11, 11, 11, 11, 11, 10.5]"},
                    {"volume", I64(), "[100, 100, 100, -1, 100, 100]"}});
}

TEST(NormalizeRules, BarsRulesInEachMode) {
  auto spec = BarsSpec("1d").ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto c, Normalize(spec, BadBars(), Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(c.stats.Count("high_ge_open_close", "high"), 2);
  EXPECT_EQ(c.stats.Count("low_le_open_close", "low"), 3);  // row 4: low 9 > open 0
  EXPECT_EQ(c.stats.Count("non_negative", "volume"), 1);
  EXPECT_EQ(c.stats.Count("positive", "open"), 1);
  EXPECT_EQ(c.stats.Count("positive"), 1);
  EXPECT_EQ(c.stats.rows_out, 1);
  EXPECT_EQ(StringValues(*c.rejects, "_reject_rule"),
            (std::vector<std::string>{"high_ge_open_close", "low_le_open_close", "non_negative",
                                      "positive", "high_ge_open_close"}));
  ASSERT_OK_AND_ASSIGN(auto i, Normalize(spec, BadBars(), Opts(ValidationMode::kIgnore)));
  EXPECT_EQ(i.stats.rows_out, 6);
  EXPECT_EQ(i.stats.rows_rejected, 0);
  EXPECT_EQ(i.stats.Count("high_ge_open_close"), 2);
  auto st = Normalize(spec, BadBars(), Opts(ValidationMode::kStrict, "bars.parquet")).status();
  EXPECT_EQ(st.message(),
            "bars.parquet: row 1, column 'high': value '10.5' violates high_ge_open_close: high "
            "must be >= max(open, close)");
}

TEST(NormalizeRules, QuotesBidAskAndSizes) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A","A","A","A"])"},
                      {"ts", I64(), "[1710163800, 1710163801, 1710163802, 1710163803]"},
                      {"bid", F64(), "[10, 10.5, -1, 10]"},
                      {"ask", F64(), "[10.1, 10.4, 10, 10]"},
                      {"bid_size", I64(), "[1, 1, 1, -3]"},
                      {"ask_size", I64(), "[1, 1, 1, 1]"}});
  ASSERT_OK_AND_ASSIGN(auto c, Normalize(QuotesSpec(), b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(c.stats.Count("bid_le_ask"), 1);
  EXPECT_EQ(c.stats.Count("positive", "bid"), 1);
  EXPECT_EQ(c.stats.Count("non_negative", "bid_size"), 1);
  EXPECT_EQ(c.stats.rows_out, 1);  // row 3 (bid == ask, locked) fails only bid_size
  ASSERT_OK_AND_ASSIGN(auto i, Normalize(QuotesSpec(), b, Opts(ValidationMode::kIgnore)));
  EXPECT_EQ(i.stats.rows_out, 4);
  auto st = Normalize(QuotesSpec(), b, Opts(ValidationMode::kStrict, "q")).status();
  EXPECT_EQ(st.message(),
            "q: row 1, column 'bid': value '10.5' violates bid_le_ask: bid must be <= ask");
}

TEST(NormalizeRules, NullInRequiredColumn) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A", null])"},
                      {"ts", Str(), R"(["2024-01-15", "2024-01-15"])"},
                      {"price", F64(), "[1, 1]"},
                      {"size", I64(), "[1, 1]"}});
  auto st = Trades(b, Opts(ValidationMode::kStrict)).status();
  EXPECT_EQ(st.message(),
            "f.parquet: row 1, column 'symbol': value 'null' violates not_null: symbol must not "
            "be null");
  ASSERT_OK_AND_ASSIGN(auto i, Trades(b, Opts(ValidationMode::kIgnore)));
  EXPECT_EQ(i.stats.rows_rejected, 1);  // not representable: symbol is non-nullable
  EXPECT_EQ(i.stats.Count("not_null", "symbol"), 1);
}

TEST(NormalizeRules, FractionalSizeIsTypeViolation) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A", "A"])"},
                      {"ts", Str(), R"(["2024-01-15", "2024-01-16"])"},
                      {"price", F64(), "[1, 1]"},
                      {"size", F64(), "[1.0, 0.5]"}});
  ASSERT_OK_AND_ASSIGN(auto c, Trades(b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(c.stats.Count("type", "size"), 1);
  EXPECT_EQ(Int64Values(*c.batch, "size"), std::vector<int64_t>{1});
}

TEST(NormalizeRules, SlicedInputHonoursOffsets) {
  // Arrays with a non-zero offset (a slice of a larger batch) read the right values.
  auto b = BadTrades()->Slice(1, 4);  // rows 1..4 of BadTrades: price 0, -1.5, 150.5, 150.0
  auto o = Opts(ValidationMode::kCoerce);
  o.row_offset = 1;
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b, o));
  EXPECT_EQ(out.stats.Count("positive", "price"), 2);
  EXPECT_EQ(out.stats.Count("non_negative", "size"), 1);
  EXPECT_EQ(out.stats.Count("unique_key"), 0);  // row 0 is outside the slice
  EXPECT_EQ(Int64Values(*out.batch, "ts"), std::vector<int64_t>{1710163800000000000});
  EXPECT_EQ(Int64Values(*out.rejects, "_reject_row"), (std::vector<int64_t>{1, 2, 3}));
  auto ts = arrow::json::ArrayFromJSONString(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                                             "[1, 2, 3, 4]")
                .ValueOrDie()
                ->Slice(2);
  auto tb = MakeBatch(
      {{"symbol", Str(), R"(["A", "B"])"}, {"price", F64(), "[1, 1]"}, {"size", I64(), "[1, 1]"}});
  tb = tb->AddColumn(1, arrow::field("ts", ts->type()), ts).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto t, Trades(tb));
  EXPECT_EQ(Int64Values(*t.batch, "ts"), (std::vector<int64_t>{3, 4}));
}

// The duplicate check has a sorted-by-time streaming path and a hash path; both must agree.
TEST(NormalizeRules, DuplicateKeyPathsAgree) {
  auto count_dups = [](const std::vector<int64_t>& ts, const std::vector<int>& sym) {
    arrow::StringBuilder sb;
    arrow::Int64Builder tb, pb;
    for (size_t i = 0; i < ts.size(); ++i) {
      EXPECT_TRUE(sb.Append("S" + std::to_string(sym[i])).ok());
      EXPECT_TRUE(tb.Append(ts[i]).ok());
      EXPECT_TRUE(pb.Append(1).ok());
    }
    auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
    auto ones = pb.Finish().ValueOrDie();
    auto b = arrow::RecordBatch::Make(
        arrow::schema({arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts_type),
                       arrow::field("price", arrow::int64()),
                       arrow::field("size", arrow::int64())}),
        static_cast<int64_t>(ts.size()),
        {sb.Finish().ValueOrDie(), tb.Finish().ValueOrDie()->View(ts_type).ValueOrDie(), ones,
         ones});
    auto o = Opts(ValidationMode::kIgnore);
    auto out = Normalize(TradesSpec(), b, o);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->stats.Count("unique_key") : -1;
  };
  // Random rows: few timestamps and symbols, so many duplicates.
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>(state >> 33);
  };
  std::vector<std::pair<int64_t, int>> rows;
  std::set<std::pair<int64_t, int>> distinct;
  for (int i = 0; i < 2000; ++i) {
    rows.emplace_back(next() % 50, next() % 20);
    distinct.insert(rows.back());
  }
  const int64_t expected = static_cast<int64_t>(rows.size() - distinct.size());
  auto split = [](const std::vector<std::pair<int64_t, int>>& r) {
    std::pair<std::vector<int64_t>, std::vector<int>> out;
    for (const auto& [t, s] : r) {
      out.first.push_back(t);
      out.second.push_back(s);
    }
    return out;
  };
  auto unsorted = split(rows);
  EXPECT_EQ(count_dups(unsorted.first, unsorted.second), expected);  // hash path
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  auto sorted = split(rows);
  EXPECT_EQ(count_dups(sorted.first, sorted.second), expected);  // streaming path
  // A run of 300 equal timestamps exceeds the streaming buffer: the hash path takes over.
  std::vector<int64_t> same(300, 5);
  std::vector<int> syms;
  for (int i = 0; i < 300; ++i) syms.push_back(i % 150);
  EXPECT_EQ(count_dups(same, syms), 150);
}

TEST(NormalizeRules, EmptyBatch) {
  auto b = MakeBatch({{"symbol", Str(), "[]"},
                      {"ts", Str(), "[]"},
                      {"price", F64(), "[]"},
                      {"size", I64(), "[]"}});
  ASSERT_OK_AND_ASSIGN(auto out, Trades(b));
  EXPECT_EQ(out.batch->num_rows(), 0);
  EXPECT_EQ(out.rejects->num_rows(), 0);
}

TEST(NormalizeRules, FeatureSets) {
  auto b = MakeBatch({{"symbol", Str(), R"(["A", "A"])"},
                      {"date", Str(), R"(["2024-01-15", "2024-01-16"])"},
                      {"rsi", F64(), "[55.5, 101]"},
                      {"macd", F64(), "[0.1, -0.2]"}});
  ASSERT_OK_AND_ASSIGN(auto m,
                       Normalize(MomentumIndicatorsSpec(), b, Opts(ValidationMode::kCoerce)));
  EXPECT_EQ(m.stats.Count("range", "rsi_14"), 1);
  EXPECT_EQ(m.stats.rows_out, 1);
  auto v = MakeBatch({{"symbol", Str(), R"(["A"])"},
                      {"ts", Str(), R"(["2024-01-15"])"},
                      {"volatility_30d", F64(), "[-0.1]"}});
  ASSERT_OK_AND_ASSIGN(auto pv, Normalize(PriceVolatilitySpec(), v, Opts(ValidationMode::kIgnore)));
  EXPECT_EQ(pv.stats.Count("non_negative", "volatility_30d"), 1);
  EXPECT_EQ(pv.stats.rows_out, 1);
  auto vp = MakeBatch({{"symbol", Str(), R"(["A"])"},
                       {"ts", Str(), R"(["2024-01-15"])"},
                       {"volume", I64(), "[100]"},
                       {"vwap", F64(), "[10.5]"}});
  ASSERT_OK_AND_ASSIGN(auto vpo, Normalize(VolumeProfileSpec(), vp, Opts(ValidationMode::kStrict)));
  EXPECT_EQ(vpo.batch->num_columns(), 8);
}

}  // namespace
}  // namespace marketlake

namespace marketlake {
namespace {

// Manual throughput check: --gtest_also_run_disabled_tests --gtest_filter=*Throughput*
TEST(NormalizePerf, DISABLED_Throughput) {
  constexpr int64_t kRows = 1'000'000;
  arrow::StringBuilder sym, ts;
  arrow::DoubleBuilder price;
  arrow::Int64Builder size;
  for (int64_t i = 0; i < kRows; ++i) {
    ASSERT_TRUE(sym.Append(i % 2 ? "AAPL" : "MSFT").ok());
    char buf[64];
    snprintf(buf, sizeof(buf), "2024-03-11 %02d:%02d:%02d.%06d", static_cast<int>(i / 3600 % 24),
             static_cast<int>(i / 60 % 60), static_cast<int>(i % 60), static_cast<int>(i % 999999));
    ASSERT_TRUE(ts.Append(buf).ok());
    ASSERT_TRUE(price.Append(100.0 + i % 100).ok());
    ASSERT_TRUE(size.Append(i % 1000).ok());
  }
  auto b = arrow::RecordBatch::Make(
      arrow::schema(
          {arrow::field("ticker", arrow::utf8()), arrow::field("timestamp", arrow::utf8()),
           arrow::field("price", arrow::float64()), arrow::field("size", arrow::int64())}),
      kRows,
      {sym.Finish().ValueOrDie(), ts.Finish().ValueOrDie(), price.Finish().ValueOrDie(),
       size.Finish().ValueOrDie()});
  NormalizeOptions o;
  o.mode = ValidationMode::kIgnore;
  o.tz = "America/New_York";
  auto start = std::chrono::steady_clock::now();
  auto out = Normalize(TradesSpec(), b, o);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::printf("%lld rows in %lld ms, %lld out\n", static_cast<long long>(kRows),
              static_cast<long long>(ms), static_cast<long long>(out->stats.rows_out));
}

}  // namespace
}  // namespace marketlake

namespace marketlake {
namespace {

// Manual: the common Parquet shape (ns UTC timestamps, float64 prices), STRICT.
TEST(NormalizePerf, DISABLED_ThroughputTyped) {
  constexpr int64_t kRows = 1'000'000;
  arrow::StringBuilder sym;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder price;
  arrow::Int64Builder size;
  for (int64_t i = 0; i < kRows; ++i) {
    ASSERT_TRUE(sym.Append(i % 2 ? "AAPL" : "MSFT").ok());
    ASSERT_TRUE(ts.Append(1710163800000000000 + i * 1000).ok());
    ASSERT_TRUE(price.Append(100.0 + i % 100).ok());
    ASSERT_TRUE(size.Append(i % 1000).ok());
  }
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  auto b = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts_type),
                     arrow::field("price", arrow::float64()),
                     arrow::field("size", arrow::int64())}),
      kRows,
      {sym.Finish().ValueOrDie(), ts.Finish().ValueOrDie(), price.Finish().ValueOrDie(),
       size.Finish().ValueOrDie()});
  NormalizeOptions o;
  for (int rep = 0; rep < 3; ++rep) {
    auto start = std::chrono::steady_clock::now();
    auto out = Normalize(TradesSpec(), b, o);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::printf("typed: %lld rows in %lld ms\n", static_cast<long long>(kRows),
                static_cast<long long>(ms));
  }
}

}  // namespace
}  // namespace marketlake
