#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "marketlake/schema.h"
#include "unit/schema/test_util.h"

namespace marketlake {
namespace {

using testing::F64;
using testing::I64;
using testing::Int64Values;
using testing::MakeBatch;
using testing::Str;
using testing::StringValues;

const std::string kData = std::string(ML_TEST_DATA_DIR) + "/schema/";

std::vector<DatasetSpec> AllBuiltins() {
  return {TradesSpec(),       QuotesSpec(),          BarsSpec("1m").ValueOrDie(),
          NewsSpec(),         PriceVolatilitySpec(), MomentumIndicatorsSpec(),
          VolumeProfileSpec()};
}

TEST(DatasetSpecs, BuiltinsAreConsistent) {
  for (const auto& spec : AllBuiltins()) {
    EXPECT_TRUE(spec.Validate().ok()) << spec.name << ": " << spec.Validate().ToString();
    auto schema = spec.ArrowSchema();
    EXPECT_TRUE(schema->GetFieldByName("ts")->type()->Equals(
        arrow::timestamp(arrow::TimeUnit::NANO, "UTC")))
        << spec.name;
    EXPECT_FALSE(schema->GetFieldByName("ts")->nullable());
    if (auto sym = schema->GetFieldByName("symbol")) {
      EXPECT_TRUE(sym->type()->Equals(arrow::utf8())) << spec.name;
    }
    EXPECT_EQ(schema->metadata()->Get("marketlake.dataset").ValueOrDie(), spec.name);
  }
}

TEST(DatasetSpecs, CanonicalTypes) {
  auto t = TradesSpec().ArrowSchema();
  EXPECT_EQ(t->ToString(/*show_metadata=*/false),
            "symbol: string not null\nts: timestamp[ns, tz=UTC] not null\nprice: double not "
            "null\nsize: int64 not null\nexchange: string\nconditions: list<item: string>\n"
            "trade_id: string\nsequence: int64\ntape: string");
  auto b = BarsSpec("5m").ValueOrDie().ArrowSchema();
  EXPECT_EQ(b->ToString(false),
            "symbol: string not null\nts: timestamp[ns, tz=UTC] not null\nopen: double not "
            "null\nhigh: double not null\nlow: double not null\nclose: double not null\nvolume: "
            "int64 not null\nadj_close: double\ntrade_count: int64\nvwap: double");
  EXPECT_EQ(TradesSpec().key, (std::vector<std::string>{"symbol", "ts", "sequence", "trade_id"}));
}

TEST(DatasetSpecs, BarIntervals) {
  EXPECT_EQ(*ParseBarInterval("1s"), 1000000000LL);
  EXPECT_EQ(*ParseBarInterval("1m"), 60000000000LL);
  EXPECT_EQ(*ParseBarInterval("5m"), 300000000000LL);
  EXPECT_EQ(*ParseBarInterval("1h"), 3600000000000LL);
  EXPECT_EQ(*ParseBarInterval("1d"), 86400000000000LL);
  for (const char* bad : {"", "m", "0m", "-1m", "1x", "1.5m", "1M", "m1"}) {
    auto st = ParseBarInterval(bad).status();
    EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(BarsSpec("1x").status().message(),
            "bar interval '1x' is not <n><unit> with unit s, m, h, d or w (e.g. 1s, 1m, 5m, 1h, "
            "1d)");
  EXPECT_EQ(BarsSpec("1h")->interval, "1h");
}

// The canonical schema survives a Parquet round trip exactly (utf8 symbol, ns UTC time, lists).
TEST(DatasetSpecs, ParquetRoundTrip) {
  for (const auto& spec : AllBuiltins()) {
    auto schema = spec.ArrowSchema();
    arrow::ArrayVector arrays;
    for (const auto& f : schema->fields()) {
      arrays.push_back(arrow::MakeArrayOfNull(f->type(), 0).ValueOrDie());
    }
    auto table = arrow::Table::Make(schema, arrays, 0);
    auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 1024).ok());
    auto buffer = sink->Finish().ValueOrDie();
    auto reader = parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buffer),
                                           arrow::default_memory_pool())
                      .ValueOrDie();
    ASSERT_OK_AND_ASSIGN(auto back, reader->ReadTable());
    EXPECT_TRUE(back->schema()->Equals(*schema, /*check_metadata=*/false))
        << spec.name << "\n"
        << back->schema()->ToString() << "\nvs\n"
        << schema->ToString();
  }
}

// ---------------------------------------------------------------------------------------------

