#include "marketlake/sessions.h"

// The OS zone database (/usr/share/zoneinfo); never the remote download API (as in
// schema/time_convert.cc, to match libdate-tz's build).
#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#ifndef HAS_REMOTE_API
#define HAS_REMOTE_API 0
#endif
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <date/tz.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <limits>
#include <sstream>

#include "marketlake/aggregate/internal.h"
#include "marketlake/timestamp.h"

namespace marketlake {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000LL;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

// The built-in copy of data/calendars/us_equities.csv (a unit test keeps them equal).
constexpr std::string_view kUsEquitiesCsv = R"CSV(
# NYSE / Nasdaq trading calendar, 2023-2027 (marketlake; docs/time.md).
# Sources: NYSE "Holidays & Trading Hours" pages. Early closes end the regular session
# at 13:00 New York; after-hours then runs 13:00-20:00 in marketlake's model.
# Format: see include/marketlake/sessions.h. Extend with your own file (later lines win).
timezone,America/New_York
sessions,04:00,09:30,16:00,20:00
weekend,sat,sun
holiday,2023-01-02,New Year's Day (observed)
holiday,2023-01-16,Martin Luther King Jr. Day
holiday,2023-02-20,Washington's Birthday
holiday,2023-04-07,Good Friday
holiday,2023-05-29,Memorial Day
holiday,2023-06-19,Juneteenth
holiday,2023-07-04,Independence Day
holiday,2023-09-04,Labor Day
holiday,2023-11-23,Thanksgiving Day
holiday,2023-12-25,Christmas Day
early_close,2023-07-03,13:00,Independence Day eve
early_close,2023-11-24,13:00,Day after Thanksgiving
holiday,2024-01-01,New Year's Day
holiday,2024-01-15,Martin Luther King Jr. Day
holiday,2024-02-19,Washington's Birthday
holiday,2024-03-29,Good Friday
holiday,2024-05-27,Memorial Day
holiday,2024-06-19,Juneteenth
holiday,2024-07-04,Independence Day
holiday,2024-09-02,Labor Day
holiday,2024-11-28,Thanksgiving Day
holiday,2024-12-25,Christmas Day
early_close,2024-07-03,13:00,Independence Day eve
early_close,2024-11-29,13:00,Day after Thanksgiving
early_close,2024-12-24,13:00,Christmas Eve
holiday,2025-01-01,New Year's Day
holiday,2025-01-09,National Day of Mourning (President Carter)
holiday,2025-01-20,Martin Luther King Jr. Day
holiday,2025-02-17,Washington's Birthday
holiday,2025-04-18,Good Friday
holiday,2025-05-26,Memorial Day
holiday,2025-06-19,Juneteenth
holiday,2025-07-04,Independence Day
holiday,2025-09-01,Labor Day
holiday,2025-11-27,Thanksgiving Day
holiday,2025-12-25,Christmas Day
early_close,2025-07-03,13:00,Independence Day eve
early_close,2025-11-28,13:00,Day after Thanksgiving
early_close,2025-12-24,13:00,Christmas Eve
holiday,2026-01-01,New Year's Day
holiday,2026-01-19,Martin Luther King Jr. Day
holiday,2026-02-16,Washington's Birthday
holiday,2026-04-03,Good Friday
holiday,2026-05-25,Memorial Day
holiday,2026-06-19,Juneteenth
holiday,2026-07-03,Independence Day (observed)
holiday,2026-09-07,Labor Day
holiday,2026-11-26,Thanksgiving Day
holiday,2026-12-25,Christmas Day
early_close,2026-11-27,13:00,Day after Thanksgiving
early_close,2026-12-24,13:00,Christmas Eve
holiday,2027-01-01,New Year's Day
holiday,2027-01-18,Martin Luther King Jr. Day
holiday,2027-02-15,Washington's Birthday
holiday,2027-03-26,Good Friday
holiday,2027-05-31,Memorial Day
holiday,2027-06-18,Juneteenth (observed)
holiday,2027-07-05,Independence Day (observed)
holiday,2027-09-06,Labor Day
holiday,2027-11-25,Thanksgiving Day
holiday,2027-12-24,Christmas Day (observed)
early_close,2027-11-26,13:00,Day after Thanksgiving
)CSV";

