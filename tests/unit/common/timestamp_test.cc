#include "marketlake/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace marketlake {
namespace {

int64_t Nanos(std::string_view text) {
  auto r = ParseTimestampNanos(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseTimestampNanos(text);
  if (r.ok()) return "OK";
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kInvalidArgument);
  return r.status().message();
}

TEST(TimestampTest, ExactValues) {
  EXPECT_EQ(Nanos("1970-01-01"), 0);
  EXPECT_EQ(Nanos("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Nanos("2024-03-11T09:30:00-04:00"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11T13:30:00Z"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11 13:30:00"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11T13:30"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11t13:30z"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11T15:30+02"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11T15:30:00+0200"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11T08:00:00-05:30"), 1710163800000000000);
  EXPECT_EQ(Nanos("2024-03-11"), 1710115200000000000);
  EXPECT_EQ(Nanos("2024-03-11 13:30:00.123456789Z"), 1710163800123456789);
  EXPECT_EQ(Nanos("2024-03-11T13:30:00.1"), 1710163800100000000);
  EXPECT_EQ(Nanos("2024-03-11T13:30:00.000001"), 1710163800000001000);
  EXPECT_EQ(Nanos("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_EQ(Nanos("2000-02-29T00:00:00Z"), 951782400000000000);
}

TEST(TimestampTest, Int64Bounds) {
  EXPECT_EQ(Nanos("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
  EXPECT_EQ(Nanos("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
  EXPECT_EQ(ErrorOf("2262-04-11T23:47:16.854775808Z"),
            "timestamp '2262-04-11T23:47:16.854775808Z': at byte 0: out of range (expected "
            "1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)");
  EXPECT_NE(ErrorOf("1677-09-21T00:12:43.145224191Z"), "OK");
  // An offset can push an in-range local time out of range.
  EXPECT_NE(ErrorOf("2262-04-11T23:47:16-01:00"), "OK");
  EXPECT_EQ(ErrorOf("1600-01-01"),
            "timestamp '1600-01-01': at byte 0: year 1600 out of range (expected 1677-2262)");
}

TEST(TimestampTest, LeapYears) {
  EXPECT_EQ(ErrorOf("2024-02-29"), "OK");
  EXPECT_EQ(ErrorOf("2000-02-29"), "OK");
  EXPECT_EQ(ErrorOf("2023-02-29"),
            "timestamp '2023-02-29': at byte 8: day 29 out of range for 2023-02 (expected 01-28)");
  EXPECT_EQ(ErrorOf("2100-02-29"),
            "timestamp '2100-02-29': at byte 8: day 29 out of range for 2100-02 (expected 01-28)");
  EXPECT_EQ(ErrorOf("2024-04-31"),
            "timestamp '2024-04-31': at byte 8: day 31 out of range for 2024-04 (expected 01-30)");
  EXPECT_EQ(Nanos("2024-03-01") - Nanos("2024-02-28"), 2 * 86400 * 1000000000LL);
  EXPECT_EQ(Nanos("2023-03-01") - Nanos("2023-02-28"), 86400 * 1000000000LL);
}

TEST(TimestampTest, Errors) {
  EXPECT_EQ(ErrorOf(""), "timestamp '': at byte 0: expected 4-digit year");
  EXPECT_EQ(ErrorOf("abc"), "timestamp 'abc': at byte 0: expected 4-digit year");
  EXPECT_EQ(ErrorOf("2024/03/11"),
            "timestamp '2024/03/11': at byte 4: expected '-' after the year");
  EXPECT_EQ(ErrorOf("2024-13-01"),
            "timestamp '2024-13-01': at byte 5: month 13 out of range (expected 01-12)");
  EXPECT_EQ(ErrorOf("2024-00-01"),
            "timestamp '2024-00-01': at byte 5: month 00 out of range (expected 01-12)");
  EXPECT_EQ(ErrorOf("2024-3-11"), "timestamp '2024-3-11': at byte 6: expected 2-digit month");
  EXPECT_EQ(ErrorOf("2024-03-11X10:00"),
            "timestamp '2024-03-11X10:00': at byte 10: expected 'T' or ' ' before the time, or "
            "end of input");
  EXPECT_EQ(ErrorOf("2024-03-11T24:00"),
            "timestamp '2024-03-11T24:00': at byte 11: hour 24 out of range (expected 00-23)");
  EXPECT_EQ(ErrorOf("2024-03-11T10:60"),
            "timestamp '2024-03-11T10:60': at byte 14: minute 60 out of range (expected 00-59)");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00:60"),
            "timestamp '2024-03-11T10:00:60': at byte 17: second 60 out of range (expected "
            "00-59)");
  EXPECT_EQ(ErrorOf("2024-03-11T10"),
            "timestamp '2024-03-11T10': at byte 13: expected ':' after the hour");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00:00."),
            "timestamp '2024-03-11T10:00:00.': at byte 20: expected fractional digits after '.'");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00:00.1234567890"),
            "timestamp '2024-03-11T10:00:00.1234567890': at byte 29: expected at most 9 "
            "fractional digits");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00:00 "),
            "timestamp '2024-03-11T10:00:00 ': at byte 19: expected offset (Z, +HH:MM, -HH:MM, "
            "+HHMM or +HH) or end of input");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00Zx"),
            "timestamp '2024-03-11T10:00Zx': at byte 17: expected end of input after the offset");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00+2"),
            "timestamp '2024-03-11T10:00+2': at byte 18: expected 2-digit offset hour");
  EXPECT_EQ(ErrorOf("2024-03-11T10:00+02:7"),
            "timestamp '2024-03-11T10:00+02:7': at byte 21: expected 2-digit offset minute");
  EXPECT_EQ(ErrorOf("2024-03-11T"), "timestamp '2024-03-11T': at byte 11: expected 2-digit hour");
  EXPECT_EQ(ErrorOf("2024-03-11Z"),
            "timestamp '2024-03-11Z': at byte 10: expected 'T' or ' ' before the time, or end "
            "of input");
}

TEST(TimestampTest, LongInputIsShortenedInMessage) {
  std::string text = "2024-03-11T10:00:00Z" + std::string(1000, 'x');
  std::string msg = ErrorOf(text);
  EXPECT_LT(msg.size(), 200u);
  EXPECT_NE(msg.find("...': at byte 20: expected end of input"), std::string::npos) << msg;
}

TEST(TimestampTest, Format) {
  EXPECT_EQ(FormatTimestampNanos(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampNanos(1710163800000000000), "2024-03-11T13:30:00Z");
  EXPECT_EQ(FormatTimestampNanos(1710163800123000000), "2024-03-11T13:30:00.123Z");
  EXPECT_EQ(FormatTimestampNanos(1710163800123456000), "2024-03-11T13:30:00.123456Z");
  EXPECT_EQ(FormatTimestampNanos(1710163800123456789), "2024-03-11T13:30:00.123456789Z");
  EXPECT_EQ(FormatTimestampNanos(1710163800100000000), "2024-03-11T13:30:00.100Z");
  EXPECT_EQ(FormatTimestampNanos(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTimestampNanos(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatTimestampNanos(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatDateDays(0), "1970-01-01");
  EXPECT_EQ(FormatDateDays(19793), "2024-03-11");
  EXPECT_EQ(FormatDateDays(-1), "1969-12-31");
}

TEST(TimestampTest, Dates) {
  EXPECT_EQ(*ParseDateDays("1970-01-01"), 0);
  EXPECT_EQ(*ParseDateDays("2024-03-11"), 19793);
  EXPECT_EQ(*ParseDateDays("1969-12-31"), -1);
  EXPECT_EQ(*ParseDateDays("0001-01-01"), -719162);
  EXPECT_EQ(*ParseDateDays("9999-12-31"), 2932896);
  auto r = ParseDateDays("2024-03-11T00:00");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "date '2024-03-11T00:00': at byte 10: expected end of input after YYYY-MM-DD");
  r = ParseDateDays("0000-01-01");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "date '0000-01-01': at byte 0: year 0 out of range (expected 1-9999)");
}

TEST(TimestampTest, CivilRoundTrip) {
  for (int64_t d = -800000; d <= 3000000; d += 7) {
    CivilDate c = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
}

TEST(TimestampTest, FormatParseRoundTrip) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    int64_t v = static_cast<int64_t>(rng());
    switch (i % 4) {
      case 0:
        v -= v % 1000000000;
        break;
      case 1:
        v -= v % 1000000;
        break;
      case 2:
        v -= v % 1000;
        break;
    }
    std::string text = FormatTimestampNanos(v);
    auto back = ParseTimestampNanos(text);
    ASSERT_TRUE(back.ok()) << text << " " << back.status().ToString();
    ASSERT_EQ(*back, v) << text;
  }
}

}  // namespace
}  // namespace marketlake