TEST(Registry, FindsBuiltinsAndCustom) {
  DatasetRegistry reg;
  EXPECT_EQ(reg.Find("trades")->name, "trades");
  EXPECT_EQ(reg.Find("bars")->interval, "1m");
  EXPECT_EQ(reg.Find("ohlcv")->interval, "1d");
  EXPECT_EQ(reg.Find("bars_5m")->interval, "5m");
  EXPECT_EQ(CodeOf(reg.Find("bars_5x").status()), ErrorCode::kInvalidArgument);
  auto missing = reg.Find("fx_rates").status();
  EXPECT_EQ(CodeOf(missing), ErrorCode::kNotFound);
  EXPECT_EQ(missing.message(),
            "unknown dataset 'fx_rates' (known: bars, momentum_indicators, news, ohlcv, "
            "price_volatility, quotes, trades, volume_profile)");
  ASSERT_TRUE(reg.RegisterFile(kData + "fx_rates.yaml").ok());
  EXPECT_EQ(reg.Find("fx_rates")->columns.size(), 7u);
  auto again = reg.RegisterFile(kData + "fx_rates.json");
  EXPECT_EQ(CodeOf(again), ErrorCode::kAlreadyExists);
  DatasetSpec t = TradesSpec();
  EXPECT_EQ(CodeOf(reg.Register(t)), ErrorCode::kAlreadyExists);
}

TEST(SchemaFile, YamlAndJsonAgree) {
  ASSERT_OK_AND_ASSIGN(auto y, LoadDatasetSpecFile(kData + "fx_rates.yaml"));
  ASSERT_OK_AND_ASSIGN(auto j, LoadDatasetSpecFile(kData + "fx_rates.json"));
  EXPECT_TRUE(y.ArrowSchema()->Equals(*j.ArrowSchema(), true));
  EXPECT_EQ(y.ArrowSchema()->ToString(false),
            "pair: string not null\nts: timestamp[ns, tz=UTC] not null\nrate: double not "
            "null\nspread_bps: float\nticks: int32\nindicative: bool\nvenues: list<item: "
            "string>");
  EXPECT_EQ(y.key, (std::vector<std::string>{"pair", "ts"}));
  ASSERT_EQ(y.rules.size(), 3u);
  EXPECT_EQ(y.rules[1].kind, RuleKind::kRange);
  EXPECT_EQ(y.rules[1].max, 500);
  EXPECT_EQ(j.rules.size(), 3u);
  EXPECT_TRUE(y.columns[0].required);
  EXPECT_FALSE(y.columns[3].required);
}

TEST(SchemaFile, CustomDatasetNormalizes) {
  ASSERT_OK_AND_ASSIGN(auto spec, LoadDatasetSpecFile(kData + "fx_rates.yaml"));
  auto b = MakeBatch({{"ccy_pair", Str(), R"(["EURUSD", "EURUSD", "GBPUSD", "GBPUSD"])"},
                      {"time", Str(), R"(["2024-03-11T13:30:00Z", "2024-03-11T13:30:00Z",
                                          "2024-03-11T13:30:00Z", "2024-03-11T13:30:01Z"])"},
                      {"rate", Str(), R"(["1.09", "1.10", "-1", "1.27"])"},
                      {"spread_bps", F64(), "[0.5, 0.5, 0.5, 900]"},
                      {"ticks", I64(), "[1, 2, 3, 3000000000]"},
                      {"indicative", Str(), R"(["true", "no", "1", "maybe"])"},
                      {"venues", Str(), R"(["EBS,Reuters", null, "", "EBS"])"}});
  NormalizeOptions o;
  o.mode = ValidationMode::kCoerce;
  ASSERT_OK_AND_ASSIGN(auto out, Normalize(spec, b, o));
  EXPECT_EQ(out.stats.Count("unique_key"), 1);
  EXPECT_EQ(out.stats.Count("positive", "rate"), 1);
  EXPECT_EQ(out.stats.Count("range", "spread_bps"), 1);
  EXPECT_EQ(out.stats.Count("type", "ticks"), 1);  // 3e9 does not fit int32
  EXPECT_EQ(out.stats.Count("type", "indicative"), 1);
  EXPECT_EQ(out.stats.rows_out, 1);
  EXPECT_EQ(StringValues(*out.rejects, "_reject_rule"),
            (std::vector<std::string>{"unique_key", "positive", "type"}));
}

TEST(SchemaFile, ErrorsNameFileLineAndKey) {
  auto st = LoadDatasetSpecFile(kData + "bad_type.yaml").status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), kData +
                              "bad_type.yaml:4: columns[1].type: unknown type 'flaot64' (expected "
                              "string, int32, int64, float32, float64, bool, timestamp, "
                              "list<string>)");
  st = LoadDatasetSpecFile(kData + "bad_key.yaml").status();
  EXPECT_EQ(st.message(), kData +
                              "bad_key.yaml:5: columns[0].nulable: unknown key (expected one of: "
                              "aliases, name, nullable, required, type)");
  st = LoadDatasetSpecFile(kData + "bad_syntax.yaml").status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind(kData + "bad_syntax.yaml:", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("syntax error"), std::string::npos) << st.message();
  st = LoadDatasetSpecFile(kData + "nope.yaml").status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kNotFound);
}

