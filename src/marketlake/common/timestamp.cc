#include "marketlake/timestamp.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace marketlake {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr size_t kMaxEchoBytes = 64;

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Malformed input is echoed back so the user sees what was rejected, but bounded so a
// megabyte of garbage does not become a megabyte of error message.
std::string Echo(std::string_view text) {
  if (text.size() <= kMaxEchoBytes) return std::string(text);
  std::string out(text.substr(0, kMaxEchoBytes - 3));
  out += "...";
  return out;
}

std::string TwoDigits(int v) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02d", v);
  return buf;
}

// The fields of a parsed "YYYY-MM-DD[THH:MM[:SS[.f]][offset]]".
struct Fields {
  int year = 0;
  int month = 0;
  int day = 0;
  bool has_time = false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t nanos = 0;
  int offset_seconds = 0;  // local time minus UTC
};

// A single forward pass over the text; every failure names the byte where it was found.
class Scanner {
 public:
  Scanner(std::string_view text, std::string_view what) : text_(text), what_(what) {}

  Status Fail(size_t pos, std::string_view message) const {
    std::string msg(what_);
    msg += " '";
    msg += Echo(text_);
    msg += "': at byte ";
    msg += std::to_string(pos);
    msg += ": ";
    msg += message;
    return Error(ErrorCode::kInvalidArgument, std::move(msg));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // Reads exactly `n` digits; on failure leaves pos() at the offending byte.
  bool Digits(int n, int* out) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
      if (AtEnd() || !IsDigit(text_[pos_])) return false;
      v = v * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    *out = v;
    return true;
  }

