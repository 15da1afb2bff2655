// Trading sessions and trading calendars.
//
// A TradingCalendar says, for any instant, which session it falls in: pre-market, regular,
// after-hours or closed. Sessions are wall-clock times in the calendar's IANA time zone
// (America/New_York for US equities), so daylight saving is handled by the zone database
// (/usr/share/zoneinfo via libdate-tz): 09:30 New York is 14:30Z in winter and 13:30Z in
// summer. Weekends and the listed holidays are closed all day; on an early-close day the
// regular session ends at the listed time (13:00 for NYSE) and after-hours runs from there
// to the usual after-hours end.
//
// The US equities calendar ships as data (data/calendars/us_equities.csv: NYSE holidays and
// early closes 2023-2027); UsEquitiesCalendar() is the same table compiled in, and
// LoadCalendarFile() reads that format so users can replace or extend it. Dates outside the
// listed years are treated as ordinary weekdays/weekends. AlwaysOpenCalendar() is 24/7 in
// UTC (crypto): every instant is regular, every UTC day a trading day.
//
// Calendar file format (CSV, '#' starts a comment, blank lines ignored):
//   timezone,America/New_York
//   sessions,04:00,09:30,16:00,20:00     pre-open, open, close, after-hours end (local)
//   weekend,sat,sun                     (also: "weekend," for none)
//   holiday,2024-01-01[,name]
//   early_close,2024-11-29,13:00[,name]
// Keys may appear in any order; a later line for the same date replaces an earlier one.
//
// Thread-safety: a const TradingCalendar may be used from many threads.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

enum class Session : int8_t {
  kClosed = 0,      // outside every session, a weekend or a holiday
  kPreMarket = 1,   // [pre-open, open)
  kRegular = 2,     // [open, close), close cut at early closes
  kAfterHours = 3,  // [close, after-hours end)
};

std::string_view SessionName(Session session);  // "closed", "pre", "regular", "after"

// Bit set of sessions, for filters.
using SessionMask = uint8_t;
constexpr SessionMask SessionBit(Session s) {
  return static_cast<SessionMask>(1u << static_cast<int>(s));
}
constexpr SessionMask kRegularOnly = SessionBit(Session::kRegular);
constexpr SessionMask kExtendedHours = SessionBit(Session::kPreMarket) |
                                       SessionBit(Session::kRegular) |
                                       SessionBit(Session::kAfterHours);
constexpr SessionMask kAllSessions = kExtendedHours | SessionBit(Session::kClosed);

class TradingCalendar {
 public:
  // A calendar with no holidays, Sat/Sun weekend and the US equities session times in
  // America/New_York. kNotFound when the zone is not in the OS database.
  static Result<TradingCalendar> Make(std::string time_zone = "America/New_York");

  // Adds (or replaces) a full-day closure / an early close at `close_minutes` local minutes
  // after midnight. `days` is days since 1970-01-01 of the local date.
  void AddHoliday(int32_t days);
  void AddEarlyClose(int32_t days, int close_minutes);
  // Session bounds in local minutes after midnight: 0 <= pre <= open <= close <= post <= 1440.
  Status SetSessions(int pre_open, int open, int close, int post_close);
  // Weekend days as a mask over weekday numbers 0 = Sunday .. 6 = Saturday.
  void SetWeekend(uint8_t weekday_mask) { weekend_mask_ = weekday_mask; }

  // Merges a calendar file (format above) into this calendar.
  Status LoadFile(const std::string& path);
  Status LoadText(std::string_view text, std::string_view source_name = "calendar");

  const std::string& time_zone() const { return time_zone_; }
  bool IsTradingDay(int32_t local_days) const;
  // Regular-session close of a local date in minutes (the early close when listed).
  int CloseMinutes(int32_t local_days) const;
  int pre_open_minutes() const { return pre_open_; }
  int open_minutes() const { return open_; }
  int post_close_minutes() const { return post_close_; }
  bool always_open() const { return always_open_; }

  // UTC offset (seconds, local = utc + offset) of the zone at a UTC instant, and the UTC
  // range [begin, end) in which that offset holds (for caching).
  struct OffsetRange {
    int64_t offset_ns;
    int64_t begin_ns;
    int64_t end_ns;
  };
  OffsetRange OffsetAt(int64_t utc_ns) const;
  // UTC instant of a local wall-clock time (minutes after local midnight of `local_days`);
  // for wall times skipped or repeated by DST, the earliest valid interpretation.
  int64_t LocalToUtcNanos(int32_t local_days, int minutes) const;

  // Session and local date of one instant.
  Session Classify(int64_t utc_ns, int32_t* local_days = nullptr) const;
  // Session of a local date and time of day (ns after local midnight).
  Session ClassifyLocal(int32_t local_days, int64_t tod_ns) const;

  std::map<int32_t, int> const& exceptions() const { return exceptions_; }

 private:
  friend TradingCalendar AlwaysOpenCalendar();
  std::string time_zone_ = "UTC";
  const void* zone_ = nullptr;  // const date::time_zone*, nullptr for UTC
  int pre_open_ = 4 * 60, open_ = 9 * 60 + 30, close_ = 16 * 60, post_close_ = 20 * 60;
  uint8_t weekend_mask_ = 0x41;  // Sunday, Saturday
  bool always_open_ = false;
  std::map<int32_t, int> exceptions_;  // local date -> close minutes (-1 = holiday)
};

// Local wall-clock nanoseconds of UTC instants in a calendar's zone, keeping the offset of the
// DST period of the last instant: one zone lookup per period rather than per row. Not
// thread-safe; the calendar is passed on each call (so the cache may live beside it).
class ZoneOffsetCache {
 public:
  int64_t Local(const TradingCalendar& calendar, int64_t utc_ns) {
    if (utc_ns < begin_ || utc_ns >= end_) {
      const TradingCalendar::OffsetRange r = calendar.OffsetAt(utc_ns);
      offset_ = r.offset_ns;
      begin_ = r.begin_ns;
      end_ = r.end_ns;
    }
    return utc_ns + offset_;
  }

 private:
  int64_t offset_ = 0;
  int64_t begin_ = 1, end_ = 0;  // empty: the first call looks up
};

// The built-in NYSE calendar 2023-2027 (same as data/calendars/us_equities.csv).
const TradingCalendar& UsEquitiesCalendar();
// 24/7, UTC: every instant regular, every day a trading day.
TradingCalendar AlwaysOpenCalendar();
// A calendar file read into a calendar (Make(file's timezone) + LoadFile). kNotFound,
// kInvalidArgument naming the file and line.
Result<TradingCalendar> LoadCalendarFile(const std::string& path);

// Vectorised session classification of a timestamp column (any unit, nulls -> null).
// The UTC offset is looked up once per DST period and the calendar once per local day.
// Returns int8 values of Session.
Result<std::shared_ptr<arrow::Array>> ClassifySessions(const arrow::Array& ts,
                                                       const TradingCalendar& calendar);
// Local trading date (date32) of each timestamp in the calendar's zone.
Result<std::shared_ptr<arrow::Array>> LocalDates(const arrow::Array& ts,
                                                 const TradingCalendar& calendar);

// Rows of `table` whose `ts_column` falls in a session of `mask`.
Result<std::shared_ptr<arrow::Table>> FilterBySession(const std::shared_ptr<arrow::Table>& table,
                                                      const TradingCalendar& calendar,
                                                      SessionMask mask,
                                                      const std::string& ts_column = "ts");

}  // namespace marketlake