TEST(SchemaFile, InlineErrors) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[1, 2]", "x.yaml:1: expected a mapping with name, columns, key, rules"},
      {"name: a\n", "x.yaml:1: columns: missing"},
      {"name: 9a\ncolumns: [{name: ts, type: timestamp}]",
       "x.yaml:1: name: '9a' is not a name ([A-Za-z_][A-Za-z0-9_]*, at most 64 chars)"},
      {"name: a\ncolumns:\n  - {name: ts, type: timestamp}\n  - {name: ts, type: int64}\n",
       "x.yaml:4: columns[1].name: duplicate column 'ts'"},
      {"name: a\ncolumns:\n  - {name: x, type: int64}\n",
       "x.yaml:1: time_column: 'ts' is not a column of type timestamp"},
      {"name: a\ncolumns: [{name: ts, type: timestamp}]\nkey: [ts, sym]\n",
       "x.yaml:3: key[1]: 'sym' is not a column"},
      {"name: a\ncolumns: [{name: ts, type: timestamp}, {name: s, type: string}]\nrules:\n"
       "  - {rule: positive, column: s}\n",
       "x.yaml:4: rules[0].column: rule positive needs a numeric column, 's' is string"},
      {"name: a\ncolumns: [{name: ts, type: timestamp}, {name: v, type: int64}]\nrules:\n"
       "  - {rule: range, column: v, min: 5, max: 1}\n",
       "x.yaml:4: rules[0].min: min is greater than max"},
      {"name: a\ncolumns: [{name: ts, type: timestamp}, {name: v, type: int64}]\nrules:\n"
       "  - {rule: between, column: v}\n",
       "x.yaml:4: rules[0].rule: unknown rule 'between' (expected positive, non_negative, "
       "range, not_null)"},
      {"name: a\ncolumns: [{name: ts, type: timestamp, nullable: maybe}]\n",
       "x.yaml:2: columns[0].nullable: expected true or false, got 'maybe'"},
      {"name: a\ncolumns:\n  - {name: ts, type: timestamp, aliases: [time]}\n  - {name: t2, "
       "type: timestamp, aliases: [Time]}\n",
       "x.yaml: dataset 'a': name 'Time' of column 't2' also matches column 'ts'"},
  };
  for (const auto& c : cases) {
    auto st = ParseDatasetSpec(c.text, "x.yaml").status();
    EXPECT_EQ(CodeOf(st), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_EQ(st.message(), c.message) << c.text;
  }
  std::string big(2 << 20, '#');
  EXPECT_EQ(ParseDatasetSpec(big, "big.yaml").status().message(),
            "big.yaml: schema file is larger than 1 MiB (2097152 bytes)");
}

// ---------------------------------------------------------------------------------------------

TEST(Compatibility, AcceptsWideningAndNullableAdditions) {
  auto existing =
      arrow::schema({arrow::field("symbol", arrow::utf8(), false),
                     arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), false),
                     arrow::field("size", arrow::int32()), arrow::field("price", arrow::float32()),
                     arrow::field("n", arrow::uint16()), arrow::field("old", arrow::utf8())});
  auto incoming = arrow::schema(
      {arrow::field("symbol", arrow::dictionary(arrow::int32(), arrow::utf8()), false),
       arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "Etc/UTC"), true),
       arrow::field("size", arrow::int64()), arrow::field("price", arrow::float64()),
       arrow::field("n", arrow::int32()), arrow::field("venue", arrow::utf8())});
  ASSERT_OK_AND_ASSIGN(auto r, CheckCompatibility(*existing, *incoming));
  EXPECT_EQ(r.added, std::vector<std::string>{"venue"});
  EXPECT_EQ(r.dropped, std::vector<std::string>{"old"});
  EXPECT_EQ(r.widened,
            (std::vector<std::string>{
                "symbol: string -> dictionary<values=string, indices=int32, ordered=0>",
                "ts: timestamp[us, tz=UTC] -> timestamp[ns, tz=Etc/UTC]", "size: int32 -> int64",
                "price: float -> double", "n: uint16 -> int32"}));
  ASSERT_OK_AND_ASSIGN(auto same, CheckCompatibility(*existing, *existing));
  EXPECT_TRUE(same.identical());
}

