#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "lake_test_util.h"
#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerDay;
using testing::kNsPerSec;
using testing::MakeTrades;

TEST(PartitionSpecText, RoundTripsAndRejects) {
  for (const char* text : {"", "day", "month", "year", "hour", "day,symbol", "month,bucket(16)",
                           "ranges(A-F:;G-M:G;N-Z:N)", "day,ranges(lo:;hi:M)"}) {
    auto spec = ParsePartitionSpec(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
    EXPECT_EQ(spec->ToString(), text);
  }
  EXPECT_EQ(ParsePartitionSpec("date")->ToString(), "day");
  for (const char* text : {"day(America/New_York)", "hour(Europe/London),symbol",
                           "month(Asia/Tokyo),bucket(4)", "year(America/Chicago)"}) {
    auto spec = ParsePartitionSpec(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
    EXPECT_EQ(spec->ToString(), text);
  }
  EXPECT_EQ(ParsePartitionSpec("date(America/New_York)")->fields[0].time_zone, "America/New_York");
  EXPECT_EQ(ParsePartitionSpec("day(UTC)")->ToString(), "day");
  EXPECT_EQ(ParsePartitionSpec("day(Etc/UTC)")->ToString(), "day");
  EXPECT_EQ(ParsePartitionSpec("day(Mars/Olympus_Mons)").status().message(),
            "partition spec 'day(Mars/Olympus_Mons)': time zone 'Mars/Olympus_Mons' is not in "
            "the zone database");
  for (const char* bad :
       {"week", "day,day", "day,month", "bucket(0)", "bucket(x)", "bucket(70000)", "ranges(A:B)",
        "ranges(A:;B:)", "ranges(A:;B:M;C:C)", "ranges(:)", "symbol,symbol", "day,", "day()",
        "day(America/New_York", "week(UTC)", "day(UTC),hour(UTC)"}) {
    EXPECT_EQ(CodeOf(ParsePartitionSpec(bad).status()), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(PartitionSpecText, Defaults) {
  // Trades and quotes by New York trading date; intraday bars by New York month.
  EXPECT_EQ(DefaultPartitionSpec("trades").ToString(), "day(America/New_York)");
  EXPECT_EQ(DefaultPartitionSpec("quotes").ToString(), "day(America/New_York)");
  EXPECT_EQ(DefaultPartitionSpec("bars_1m").ToString(), "month(America/New_York)");
  EXPECT_EQ(DefaultPartitionSpec("bars_5s").ToString(), "month(America/New_York)");
  EXPECT_EQ(DefaultPartitionSpec("bars").ToString(), "month");
  EXPECT_EQ(DefaultPartitionSpec("bars_1d").ToString(), "year");
  EXPECT_EQ(DefaultPartitionSpec("ohlcv").ToString(), "year");
  EXPECT_EQ(DefaultPartitionSpec("news").ToString(), "month");
}

TEST(SymbolHashTest, IsFnv1a64) {
  EXPECT_EQ(SymbolHash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(SymbolHash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(SymbolHash("foobar"), 0x85944171f73967e8ULL);
}

// Expected partition of each row computed the slow way; compares exact row sets.
TEST(PartitionerTest, ByDayThenSymbolExactRows) {
  // 1000 rows over ~4 days in steps of 347 s, 3 symbols.
  auto batch =
      MakeTrades({"MSFT", "AAPL", "BRK.B"}, 1000, kMar15 - 3600 * kNsPerSec, 347 * kNsPerSec);
  Partitioner p(*ParsePartitionSpec("day,symbol"));
  auto parts = p.Split(batch);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  std::map<std::string, int64_t> expected;
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(batch->GetColumnByName("ts"));
  auto sym = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("symbol"));
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    int64_t day = ts->Value(i) / kNsPerDay - kMar15 / kNsPerDay;  // all >= 2024-03-14
    int d = 15 + static_cast<int>(ts->Value(i) >= kMar15 ? day : -1);
    expected[fmt::format("{:02d}/{}", d, sym->GetView(i))]++;
  }
  std::map<std::string, int64_t> got;
  int64_t total = 0;
  for (const auto& part : *parts) {
    ASSERT_EQ(part.values.size(), 4u);
    EXPECT_EQ(part.values[0], (std::pair<std::string, std::string>{"year", "2024"}));
    EXPECT_EQ(part.values[1], (std::pair<std::string, std::string>{"month", "03"}));
    EXPECT_EQ(part.values[2].first, "day");
    EXPECT_EQ(part.values[3].first, "symbol");
    got[part.values[2].second + "/" + part.values[3].second] = part.batch->num_rows();
    total += part.batch->num_rows();
    // every row belongs here, sorted by (symbol, ts)
    auto pts = std::static_pointer_cast<arrow::TimestampArray>(part.batch->GetColumnByName("ts"));
    auto psym = std::static_pointer_cast<arrow::StringArray>(part.batch->GetColumnByName("symbol"));
    for (int64_t i = 0; i < part.batch->num_rows(); ++i) {
      EXPECT_EQ(psym->GetView(i), part.values[3].second);
      if (i > 0) {
        EXPECT_LT(pts->Value(i - 1), pts->Value(i));
      }
    }
  }
  EXPECT_EQ(total, 1000);
  EXPECT_EQ(got, expected);
}

TEST(PartitionerTest, MonthYearHourAcrossBoundariesAndPreEpoch) {
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                             arrow::default_memory_pool());
  // 1969-12-31T23:59:59.999999, 1970-01-01T00:00:00, 2024-02-29T23:00:00, 2024-03-01T00:00:00
  ASSERT_TRUE(tb.AppendValues({-1, 0, 1709247600000000LL, 1709251200000000LL}).ok());
  std::shared_ptr<arrow::Array> ts;
  ASSERT_TRUE(tb.Finish(&ts).ok());
  auto batch = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))}), 4,
      {ts});
  auto months = Partitioner(*ParsePartitionSpec("month")).Split(batch, false);
  ASSERT_TRUE(months.ok()) << months.status().ToString();
  ASSERT_EQ(months->size(), 4u);
  EXPECT_EQ((*months)[0].values, (PartitionValues{{"year", "1969"}, {"month", "12"}}));
  EXPECT_EQ((*months)[3].values, (PartitionValues{{"year", "2024"}, {"month", "03"}}));
  auto hours = Partitioner(*ParsePartitionSpec("hour")).Split(batch, false);
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ((*hours)[2].values,
            (PartitionValues{{"year", "2024"}, {"month", "02"}, {"day", "29"}, {"hour", "23"}}));
  auto years = Partitioner(*ParsePartitionSpec("year")).Split(batch, false);
  ASSERT_TRUE(years.ok());
  ASSERT_EQ(years->size(), 3u);
  EXPECT_EQ((*years)[2].batch->num_rows(), 2);
}