int64_t ClampSecondsToNanos(int64_t s) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNanosPerSecond;
  if (s >= kMax) return std::numeric_limits<int64_t>::max();
  if (s <= -kMax) return std::numeric_limits<int64_t>::min();
  return s * kNanosPerSecond;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitCsv(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    out.push_back(Trim(line.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// "HH:MM" -> minutes (00:00 .. 24:00), -1 on error.
int ParseMinutes(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

int WeekdayOf(int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  int64_t w = (days + 4) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

}  // namespace

std::string_view SessionName(Session session) {
  switch (session) {
    case Session::kPreMarket:
      return "pre";
    case Session::kRegular:
      return "regular";
    case Session::kAfterHours:
      return "after";
    case Session::kClosed:
      break;
  }
  return "closed";
}

Result<TradingCalendar> TradingCalendar::Make(std::string time_zone) {
  TradingCalendar cal;
  cal.time_zone_ = time_zone;
  if (time_zone != "UTC" && time_zone != "Etc/UTC") {
    try {
      cal.zone_ = date::locate_zone(time_zone);
    } catch (const std::exception& e) {
      return Error(ErrorCode::kNotFound,
                   "time zone '" + time_zone + "' is not in the zone database: " + e.what());
    }
  }
  return cal;
}

void TradingCalendar::AddHoliday(int32_t days) { exceptions_[days] = -1; }
void TradingCalendar::AddEarlyClose(int32_t days, int close_minutes) {
  exceptions_[days] = close_minutes;
}

Status TradingCalendar::SetSessions(int pre_open, int open, int close, int post_close) {
  if (!(0 <= pre_open && pre_open <= open && open <= close && close <= post_close &&
        post_close <= 1440)) {
    return Error(ErrorCode::kInvalidArgument,
                 "sessions: expected 00:00 <= pre-open <= open <= close <= after-hours end <= "
                 "24:00");
  }
  pre_open_ = pre_open;
  open_ = open;
  close_ = close;
  post_close_ = post_close;
  return Status::OK();
}

Status TradingCalendar::LoadText(std::string_view text, std::string_view source_name) {
  size_t pos = 0;
  int line_no = 0;
  auto fail = [&](const std::string& what) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(source_name) + ":" + std::to_string(line_no) + ": " + what);
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    std::vector<std::string_view> f = SplitCsv(line);
    std::string_view key = f[0];
    if (key == "timezone") {
      if (f.size() < 2 || f[1].empty()) return fail("timezone: expected a zone name");
      if (std::string(f[1]) != time_zone_) {
        ML_ASSIGN_OR_RETURN(TradingCalendar other, Make(std::string(f[1])));
        time_zone_ = other.time_zone_;
        zone_ = other.zone_;
      }
    } else if (key == "sessions") {
      if (f.size() != 5) return fail("sessions: expected pre-open,open,close,after-hours end");
      int m[4];
      for (int i = 0; i < 4; ++i) {
        m[i] = ParseMinutes(f[i + 1]);
        if (m[i] < 0) return fail("sessions: expected HH:MM, got '" + std::string(f[i + 1]) + "'");
      }
      Status st = SetSessions(m[0], m[1], m[2], m[3]);
      if (!st.ok()) return fail(st.message());
    } else if (key == "weekend") {
      static constexpr std::string_view kNames[] = {"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
      uint8_t mask = 0;
      for (size_t i = 1; i < f.size(); ++i) {
        if (f[i].empty()) continue;
        bool found = false;
        for (int d = 0; d < 7; ++d) {
          if (f[i] == kNames[d]) {
            mask |= static_cast<uint8_t>(1u << d);
            found = true;
          }
        }
        if (!found) return fail("weekend: expected sun..sat, got '" + std::string(f[i]) + "'");
      }
      weekend_mask_ = mask;
    } else if (key == "holiday" || key == "early_close") {
      if (f.size() < 2) return fail(std::string(key) + ": expected a date");
      auto days = ParseDateDays(f[1]);
      if (!days.ok()) return fail(days.status().message());
      if (key == "holiday") {
        AddHoliday(*days);
      } else {
        int close = f.size() >= 3 ? ParseMinutes(f[2]) : -1;
        if (close < 0) return fail("early_close: expected DATE,HH:MM");
        AddEarlyClose(*days, close);
      }
    } else {
      return fail("unknown key '" + std::string(key) +
                  "' (expected timezone, sessions, weekend, holiday, early_close)");
    }
  }
  return Status::OK();
}

Status TradingCalendar::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "calendar file '" + path + "' cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadText(ss.str(), path);
}

bool TradingCalendar::IsTradingDay(int32_t local_days) const {
  if (always_open_) return true;
  if (weekend_mask_ & (1u << WeekdayOf(local_days))) return false;
  auto it = exceptions_.find(local_days);
  return it == exceptions_.end() || it->second >= 0;
}

int TradingCalendar::CloseMinutes(int32_t local_days) const {
  auto it = exceptions_.find(local_days);
  return it != exceptions_.end() && it->second >= 0 ? it->second : close_;
}

TradingCalendar::OffsetRange TradingCalendar::OffsetAt(int64_t utc_ns) const {
  if (zone_ == nullptr) {
    return {0, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
  const auto* zone = static_cast<const date::time_zone*>(zone_);
  int64_t secs = utc_ns / kNanosPerSecond - (utc_ns % kNanosPerSecond < 0 ? 1 : 0);
  date::sys_seconds t{std::chrono::seconds(secs)};
  date::sys_info info = zone->get_info(t);
  return {info.offset.count() * kNanosPerSecond,
          ClampSecondsToNanos(info.begin.time_since_epoch().count()),
          ClampSecondsToNanos(info.end.time_since_epoch().count())};
}

int64_t TradingCalendar::LocalToUtcNanos(int32_t local_days, int minutes) const {
  int64_t local_ns = static_cast<int64_t>(local_days) * kNanosPerDay + minutes * kNanosPerMinute;
  if (zone_ == nullptr) return local_ns;
  const auto* zone = static_cast<const date::time_zone*>(zone_);
  date::local_seconds lt{std::chrono::seconds(local_ns / kNanosPerSecond)};
  date::local_info info = zone->get_info(lt);
  return local_ns - info.first.offset.count() * kNanosPerSecond;
}

Session TradingCalendar::Classify(int64_t utc_ns, int32_t* local_days) const {
  OffsetRange r = OffsetAt(utc_ns);
  int64_t local = utc_ns + r.offset_ns;
  int64_t days = aggregate_internal::FloorDiv(local, kNanosPerDay);
  if (local_days != nullptr) *local_days = static_cast<int32_t>(days);
  int64_t tod = local - days * kNanosPerDay;
  return ClassifyLocal(static_cast<int32_t>(days), tod);
}

Session TradingCalendar::ClassifyLocal(int32_t days, int64_t tod_ns) const {
  if (always_open_) return Session::kRegular;
  if (!IsTradingDay(days)) return Session::kClosed;
  int close = CloseMinutes(days);
  if (tod_ns < pre_open_ * kNanosPerMinute) return Session::kClosed;
  if (tod_ns < open_ * kNanosPerMinute) return Session::kPreMarket;
  if (tod_ns < close * kNanosPerMinute) return Session::kRegular;
  if (tod_ns < post_close_ * kNanosPerMinute) return Session::kAfterHours;
  return Session::kClosed;
}

const TradingCalendar& UsEquitiesCalendar() {
  static const TradingCalendar* cal = [] {
    auto made = TradingCalendar::Make("America/New_York");
    auto* c = new TradingCalendar(made.ok() ? *made : TradingCalendar());
    Status st = c->LoadText(kUsEquitiesCsv, "built-in us_equities.csv");
    (void)st;  // the built-in text is tested to parse
    return c;
  }();
  return *cal;
}

TradingCalendar AlwaysOpenCalendar() {
  TradingCalendar cal;
  cal.always_open_ = true;
  cal.weekend_mask_ = 0;
  cal.pre_open_ = 0;
  cal.open_ = 0;
  cal.close_ = 1440;
  cal.post_close_ = 1440;
  return cal;
}

Result<TradingCalendar> LoadCalendarFile(const std::string& path) {
  ML_ASSIGN_OR_RETURN(TradingCalendar cal, TradingCalendar::Make("America/New_York"));
  ML_RETURN_NOT_OK(cal.LoadFile(path));
  return cal;
}

namespace aggregate_internal {

void LocalClock::Convert(int64_t utc_ns, int32_t* days, int64_t* tod_ns) {
  const int64_t local = zone_.Local(*cal_, utc_ns);
  int64_t d = FloorDiv(local, kNanosPerDay);
  *days = static_cast<int32_t>(d);
  *tod_ns = local - d * kNanosPerDay;
}

Session LocalClock::Classify(int64_t utc_ns, int32_t* days) {
  int64_t tod;
  Convert(utc_ns, days, &tod);
  if (*days != cached_day_) {
    cached_day_ = *days;
    cached_trading_ = cal_->IsTradingDay(*days);
    cached_close_ns_ = cal_->CloseMinutes(*days) * kNanosPerMinute;
  }
  if (cal_->always_open()) return Session::kRegular;
  if (!cached_trading_) return Session::kClosed;
  if (tod < cal_->pre_open_minutes() * kNanosPerMinute) return Session::kClosed;
  if (tod < cal_->open_minutes() * kNanosPerMinute) return Session::kPreMarket;
  if (tod < cached_close_ns_) return Session::kRegular;
  if (tod < cal_->post_close_minutes() * kNanosPerMinute) return Session::kAfterHours;
  return Session::kClosed;
}

Result<TimeColumn> ReadTimeColumn(const arrow::Array& array, std::string_view name) {
  TimeColumn out;
  int64_t mult = 1;
  if (array.type_id() == arrow::Type::TIMESTAMP) {
    const auto& t = static_cast<const arrow::TimestampType&>(*array.type());
    switch (t.unit()) {
      case arrow::TimeUnit::SECOND:
        mult = kNanosPerSecond;
        break;
      case arrow::TimeUnit::MILLI:
        mult = 1000000;
        break;
      case arrow::TimeUnit::MICRO:
        mult = 1000;
        break;
      case arrow::TimeUnit::NANO:
        break;
    }
  } else if (array.type_id() != arrow::Type::INT64) {
    return Error(ErrorCode::kDataType, "column '" + std::string(name) +
                                           "': expected a timestamp, got " +
                                           array.type()->ToString());
  }
  const int64_t* raw = array.data()->GetValues<int64_t>(1);
  if (mult == 1) {
    out.values = raw;
  } else {
    out.owned.resize(array.length());
    for (int64_t i = 0; i < array.length(); ++i) out.owned[i] = raw[i] * mult;
    out.values = out.owned.data();
  }
  out.array = &array;
  return out;
}

}  // namespace aggregate_internal

Result<std::shared_ptr<arrow::Array>> ClassifySessions(const arrow::Array& ts,
                                                       const TradingCalendar& calendar) {
  ML_ASSIGN_OR_RETURN(auto col, aggregate_internal::ReadTimeColumn(ts, "ts"));
  arrow::Int8Builder b;
  ML_RETURN_NOT_OK(b.Reserve(ts.length()));
  aggregate_internal::LocalClock clock(&calendar);
  for (int64_t i = 0; i < ts.length(); ++i) {
    if (ts.IsNull(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    int32_t days;
    b.UnsafeAppend(static_cast<int8_t>(clock.Classify(col.values[i], &days)));
  }
  return b.Finish();
}

Result<std::shared_ptr<arrow::Array>> LocalDates(const arrow::Array& ts,
                                                 const TradingCalendar& calendar) {
  ML_ASSIGN_OR_RETURN(auto col, aggregate_internal::ReadTimeColumn(ts, "ts"));
  arrow::Date32Builder b;
  ML_RETURN_NOT_OK(b.Reserve(ts.length()));
  aggregate_internal::LocalClock clock(&calendar);
  for (int64_t i = 0; i < ts.length(); ++i) {
    if (ts.IsNull(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    int32_t days;
    int64_t tod;
    clock.Convert(col.values[i], &days, &tod);
    b.UnsafeAppend(days);
  }
  return b.Finish();
}

Result<std::shared_ptr<arrow::Table>> FilterBySession(const std::shared_ptr<arrow::Table>& table,
                                                      const TradingCalendar& calendar,
                                                      SessionMask mask,
                                                      const std::string& ts_column) {
  auto col = table->GetColumnByName(ts_column);
  if (col == nullptr) {
    return Error(ErrorCode::kMissingColumn, "no column '" + ts_column + "'");
  }
  arrow::BooleanBuilder keep;
  ML_RETURN_NOT_OK(keep.Reserve(table->num_rows()));
  aggregate_internal::LocalClock clock(&calendar);
  for (const auto& chunk : col->chunks()) {
    ML_ASSIGN_OR_RETURN(auto tc, aggregate_internal::ReadTimeColumn(*chunk, ts_column));
    for (int64_t i = 0; i < chunk->length(); ++i) {
      if (chunk->IsNull(i)) {
        keep.UnsafeAppend(false);
        continue;
      }
      int32_t days;
      Session s = clock.Classify(tc.values[i], &days);
      keep.UnsafeAppend((mask & SessionBit(s)) != 0);
    }
  }
  ML_ASSIGN_OR_RETURN(auto keep_array, keep.Finish());
  ML_ASSIGN_OR_RETURN(arrow::Datum filtered, arrow::compute::Filter(table, keep_array));
  return filtered.table();
}

}  // namespace marketlake
