// Fast paths for the numbers market data is made of ("412", "-7", "51.07"), for Normalize.
// Not a public API.
//
// Each parses only a simple decimal form and returns false for anything else, so that the
// caller falls back to std::from_chars; where they parse, the result is exactly
// std::from_chars's (tests/unit/schema/decimal_parse_test.cc compares them).
#pragma once

#include <cstdint>
#include <string_view>

namespace marketlake::schema_internal {

// [-]d{1,18}: an int64 with no sign but '-', no spaces, at most 18 digits (never overflows).
inline bool ParseSimpleInt64(std::string_view s, int64_t* out) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) i = 1;
  const size_t digits = s.size() - i;
  if (digits == 0 || digits > 18) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    const auto d = static_cast<unsigned>(s[i] - '0');
    if (d > 9) return false;
    v = v * 10 + static_cast<int64_t>(d);
  }
  *out = negative ? -v : v;
  return true;
}

// [-]d+[.d+] with at most 15 digits in all: the value is m / 10^k with m < 2^53 and k <= 15,
// both exact doubles, so one IEEE division gives the correctly rounded result, as
// std::from_chars does (Clinger's fast path).
inline bool ParseSimpleDouble(std::string_view s, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) i = 1;
  int64_t m = 0;
  int digits = 0;
  int fraction = 0;
  bool point = false;
  bool digit_before_point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (point || !digit_before_point) return false;
      point = true;
      continue;
    }
    const auto d = static_cast<unsigned>(c - '0');
    if (d > 9 || ++digits > 15) return false;
    m = m * 10 + static_cast<int64_t>(d);
    if (point) {
      ++fraction;
    } else {
      digit_before_point = true;
    }
  }
  if (!digit_before_point || (point && fraction == 0)) return false;
  const double v = static_cast<double>(m) / kPow10[fraction];
  *out = negative ? -v : v;
  return true;
}

}  // namespace marketlake::schema_internal
