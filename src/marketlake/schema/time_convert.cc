#include "marketlake/schema/time_convert.h"

// The OS zone database (/usr/share/zoneinfo); never the remote download API. Defined here,
// before the only include of <date/tz.h> in the project, to match libdate-tz's build.
#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#ifndef HAS_REMOTE_API
#define HAS_REMOTE_API 0
#endif
#include <date/tz.h>

#include <chrono>
#include <exception>

namespace marketlake::schema_internal {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000LL;

inline bool Digits(std::string_view s, size_t pos, size_t n, int* value) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = v;
  return true;
}

constexpr bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned DaysInMonth(int y, int m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

bool ParseIsoTime(std::string_view s, ParsedTime* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  int year, month, day;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return false;
  }
  if (year < 1678 || year > 2261 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return false;
  }
  int64_t secs = DaysFromCivil(year, month, day) * 86400;
  int64_t frac_ns = 0;
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    ++pos;
    int hh, mm, ss = 0;
    if (!Digits(s, pos, 2, &hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !Digits(s, pos + 3, 2, &mm)) {
      return false;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &ss)) return false;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (n == 9) return false;  // finer than a nanosecond: refuse rather than round
          frac_ns = frac_ns * 10 + (s[pos] - '0');
          ++n;
          ++pos;
        }
        if (n == 0) return false;
        for (int i = n; i < 9; ++i) frac_ns *= 10;
      }
    }
    if (hh > 23 || mm > 59 || ss > 59) return false;
    secs += hh * 3600 + mm * 60 + ss;
  }
  out->has_offset = false;
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos < s.size()) {
    std::string_view rest = s.substr(pos);
    if (rest == "Z" || rest == "z" || rest == "UTC") {
      out->has_offset = true;
    } else if (rest[0] == '+' || rest[0] == '-') {
      int oh, om = 0;
      if (!Digits(rest, 1, 2, &oh)) return false;
      size_t p = 3;
      if (p < rest.size()) {
        if (rest[p] == ':') ++p;
        if (!Digits(rest, p, 2, &om)) return false;
        p += 2;
      }
      if (p != rest.size() || oh > 23 || om > 59) return false;
      int64_t off = oh * 3600 + om * 60;
      secs -= rest[0] == '+' ? off : -off;
      out->has_offset = true;
    } else {
      return false;
    }
  }
  out->ns = secs * kNanosPerSecond + frac_ns;
  // Near the ends of the year range an offset can push past int64 nanoseconds.
  if (secs > INT64_MAX / kNanosPerSecond - 1 || secs < INT64_MIN / kNanosPerSecond + 1) {
    return false;
  }
  return true;
}

Result<LocalToUtc> LocalToUtc::Make(const std::string& tz) {
  LocalToUtc out;
  if (tz.empty() || tz == "UTC" || tz == "Etc/UTC" || tz == "Z" || tz == "utc") return out;
  try {
    out.zone_ = date::locate_zone(tz);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument,
                 "unknown time zone '" + tz + "' (expected an IANA name such as America/New_York)");
  }
  return out;
}

LocalToUtc::Outcome LocalToUtc::Convert(int64_t local_ns, AmbiguousTime policy, int64_t* utc_ns) {
  if (zone_ == nullptr) {
    *utc_ns = local_ns;
    return Outcome::kOk;
  }
  const int64_t sec = FloorDiv(local_ns, kNanosPerSecond);
  const int64_t sub = local_ns - sec * kNanosPerSecond;
  if (sec >= lo_ && sec < hi_) {
    *utc_ns = (sec - offset_) * kNanosPerSecond + sub;
    return Outcome::kOk;
  }
  date::local_info info;
  try {
    info = zone_->get_info(date::local_seconds{std::chrono::seconds{sec}});
  } catch (const std::exception&) {
    return Outcome::kNonexistent;
  }
  switch (info.result) {
    case date::local_info::unique: {
      const int64_t off = info.first.offset.count();
      *utc_ns = (sec - off) * kNanosPerSecond + sub;
      // Cache the period, a day clear of its transitions (no zone moves twice within a day).
      const int64_t begin = info.first.begin.time_since_epoch().count();
      const int64_t end = info.first.end.time_since_epoch().count();
      lo_ = begin > INT64_MIN / 2 ? begin + off + 86400 : INT64_MIN / 2;
      hi_ = end < INT64_MAX / 2 ? end + off - 86400 : INT64_MAX / 2;
      offset_ = off;
      return Outcome::kOk;
    }
    case date::local_info::ambiguous: {
      const auto& chosen = policy == AmbiguousTime::kLatest ? info.second : info.first;
      *utc_ns = (sec - chosen.offset.count()) * kNanosPerSecond + sub;
      return Outcome::kAmbiguous;
    }
    case date::local_info::nonexistent:
    default:
      return Outcome::kNonexistent;
  }
}

}  // namespace marketlake::schema_internal
