#include "marketlake/sessions.h"

#include <gtest/gtest.h>

#include "marketlake/generate.h"
#include "marketlake/timestamp.h"
#include "unit/aggregate/test_util.h"

namespace marketlake {
namespace {

using aggregate_test::T;
using aggregate_test::TsArray;

Session At(const std::string& iso) { return UsEquitiesCalendar().Classify(T(iso)); }

TEST(Sessions, WinterFridayBeforeSpringForward) {  // 2024-03-08, EST (UTC-5)
  EXPECT_EQ(At("2024-03-08T08:59:59Z"), Session::kClosed);
  EXPECT_EQ(At("2024-03-08T09:00:00Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-03-08T14:29:59.999999999Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-03-08T14:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-03-08T20:59:59Z"), Session::kRegular);
  EXPECT_EQ(At("2024-03-08T21:00:00Z"), Session::kAfterHours);
  EXPECT_EQ(At("2024-03-09T00:59:59Z"), Session::kAfterHours);
  EXPECT_EQ(At("2024-03-09T01:00:00Z"), Session::kClosed);
}

TEST(Sessions, SummerMondayAfterSpringForward) {  // 2024-03-11, EDT (UTC-4)
  EXPECT_EQ(At("2024-03-11T07:59:59Z"), Session::kClosed);
  EXPECT_EQ(At("2024-03-11T08:00:00Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-03-11T13:29:59Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-03-11T13:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-03-11T14:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-03-11T20:00:00Z"), Session::kAfterHours);
  EXPECT_EQ(At("2024-03-12T00:00:00Z"), Session::kClosed);
  EXPECT_EQ(At("2024-03-09T15:00:00Z"), Session::kClosed);  // Saturday
  EXPECT_EQ(At("2024-03-10T15:00:00Z"), Session::kClosed);  // Sunday (the switch day)
}

TEST(Sessions, FallBack) {
  // 2024-11-01 is EDT: open 13:30Z; 2024-11-04 is EST: open 14:30Z.
  EXPECT_EQ(At("2024-11-01T13:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-11-01T20:00:00Z"), Session::kAfterHours);
  EXPECT_EQ(At("2024-11-04T13:30:00Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-11-04T14:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-11-04T20:30:00Z"), Session::kRegular);
  EXPECT_EQ(At("2024-11-04T21:00:00Z"), Session::kAfterHours);
}

TEST(Sessions, HolidaysAndEarlyClose) {
  EXPECT_EQ(At("2024-11-28T15:00:00Z"), Session::kClosed);      // Thanksgiving
  EXPECT_EQ(At("2024-03-29T15:00:00Z"), Session::kClosed);      // Good Friday
  EXPECT_EQ(At("2024-11-29T17:59:59Z"), Session::kRegular);     // 12:59:59 EST
  EXPECT_EQ(At("2024-11-29T18:00:00Z"), Session::kAfterHours);  // early close 13:00
  EXPECT_EQ(At("2024-11-29T14:00:00Z"), Session::kPreMarket);
  EXPECT_EQ(At("2024-12-24T19:00:00Z"), Session::kAfterHours);
  EXPECT_EQ(At("2024-12-26T19:00:00Z"), Session::kRegular);
}

TEST(Calendar, Lists2024) {
  const TradingCalendar& cal = UsEquitiesCalendar();
  std::vector<std::string> holidays, early;
  for (const auto& [day, close] : cal.exceptions()) {
    std::string d = FormatDateDays(day);
    if (d.rfind("2024", 0) != 0) continue;
    (close < 0 ? holidays : early).push_back(d);
    if (close >= 0) {
      EXPECT_EQ(close, 13 * 60);
    }
  }
  EXPECT_EQ(holidays, (std::vector<std::string>{
                          "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27",
                          "2024-06-19", "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"}));
  EXPECT_EQ(early, (std::vector<std::string>{"2024-07-03", "2024-11-29", "2024-12-24"}));
  EXPECT_EQ(cal.time_zone(), "America/New_York");
  // Every year 2023-2027 has 10 weekday holidays or 11 (2025: the day of mourning).
  for (int y = 2023; y <= 2027; ++y) {
    int n = 0;
    for (const auto& [day, close] : cal.exceptions()) {
      if (close < 0 && CivilFromDays(day).year == y) ++n;
      EXPECT_FALSE(close < 0 && (cal.exceptions().count(day) != 1));
    }
    EXPECT_EQ(n, y == 2025 ? 11 : 10) << y;
  }
  for (const auto& [day, close] : cal.exceptions()) {
    int64_t weekday = ((day + 4) % 7 + 7) % 7;
    EXPECT_NE(weekday, 0) << FormatDateDays(day);
    EXPECT_NE(weekday, 6) << FormatDateDays(day);
  }
}

TEST(Calendar, ShippedFileEqualsBuiltIn) {
  auto loaded =
      LoadCalendarFile(std::string(ML_TEST_DATA_DIR) + "/../../data/calendars/us_equities.csv");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->exceptions(), UsEquitiesCalendar().exceptions());
  EXPECT_EQ(loaded->time_zone(), "America/New_York");
  EXPECT_EQ(loaded->open_minutes(), 570);
}

TEST(Calendar, ExtendAndReplace) {
  TradingCalendar cal = UsEquitiesCalendar();
  ASSERT_TRUE(cal.LoadText("holiday,2024-03-11,storm\nearly_close,2024-03-08,12:00\n"
                           "early_close,2024-11-29,14:00 # replaces 13:00\n")
                  .ok());
  EXPECT_EQ(cal.Classify(T("2024-03-11T15:00:00Z")), Session::kClosed);
  EXPECT_EQ(cal.Classify(T("2024-03-08T17:00:00Z")), Session::kAfterHours);
  EXPECT_EQ(cal.Classify(T("2024-11-29T18:30:00Z")), Session::kRegular);
  EXPECT_FALSE(cal.IsTradingDay(ParseDateDays("2024-03-11").ValueOrDie()));

  auto bad = cal.LoadText("holiday,2024-03-11\nholliday,2024-01-01\n", "my.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("my.csv:2"), std::string::npos) << bad.message();
  EXPECT_FALSE(cal.LoadText("early_close,2024-01-02").ok());
  EXPECT_FALSE(cal.LoadText("sessions,04:00,09:30,25:00,20:00").ok());
  EXPECT_FALSE(cal.LoadText("timezone,Mars/Olympus").ok());
  EXPECT_FALSE(LoadCalendarFile("/nonexistent/cal.csv").ok());
}

TEST(Calendar, AlwaysOpen) {
  TradingCalendar cal = AlwaysOpenCalendar();
  EXPECT_EQ(cal.Classify(T("2024-03-09T03:00:00Z")), Session::kRegular);  // Saturday
  EXPECT_EQ(cal.Classify(T("2024-12-25T00:00:00Z")), Session::kRegular);
  EXPECT_TRUE(cal.IsTradingDay(ParseDateDays("2024-03-10").ValueOrDie()));
  EXPECT_EQ(cal.LocalToUtcNanos(ParseDateDays("2024-03-10").ValueOrDie(), 0),
            T("2024-03-10T00:00:00Z"));
}

TEST(Calendar, LocalMidnight) {
  const TradingCalendar& cal = UsEquitiesCalendar();
  EXPECT_EQ(cal.LocalToUtcNanos(ParseDateDays("2024-03-08").ValueOrDie(), 0),
            T("2024-03-08T05:00:00Z"));
  EXPECT_EQ(cal.LocalToUtcNanos(ParseDateDays("2024-03-11").ValueOrDie(), 0),
            T("2024-03-11T04:00:00Z"));
  EXPECT_EQ(cal.LocalToUtcNanos(ParseDateDays("2024-03-11").ValueOrDie(), 570),
            T("2024-03-11T13:30:00Z"));
}

TEST(Sessions, VectorisedMatchesScalarOnSampleData) {
  GenerateOptions opt;
  opt.rows = 50000;
  opt.days = 10;
  opt.start_date = "2024-10-28";  // spans the fall-back weekend and no holiday
  auto reader = MakeSampleReader(opt).ValueOrDie();
  int64_t counts[4] = {0, 0, 0, 0};
  std::shared_ptr<arrow::RecordBatch> batch;
  while (reader->ReadNext(&batch).ok() && batch) {
    auto ts = batch->GetColumnByName("ts");
    auto classes = ClassifySessions(*ts, UsEquitiesCalendar()).ValueOrDie();
    const auto& c = static_cast<const arrow::Int8Array&>(*classes);
    const auto& t = static_cast<const arrow::TimestampArray&>(*ts);
    for (int64_t i = 0; i < c.length(); ++i) {
      ASSERT_EQ(c.Value(i), static_cast<int8_t>(UsEquitiesCalendar().Classify(t.Value(i))));
      ++counts[c.Value(i)];
    }
  }
  EXPECT_EQ(counts[0], 0);  // the generator only emits 04:00-20:00 on weekdays
  EXPECT_GT(counts[2], counts[1] + counts[3]);
}

TEST(Sessions, FilterAndNulls) {
  auto table = aggregate_test::Trades({{"2024-03-11T13:29:00Z", "A", 1, 1},
                                       {"2024-03-11T13:30:00Z", "A", 2, 1},
                                       {"2024-03-11T20:30:00Z", "A", 3, 1}});
  auto regular = FilterBySession(table, UsEquitiesCalendar(), kRegularOnly).ValueOrDie();
  EXPECT_EQ(regular->num_rows(), 1);
  auto ext = FilterBySession(table, UsEquitiesCalendar(), kExtendedHours).ValueOrDie();
  EXPECT_EQ(ext->num_rows(), 3);
  EXPECT_FALSE(FilterBySession(table, UsEquitiesCalendar(), kRegularOnly, "time").ok());

  arrow::TimestampBuilder b(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                            arrow::default_memory_pool());
  ASSERT_TRUE(b.Append(T("2024-03-11T13:30:00Z") / 1000).ok());
  ASSERT_TRUE(b.AppendNull().ok());
  auto us = b.Finish().ValueOrDie();
  auto c = ClassifySessions(*us, UsEquitiesCalendar()).ValueOrDie();
  EXPECT_EQ(static_cast<const arrow::Int8Array&>(*c).Value(0), 2);
  EXPECT_TRUE(c->IsNull(1));
  auto d = LocalDates(*us, UsEquitiesCalendar()).ValueOrDie();
  EXPECT_EQ(static_cast<const arrow::Date32Array&>(*d).Value(0),
            ParseDateDays("2024-03-11").ValueOrDie());
}

}  // namespace
}  // namespace marketlake