TEST(Compatibility, RefusesIncompatibleChanges) {
  struct Case {
    std::shared_ptr<arrow::Field> existing;
    std::shared_ptr<arrow::Field> incoming;
    std::string message;
  };
  const std::vector<Case> cases = {
      {arrow::field("price", arrow::float64()), arrow::field("price", arrow::utf8()),
       "incompatible schema change: column 'price': type changes from double to string (not a "
       "widening)"},
      {arrow::field("size", arrow::int64()), arrow::field("size", arrow::int32()),
       "incompatible schema change: column 'size': type changes from int64 to int32 (integer "
       "narrowing or sign change)"},
      {arrow::field("size", arrow::int64()), arrow::field("size", arrow::float64()),
       "incompatible schema change: column 'size': type changes from int64 to double (not a "
       "widening)"},
      {arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
       arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
       "incompatible schema change: column 'ts': type changes from timestamp[ns, tz=UTC] to "
       "timestamp[us, tz=UTC] (timestamp unit becomes coarser (loses precision))"},
      {arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO)),
       arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
       "incompatible schema change: column 'ts': type changes from timestamp[ns] to "
       "timestamp[ns, tz=UTC] (time zone changes from '' to 'UTC')"},
      {arrow::field("x", arrow::int64(), true), arrow::field("x", arrow::int64(), false),
       "incompatible schema change: column 'x': becomes non-nullable but existing files may "
       "hold nulls"},
  };
  for (const auto& c : cases) {
    auto st =
        CheckCompatibility(*arrow::schema({c.existing}), *arrow::schema({c.incoming})).status();
    EXPECT_EQ(CodeOf(st), ErrorCode::kSchemaMismatch);
    EXPECT_EQ(st.message(), c.message);
  }
  auto st = CheckCompatibility(*arrow::schema({arrow::field("a", arrow::int64(), false)}),
                               *arrow::schema({arrow::field("b", arrow::int64(), false)}))
                .status();
  EXPECT_EQ(st.message(),
            "incompatible schema change: column 'a': non-nullable column is missing from the "
            "incoming schema; column 'b': new column is non-nullable but existing files have no "
            "values for it");
}

TEST(Compatibility, CanonicalSchemasAreSelfCompatible) {
  for (const auto& spec : AllBuiltins()) {
    ASSERT_OK_AND_ASSIGN(auto r, CheckCompatibility(*spec.ArrowSchema(), *spec.ArrowSchema()));
    EXPECT_TRUE(r.identical());
  }
}

// ---------------------------------------------------------------------------------------------

TEST(Detect, FromColumns) {
  struct Case {
    std::vector<std::string> cols;
    std::string path;
    std::string dataset;
    std::string interval;
  };
  const std::vector<Case> cases = {
      {{"ticker", "timestamp", "bid", "ask"}, "x.parquet", "quotes", ""},
      {{"symbol", "t", "bp", "ap", "bs", "as"}, "x.parquet", "quotes", ""},
      {{"ticker", "date", "Open", "High", "Low", "Close", "Volume"}, "x.parquet", "bars", ""},
      {{"headline", "published_at", "tickers"}, "x.parquet", "news", ""},
      {{"symbol", "ts", "price", "size"}, "x.parquet", "trades", ""},
      {{"ticker", "timestamp", "price", "volume"},
       "market_data/quotes/2024/01/15/AAPL.parquet",
       "quotes",
       ""},
      {{"ticker", "timestamp", "price", "volume"}, "market_data/trades/AAPL.parquet", "trades", ""},
      {{"a", "b"}, "s3://b/market_data/news/2024/01/news_20240115.parquet", "news", ""},
      {{"o", "h", "l", "c", "v"}, "data/parquet/bars/1m/AAPL.2024-11.parquet", "bars", "1m"},
      {{"open", "high", "low", "close"},
       "market_data/ohlcv/daily/2024/AAPL_2024.parquet",
       "bars",
       "1d"},
      {{"open", "high", "low", "close"},
       "ohlcv/intraday/2024/01/AAPL_20240115_1min.parquet",
       "bars",
       "1m"},
  };
  for (const auto& c : cases) {
    auto d = DetectDataset(c.cols, c.path);
    ASSERT_TRUE(d.ok()) << c.path << d.status().ToString();
    EXPECT_EQ(d->dataset, c.dataset) << c.path;
    EXPECT_EQ(d->interval, c.interval) << c.path;
  }
}

TEST(Detect, Undecidable) {
  auto st = DetectDataset({"a", "b"}, "x/y.parquet").status();
  EXPECT_EQ(CodeOf(st), ErrorCode::kSchemaMismatch);
  EXPECT_EQ(st.message(),
            "cannot detect the dataset of 'x/y.parquet' from columns [a, b]: expected headline "
            "(news), open/high/low/close (bars), bid/ask (quotes) or price and size (trades), or a "
            "path segment trades/quotes/ohlcv/bars/news");
}

}  // namespace
}  // namespace marketlake