// Instants as UTC ns from "YYYY-MM-DDTHH:MM:SSZ".
int64_t Utc(int y, int mo, int d, int h, int mi = 0) {
  return (LakeDaysFromCivil(y, mo, d) * 24 + h) * 3600 * kNsPerSec + mi * 60 * kNsPerSec;
}

PartitionValues Day(const char* y, const char* m, const char* d) {
  return {{"year", y}, {"month", m}, {"day", d}};
}

// New York trading dates: after-hours trades after 19:00/20:00 New York time stay on their
// trading day although it is the next UTC day; the DST switches move the day's UTC bounds.
TEST(PartitionerTest, TradingDateInNewYork) {
  const std::vector<int64_t> instants = {
      Utc(2024, 3, 8, 4, 59),   // Thu 2024-03-07 23:59 EST
      Utc(2024, 3, 8, 5, 0),    // Fri 2024-03-08 00:00 EST
      Utc(2024, 3, 9, 0, 30),   // Fri 19:30 EST (after hours), UTC Saturday
      Utc(2024, 3, 11, 3, 59),  // Sun 2024-03-10 23:59 EDT (DST began 07:00Z)
      Utc(2024, 3, 11, 4, 0),   // Mon 2024-03-11 00:00 EDT
      Utc(2024, 3, 12, 0, 15),  // Mon 20:15 EDT
      Utc(2024, 11, 4, 4, 59),  // Sun 2024-11-03 23:59 EST (DST ended 06:00Z)
  };
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  ASSERT_TRUE(tb.AppendValues(instants).ok());
  std::shared_ptr<arrow::Array> ts;
  ASSERT_TRUE(tb.Finish(&ts).ok());
  auto batch = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC"))}),
      static_cast<int64_t>(instants.size()), {ts});
  auto parts = Partitioner(DefaultPartitionSpec("trades")).Split(batch, false);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  std::vector<std::pair<PartitionValues, int64_t>> got;
  for (const auto& p : *parts) got.emplace_back(p.values, p.batch->num_rows());
  EXPECT_EQ(got, (std::vector<std::pair<PartitionValues, int64_t>>{{Day("2024", "03", "07"), 1},
                                                                   {Day("2024", "03", "08"), 2},
                                                                   {Day("2024", "03", "10"), 1},
                                                                   {Day("2024", "03", "11"), 2},
                                                                   {Day("2024", "11", "03"), 1}}));
  // The same instants in UTC days.
  auto utc = Partitioner(*ParsePartitionSpec("day")).Split(batch, false);
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc->size(), 5u);
  // Hours in New York: 01:00 happens twice on 2024-11-03, both in hour=01.
  arrow::TimestampBuilder hb(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  ASSERT_TRUE(hb.AppendValues({Utc(2024, 11, 3, 5, 30), Utc(2024, 11, 3, 6, 30)}).ok());
  std::shared_ptr<arrow::Array> hts;
  ASSERT_TRUE(hb.Finish(&hts).ok());
  auto hours = Partitioner(*ParsePartitionSpec("hour(America/New_York)"))
                   .Split(arrow::RecordBatch::Make(batch->schema(), 2, {hts}), false);
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->size(), 1u);
  EXPECT_EQ((*hours)[0].values.back(), (std::pair<std::string, std::string>{"hour", "01"}));
  EXPECT_EQ((*hours)[0].batch->num_rows(), 2);
}

