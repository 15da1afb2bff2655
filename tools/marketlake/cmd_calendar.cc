// marketlake calendar: the trading calendar of a year (trading days, holidays, early closes
// and session times, local and UTC).
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/sessions.h"
#include "marketlake/timestamp.h"

namespace marketlake::cli {
namespace {

struct Options {
  int year = 0;  // 0: this year (UTC)
  std::string calendar;
  bool always_open = false;
  bool json = false;
};

std::string Hhmm(int minutes) { return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60); }

const char* WeekdayName(int32_t days) {
  static const char* const kNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  return kNames[((days % 7) + 11) % 7];  // 1970-01-01 was a Thursday
}

Status Run(const Options& o) {
  TradingCalendar cal = AlwaysOpenCalendar();
  if (!o.always_open) {
    if (o.calendar.empty()) {
      cal = UsEquitiesCalendar();
    } else {
      ML_ASSIGN_OR_RETURN(cal, LoadCalendarFile(o.calendar));
    }
  }
  int year = o.year;
  if (year == 0) {
    auto days = std::chrono::duration_cast<std::chrono::hours>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count() /
                24;
    year = static_cast<int>(CivilFromDays(days).year);
  }
  if (year < 1900 || year > 2200) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--year {}: expected a year from 1900 to 2200", year));
  }
  const auto first = static_cast<int32_t>(DaysFromCivil(year, 1, 1));
  const auto end = static_cast<int32_t>(DaysFromCivil(year + 1, 1, 1));
  nlohmann::json holidays = nlohmann::json::array();
  nlohmann::json early = nlohmann::json::array();
  nlohmann::json days = nlohmann::json::array();
  for (const auto& [d, close] : cal.exceptions()) {
    if (d < first || d >= end) continue;
    if (close < 0) {
      holidays.push_back(FormatDateDays(d));
    } else {
      early.push_back({{"date", FormatDateDays(d)}, {"close", Hhmm(close)}});
    }
  }
  int trading = 0;
  std::string text;
  for (int32_t d = first; d < end; ++d) {
    if (!cal.IsTradingDay(d)) continue;
    ++trading;
    const int close = cal.CloseMinutes(d);
    const bool is_early = cal.exceptions().count(d) > 0;
    nlohmann::json day = {{"date", FormatDateDays(d)},
                          {"weekday", WeekdayName(d)},
                          {"close", Hhmm(close)},
                          {"early_close", is_early}};
    if (!cal.always_open()) {
      day["pre_open_utc"] = FormatTimestampNanos(cal.LocalToUtcNanos(d, cal.pre_open_minutes()));
      day["open_utc"] = FormatTimestampNanos(cal.LocalToUtcNanos(d, cal.open_minutes()));
      day["close_utc"] = FormatTimestampNanos(cal.LocalToUtcNanos(d, close));
      day["after_hours_end_utc"] =
          FormatTimestampNanos(cal.LocalToUtcNanos(d, cal.post_close_minutes()));
      text += fmt::format("{}  {}  {}-{}{}  (UTC {} - {})\n", FormatDateDays(d), WeekdayName(d),
                          Hhmm(cal.open_minutes()), Hhmm(close), is_early ? " early close" : "",
                          day["open_utc"].get<std::string>(), day["close_utc"].get<std::string>());
    } else {
      text += fmt::format("{}  {}  open 24h\n", FormatDateDays(d), WeekdayName(d));
    }
    days.push_back(std::move(day));
  }
  nlohmann::json sessions = {{"pre_open", Hhmm(cal.pre_open_minutes())},
                             {"open", Hhmm(cal.open_minutes())},
                             {"close", Hhmm(cal.CloseMinutes(first))},
                             {"after_hours_end", Hhmm(cal.post_close_minutes())}};
  // The regular close of an ordinary day: the close of the first trading day that is not an
  // early close (the calendar keeps it privately).
  for (int32_t d = first; d < end; ++d) {
    if (cal.IsTradingDay(d) && cal.exceptions().count(d) == 0) {
      sessions["close"] = Hhmm(cal.CloseMinutes(d));
      break;
    }
  }
  if (o.json) {
    nlohmann::json out = {{"year", year},
                          {"time_zone", cal.time_zone()},
                          {"always_open", cal.always_open()},
                          {"sessions", sessions},
                          {"trading_days", trading},
                          {"holidays", holidays},
                          {"early_closes", early},
                          {"days", days}};
    fmt::print("{}\n", out.dump(1));
    return Status::OK();
  }
  fmt::print("calendar {}  time zone {}  {} trading days\n", year, cal.time_zone(), trading);
  fmt::print("sessions (local): pre-market {}-{}, regular {}-{}, after-hours {}-{}\n",
             sessions["pre_open"].get<std::string>(), sessions["open"].get<std::string>(),
             sessions["open"].get<std::string>(), sessions["close"].get<std::string>(),
             sessions["close"].get<std::string>(), sessions["after_hours_end"].get<std::string>());
  std::string hol;
  for (const auto& h : holidays) hol += (hol.empty() ? "" : ", ") + h.get<std::string>();
  fmt::print("holidays: {}\n", hol.empty() ? "none" : hol);
  std::string ec;
  for (const auto& e : early) {
    ec += (ec.empty() ? "" : ", ") + e["date"].get<std::string>() + " " +
          e["close"].get<std::string>();
  }
  fmt::print("early closes: {}\n{}", ec.empty() ? "none" : ec, text);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "calendar", "Show a year's trading days, holidays, early closes and session times");
  cmd->add_option("--year", o->year, "Year (default: this year)");
  cmd->add_option("--calendar", o->calendar,
                  "Calendar file (format in docs/time.md; default: the built-in NYSE calendar, "
                  "data/calendars/us_equities.csv)");
  cmd->add_flag("--always-open", o->always_open, "The 24/7 UTC calendar (crypto)");
  cmd->add_flag("--json", o->json, "One JSON object: holidays, early closes, every trading day");
  cmd->footer(
      "Examples:\n"
      "  marketlake calendar --year 2024\n"
      "  marketlake calendar --year 2024 --json | jq '.holidays, .early_closes'\n"
      "  marketlake calendar --year 2028 --calendar my_calendar.csv");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