  bool Consume(char c) {
    if (!AtEnd() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A two-digit field in [lo, hi] named `name`.
  Status Field(std::string_view name, int lo, int hi, int* out) {
    size_t start = pos_;
    if (!Digits(2, out)) return Fail(pos_, "expected 2-digit " + std::string(name));
    if (*out < lo || *out > hi) {
      return Fail(start, std::string(name) + " " + TwoDigits(*out) + " out of range (expected " +
                             TwoDigits(lo) + "-" + TwoDigits(hi) + ")");
    }
    return Status::OK();
  }

  Status Date(int min_year, int max_year, Fields* f) {
    if (!Digits(4, &f->year)) return Fail(pos_, "expected 4-digit year");
    if (f->year < min_year || f->year > max_year) {
      return Fail(0, "year " + std::to_string(f->year) + " out of range (expected " +
                         std::to_string(min_year) + "-" + std::to_string(max_year) + ")");
    }
    if (!Consume('-')) return Fail(pos_, "expected '-' after the year");
    ML_RETURN_NOT_OK(Field("month", 1, 12, &f->month));
    if (!Consume('-')) return Fail(pos_, "expected '-' after the month");
    size_t day_pos = pos_;
    if (!Digits(2, &f->day)) return Fail(pos_, "expected 2-digit day");
    int last = DaysInMonth(f->year, f->month);
    if (f->day < 1 || f->day > last) {
      return Fail(day_pos, "day " + TwoDigits(f->day) + " out of range for " +
                               std::to_string(f->year) + "-" + TwoDigits(f->month) +
                               " (expected 01-" + TwoDigits(last) + ")");
    }
    return Status::OK();
  }

  Status Time(Fields* f) {
    f->has_time = true;
    ML_RETURN_NOT_OK(Field("hour", 0, 23, &f->hour));
    if (!Consume(':')) return Fail(pos_, "expected ':' after the hour");
    ML_RETURN_NOT_OK(Field("minute", 0, 59, &f->minute));
    if (Consume(':')) {
      ML_RETURN_NOT_OK(Field("second", 0, 59, &f->second));
      if (Consume('.')) {
        size_t start = pos_;
        int64_t scale = kNanosPerSecond;
        while (!AtEnd() && IsDigit(text_[pos_])) {
          if (pos_ - start == 9) return Fail(pos_, "expected at most 9 fractional digits");
          scale /= 10;
          f->nanos += (text_[pos_] - '0') * scale;
          ++pos_;
        }
        if (pos_ == start) return Fail(pos_, "expected fractional digits after '.'");
      }
    }
    return Offset(f);
  }

  Status Offset(Fields* f) {
    if (AtEnd()) return Status::OK();
    char c = text_[pos_];
    if (c == 'Z' || c == 'z') {
      ++pos_;
    } else if (c == '+' || c == '-') {
      ++pos_;
      int hours = 0, minutes = 0;
      ML_RETURN_NOT_OK(Field("offset hour", 0, 23, &hours));
      if (Consume(':') || (!AtEnd() && IsDigit(text_[pos_]))) {
        ML_RETURN_NOT_OK(Field("offset minute", 0, 59, &minutes));
      }
      f->offset_seconds = (c == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
    } else {
      return Fail(pos_, "expected offset (Z, +HH:MM, -HH:MM, +HHMM or +HH) or end of input");
    }
    if (!AtEnd()) return Fail(pos_, "expected end of input after the offset");
    return Status::OK();
  }

 private:
  std::string_view text_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                                  // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

Result<int64_t> ParseTimestampNanos(std::string_view text) {
  Scanner s(text, "timestamp");
  Fields f;
  // Years are checked coarsely here; the exact int64 bound is checked below.
  ML_RETURN_NOT_OK(s.Date(1677, 2262, &f));
  if (!s.AtEnd()) {
    char sep = s.Peek();
    if (sep != 'T' && sep != 't' && sep != ' ') {
      return s.Fail(s.pos(), "expected 'T' or ' ' before the time, or end of input");
    }
    s.Consume(sep);
    ML_RETURN_NOT_OK(s.Time(&f));
  }
  const int64_t seconds = DaysFromCivil(f.year, f.month, f.day) * kSecondsPerDay + f.hour * 3600 +
                          f.minute * 60 + f.second - f.offset_seconds;
  // 128-bit so that values just inside the range (1677-09-21T00:12:43.145224192Z is
  // INT64_MIN exactly) are not rejected by an intermediate overflow.
  const __int128 nanos = static_cast<__int128>(seconds) * kNanosPerSecond + f.nanos;
  if (nanos < INT64_MIN || nanos > INT64_MAX) {
    return s.Fail(0,
                  "out of range (expected 1677-09-21T00:12:43.145224192Z to "
                  "2262-04-11T23:47:16.854775807Z)");
  }
  return static_cast<int64_t>(nanos);
}

Result<int32_t> ParseDateDays(std::string_view text) {
  Scanner s(text, "date");
  Fields f;
  ML_RETURN_NOT_OK(s.Date(1, 9999, &f));
  if (!s.AtEnd()) return s.Fail(s.pos(), "expected end of input after YYYY-MM-DD");
  return static_cast<int32_t>(DaysFromCivil(f.year, f.month, f.day));
}

std::string FormatTimestampNanos(int64_t nanos) {
  // Floor division: instants before 1970 still print a non-negative time of day.
  int64_t seconds = nanos / kNanosPerSecond;
  int64_t fraction = nanos % kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    --seconds;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[64];
  int n = std::snprintf(
      buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(date.year),
      date.month, date.day, static_cast<int>(second_of_day / 3600),
      static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (fraction != 0) {
    if (fraction % 1000000 == 0) {
      n = std::snprintf(buf, sizeof(buf), ".%03lld", static_cast<long long>(fraction / 1000000));
    } else if (fraction % 1000 == 0) {
      n = std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(fraction / 1000));
    } else {
      n = std::snprintf(buf, sizeof(buf), ".%09lld", static_cast<long long>(fraction));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  out += 'Z';
  return out;
}

std::string FormatDateDays(int32_t days) {
  const CivilDate date = CivilFromDays(days);
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d", static_cast<long long>(date.year),
                        date.month, date.day);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace marketlake