TEST(TimeSlotsTest, ZonedSlotsCoverTheirDays) {
  PartitionField ny = DefaultPartitionSpec("trades").fields[0];
  // The spring-forward day is 23 hours, the fall-back day 25.
  auto spring = TimeSlots(ny, Utc(2024, 3, 10, 12), Utc(2024, 3, 10, 13));
  ASSERT_TRUE(spring.ok());
  ASSERT_EQ(spring->size(), 1u);
  EXPECT_EQ((*spring)[0].values, Day("2024", "03", "10"));
  EXPECT_EQ((*spring)[0].start, Utc(2024, 3, 10, 5));
  EXPECT_EQ((*spring)[0].end, Utc(2024, 3, 11, 4));
  auto fall = TimeSlots(ny, Utc(2024, 11, 3, 12), Utc(2024, 11, 5, 5, 30));
  ASSERT_TRUE(fall.ok());
  ASSERT_EQ(fall->size(), 3u);
  EXPECT_EQ((*fall)[0].end - (*fall)[0].start, 25 * 3600 * kNsPerSec);
  EXPECT_EQ((*fall)[1].values, Day("2024", "11", "04"));
  EXPECT_EQ((*fall)[2].values, Day("2024", "11", "05"));
  EXPECT_EQ((*fall)[2].start, Utc(2024, 11, 5, 5));
  // Slots tile the range with no gap.
  for (size_t i = 1; i < fall->size(); ++i) EXPECT_EQ((*fall)[i].start, (*fall)[i - 1].end);
  // A New York month starts at local midnight.
  PartitionField month = DefaultPartitionSpec("bars_1m").fields[0];
  auto months = TimeSlots(month, Utc(2024, 1, 31, 23), Utc(2024, 2, 2, 0));
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 2u);
  EXPECT_EQ((*months)[0].values, (PartitionValues{{"year", "2024"}, {"month", "01"}}));
  EXPECT_EQ((*months)[1].start, Utc(2024, 2, 1, 5));
  // UTC fields and empty ranges.
  auto utc = TimeSlots(*ParsePartitionSpec("hour")->fields.begin(), Utc(2024, 1, 1, 0),
                       Utc(2024, 1, 1, 3));
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc->size(), 3u);
  EXPECT_TRUE(TimeSlots(ny, 10, 10)->empty());
}

