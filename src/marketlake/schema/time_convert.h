// Time value parsing and zone conversion for Normalize. Not a public API.
//
// Everything here works on plain integers and string_views: no allocation per value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "marketlake/schema.h"

namespace date {
class time_zone;
}

namespace marketlake::schema_internal {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct ParsedTime {
  int64_t ns = 0;           // nanoseconds since the epoch: UTC if has_offset, else local
  bool has_offset = false;  // an explicit Z / +hh:mm / -hh:mm / UTC suffix was present
};

// Parses ISO-8601: YYYY-MM-DD, optionally followed by [T or space]HH:MM[:SS[.f{1,9}]] and an
// offset Z, UTC, +HH, +HHMM or +HH:MM (optionally after one space). Surrounding whitespace is
// ignored. Years 1678..2261 (the int64 nanosecond range). Returns false on anything else.
bool ParseIsoTime(std::string_view text, ParsedTime* out);

// Converts local wall-clock times of one zone to UTC, caching the current offset period so
// the zone database is consulted only near transitions.
class LocalToUtc {
 public:
  enum class Outcome { kOk, kNonexistent, kAmbiguous };

  // "UTC", "Etc/UTC", "Z" or empty: identity. Otherwise an IANA name from the OS database;
  // kInvalidArgument when unknown.
  static Result<LocalToUtc> Make(const std::string& tz);

  bool is_utc() const { return zone_ == nullptr; }

  // local_ns: wall time as nanoseconds since 1970-01-01T00:00 local. On kOk writes utc_ns; on
  // kAmbiguous writes the occurrence `policy` asks for (kEarliest unless kLatest) and returns
  // kAmbiguous so the caller can count or reject it.
  Outcome Convert(int64_t local_ns, AmbiguousTime policy, int64_t* utc_ns);

 private:
  const date::time_zone* zone_ = nullptr;
  // Local seconds [lo_, hi_) are known to map uniquely with offset_ seconds.
  int64_t lo_ = 1;
  int64_t hi_ = 0;
  int64_t offset_ = 0;
};

}  // namespace marketlake::schema_internal
