// ISO-8601 timestamps and dates <-> integers since the Unix epoch, always UTC.
//
// Parsing accepts
//   YYYY-MM-DD
//   YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]][offset]
// where the fraction has 1 to 9 digits and the offset is Z, +HH:MM, -HH:MM, +HHMM or +HH
// (no offset means UTC; 'T' and 'Z' may be lower case). Seconds are 00-59 (no leap
// seconds). Timestamps must lie in the int64 nanosecond range
// (1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z).
//
// Everything here is pure: no locale, no time zone database, no allocation except for an
// error message or a formatted result. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "marketlake/status.h"

namespace marketlake {

// Nanoseconds since 1970-01-01T00:00:00Z. kInvalidArgument on malformed or out-of-range
// input: "timestamp 'TEXT': at byte N: expected ..." (TEXT shortened to 64 bytes).
Result<int64_t> ParseTimestampNanos(std::string_view text);

// Days since 1970-01-01 of a plain YYYY-MM-DD date (years 0001-9999). kInvalidArgument:
// "date 'TEXT': at byte N: expected ...".
Result<int32_t> ParseDateDays(std::string_view text);

// "2024-03-11T13:30:00Z", "2024-03-11T13:30:00.123Z", ".123456Z", ".123456789Z": the
// fraction is printed in groups of three digits, as many as are non-zero.
std::string FormatTimestampNanos(int64_t nanos);

// "2024-03-11".
std::string FormatDateDays(int32_t days);

// A proleptic Gregorian calendar date.
struct CivilDate {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms, valid for
// any date whose day count fits in int64 / 3).
int64_t DaysFromCivil(int64_t year, int month, int day);
CivilDate CivilFromDays(int64_t days);

}  // namespace marketlake