// Pruning reads a zoned partition's values in its zone: 2024-03-08 in New York is
// [05:00Z on the 8th, 05:00Z on the 9th), so a query for 01:00Z-02:00Z on the 9th keeps it.
TEST(PruneTest, ZonedPartitionsPruneByLocalDay) {
  Snapshot snap;
  snap.partition_spec = DefaultPartitionSpec("trades");
  auto file = [](const char* day) {
    DataFile f;
    f.path = day;
    f.partition = Day("2024", "03", day);
    f.rows = 10;
    return f;
  };
  snap.files = {file("07"), file("08"), file("09")};
  PruneFilter filter;
  filter.ts_min = Utc(2024, 3, 9, 1);
  filter.ts_max = Utc(2024, 3, 9, 2);
  auto kept = PrunePartitions(snap, filter);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].path, "08");
  snap.partition_spec = *ParsePartitionSpec("day");
  kept = PrunePartitions(snap, filter);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].path, "09");
}

TEST(PartitionerTest, BucketsAndRanges) {
  std::vector<std::string> symbols = {"AAPL", "AMZN", "GOOG", "MSFT", "NVDA", "TSLA", "ZZ"};
  auto batch = MakeTrades(symbols, 700, kMar15, kNsPerSec);
  auto buckets = Partitioner(*ParsePartitionSpec("bucket(4)")).Split(batch);
  ASSERT_TRUE(buckets.ok());
  int64_t total = 0;
  for (const auto& part : *buckets) {
    auto sym = std::static_pointer_cast<arrow::StringArray>(part.batch->GetColumnByName("symbol"));
    for (int64_t i = 0; i < sym->length(); ++i) {
      EXPECT_EQ(fmt::format("{:04d}", SymbolHash(sym->GetView(i)) % 4), part.values[0].second);
    }
    total += part.batch->num_rows();
  }
  EXPECT_EQ(total, 700);
  auto ranges = Partitioner(*ParsePartitionSpec("ranges(A-F:;G-M:G;N-Z:N)")).Split(batch);
  ASSERT_TRUE(ranges.ok());
  std::map<std::string, int64_t> got;
  for (const auto& part : *ranges) got[part.values[0].second] = part.batch->num_rows();
  EXPECT_EQ(got, (std::map<std::string, int64_t>{{"A-F", 200}, {"G-M", 200}, {"N-Z", 300}}));
}

TEST(PartitionerTest, ErrorsNameTheProblem) {
  auto batch = MakeTrades({"A"}, 3, kMar15, kNsPerSec);
  auto no_ts = batch->RemoveColumn(1).ValueOrDie();
  EXPECT_EQ(CodeOf(Partitioner(*ParsePartitionSpec("day")).Split(no_ts).status()),
            ErrorCode::kMissingColumn);
  auto hostile = MakeTrades({std::string("a\0b", 3)}, 3, kMar15, kNsPerSec);
  EXPECT_EQ(CodeOf(Partitioner(*ParsePartitionSpec("symbol")).Split(hostile).status()),
            ErrorCode::kInvalidArgument);
  // hostile but encodable symbols partition fine
  auto odd = MakeTrades({"../x", "a/b", "=", "\xC3\xA9"}, 8, kMar15, kNsPerSec);
  auto parts = Partitioner(*ParsePartitionSpec("symbol")).Split(odd);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->size(), 4u);
}

TEST(PruneTest, ByPartitionAndStats) {
  Snapshot snap;
  snap.partition_spec = *ParsePartitionSpec("day,bucket(8)");
  auto file = [](std::string day, std::string symbol) {
    DataFile f;
    f.path = day + symbol;
    f.partition = {{"year", "2024"},
                   {"month", "03"},
                   {"day", day},
                   {"bucket", fmt::format("{:04d}", SymbolHash(symbol) % 8)}};
    f.rows = 10;
    f.symbols = {symbol};
    f.min_symbol = f.max_symbol = symbol;
    return f;
  };
  snap.files = {file("15", "AAPL"), file("16", "AAPL"), file("15", "MSFT")};
  PruneFilter filter;
  filter.symbols = {"AAPL"};
  EXPECT_EQ(PrunePartitions(snap, filter).size(), 2u);
  filter.ts_min = kMar15 + kNsPerDay;  // 16th
  auto kept = PrunePartitions(snap, filter);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].path, "16AAPL");
  filter.symbols = {"ZZZZ"};
  EXPECT_TRUE(PrunePartitions(snap, filter).empty());
  EXPECT_EQ(PrunePartitions(snap, PruneFilter{}).size(), 3u);
}

}  // namespace
}  // namespace marketlake
